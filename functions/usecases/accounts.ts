import { accountBrief, accountSummary } from '../domain/account';
import type { Escalation } from '../domain/escalation';
import { decideSponsorship } from '../domain/sponsorship';
import { erasedCase, erasePersonalData, inboundMessagesOf, personalStrings } from '../domain/erasure';
import { isVersionConflict, VersionConflictError } from '../ports/errors';
import type { SponsorshipDecisionInput } from '../schemas/account';
import { retrying } from '../support/retrying';
import { CaseBusyError, NotFoundError } from './errors';
import type { Dependencies } from '../ports/dependencies';

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
      { backoff: DECISION_BACKOFF, maxAttempts: 5, random: deps.random, retryable: isVersionConflict },
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

const ERASE_WRITE_ATTEMPTS = 5;

/**
 * Erases the account's personal data (admin). Each case is first written erased (`erasedAt`),
 * which ends its workflow (the stream stops the execution and nothing re-arms an erased case)
 * and refuses further changes; then every other item stored with it, the account's own items
 * and its contact directory entries are rewritten or deleted, and the raw inbound mail of its
 * cases deleted from the bucket; last, an audit record says who
 * erased what and when. Running it again on the same account finds nothing personal left.
 */
export async function eraseAccount(deps: Dependencies, accountId: string, reason: string, principal: string) {
  const requestedAt = deps.now().toISOString();
  const [escalations, records] = await Promise.all([escalationsOf(deps, accountId), deps.repository.accountRecords(accountId)]);
  if (!escalations.length && !records.profile && !records.proposals.length && !records.contacts.length) throw new NotFoundError(`nothing is stored for account ${accountId}`);
  const personal = personalStrings(escalations, records.contacts);
  const addresses = [...records.contacts, ...escalations.flatMap((escalation) => escalation.customer.contacts.map((contact) => contact.email))];
  // The raw inbound mail of the account's cases goes first: the message ids are read from the
  // case items, which the rewrite below keeps, so a run that fails here can simply be repeated.
  const messages = (await Promise.all(escalations.map(async ({ id }) => inboundMessagesOf(await deps.repository.caseItems(id))))).flat();
  const rawMailDeleted = messages.length ? await deps.rawMailEraser.delete(messages) : 0;
  let itemsRewritten = 0;
  for (const { id } of escalations) {
    await retrying(
      async () => {
        const current = await deps.repository.get(id);
        if (!current || current.erasedAt) return;
        const at = deps.now().toISOString();
        const next = erasedCase(current, personal, at);
        await deps.repository.save({ next, events: [{ type: 'personal_data_erased', at, actor: principal, summary: 'the account\'s personal data was erased', data: {} }] }, current.version);
      },
      { backoff: DECISION_BACKOFF, maxAttempts: ERASE_WRITE_ATTEMPTS, random: deps.random, retryable: isVersionConflict },
    );
    itemsRewritten += 1 + (await deps.repository.eraseCaseItems(id, personal));
  }
  itemsRewritten += await deps.repository.eraseAccountItems(accountId, personal, addresses);
  const record = {
    id: deps.newId(),
    requestedAt,
    completedAt: deps.now().toISOString(),
    by: principal,
    // The reason is kept, without any personal data it may quote.
    reason: erasePersonalData(reason, personal),
    cases: escalations.map((escalation) => escalation.id),
    itemsRewritten,
    rawMailDeleted,
  };
  await deps.repository.recordErasure(accountId, record);
  deps.log.info('account erased', { accountId, cases: record.cases.length, itemsRewritten, rawMailDeleted });
  return record;
}
