import { accountBrief, accountSummary } from '../domain/account';
import type { Escalation } from '../domain/escalation';
import { decideSponsorship } from '../domain/sponsorship';
import { VersionConflictError } from '../ports/errors';
import type { SponsorshipDecisionInput } from '../schemas/account';
import { retrying } from '../support/retrying';
import { CaseBusyError, NotFoundError } from './errors';
import type { Dependencies } from './escalations';

/** An account with more escalations than this is summarised over its most recent ones. */
const MAX_CASES_READ = 1_000;
const QUARTER_MS = 90 * 86_400_000;
const DECISION_BACKOFF = { baseMs: 20, capMs: 200, jitter: 'full' } as const;

/** Every escalation stored for the account, newest first (the byAccount index), up to MAX_CASES_READ. */
async function escalationsOf(deps: Dependencies, accountId: string): Promise<Escalation[]> {
  const found: Escalation[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.repository.list({ accountId }, { limit: 100, cursor, order: 'created' }, deps.now());
    found.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && found.length < MAX_CASES_READ);
  return found;
}

async function history(deps: Dependencies, accountId: string) {
  const [escalations, records] = await Promise.all([escalationsOf(deps, accountId), deps.repository.accountRecords(accountId)]);
  if (!escalations.length && !records.profile && !records.proposals.length) throw new NotFoundError(`no escalation or sponsorship is stored for account ${accountId}`);
  return { escalations, summary: accountSummary(accountId, escalations, records) };
}

export async function getAccount(deps: Dependencies, accountId: string) {
  return (await history(deps, accountId)).summary;
}

export async function getAccountBrief(deps: Dependencies, accountId: string, since?: string) {
  const { escalations, summary } = await history(deps, accountId);
  return accountBrief(summary, escalations, since ? new Date(since).toISOString() : new Date(deps.now().getTime() - QUARTER_MS).toISOString());
}

/** An admin enrols the account in the executive sponsorship programme, or declines it; a concurrent decision is read again and decided over. */
export async function decideAccountSponsorship(deps: Dependencies, accountId: string, request: SponsorshipDecisionInput, principal: string) {
  try {
    return await retrying(
      async () => {
        const current = await deps.repository.accountProfile(accountId);
        const next = decideSponsorship(accountId, current, request, { now: deps.now(), actor: principal, playbook: deps.playbook });
        await deps.repository.saveAccountProfile(next, current?.version ?? 0);
        deps.log.info('sponsorship decided', { accountId, decision: request.decision });
        return next;
      },
      { backoff: DECISION_BACKOFF, maxAttempts: 5, random: deps.random, retryable: (error) => error instanceof VersionConflictError },
    );
  } catch (error) {
    if (error instanceof VersionConflictError) throw new CaseBusyError(`account ${accountId} is being decided by others at once; nothing was stored, try again`, { cause: error });
    throw error;
  }
}

/**
 * Everything stored about the account, as one JSON document (admin): each case with every item
 * of its partition (timeline, emails), the account's own items, and its contact directory
 * entries. The idempotency records a write left hold copies of a case and expire within a day;
 * the case itself is in the export.
 */
export async function exportAccount(deps: Dependencies, accountId: string) {
  const [escalations, records] = await Promise.all([escalationsOf(deps, accountId), deps.repository.accountRecords(accountId)]);
  if (!escalations.length && !records.profile && !records.proposals.length && !records.contacts.length) throw new NotFoundError(`nothing is stored for account ${accountId}`);
  const cases = await Promise.all(
    escalations.map(async (escalation) => {
      const items = await deps.repository.caseItems(escalation.id);
      const startsWith = (prefix: string) => items.filter((item) => String(item.sk).startsWith(prefix));
      return { escalation, timeline: startsWith('EVENT#'), emails: startsWith('OUTBOX#') };
    }),
  );
  const emails = [...records.contacts, ...escalations.flatMap((escalation) => escalation.customer.contacts.map((contact) => contact.email))];
  deps.log.info('account exported', { accountId, cases: cases.length });
  return {
    accountId,
    exportedAt: deps.now().toISOString(),
    escalations: cases,
    account: { ...(records.profile && { profile: records.profile }), proposals: records.proposals, knownContacts: records.contacts },
    contactDirectory: await deps.repository.directoryEntries(accountId, emails),
  };
}
