// Items as the DynamoDB adapters write them, built from real domain values, for the stored-item
// parsers' tests and bench (tests/unit/stored-items.test.ts, bench/stored-items.ts). The item
// builders the repository keeps to itself (toItem, expiryOf, eventCaseFacts, outboxPuts…) are
// written out here the same way; the keys and index attributes come from the table design.
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Change, Escalation, TimelineEvent } from '../../functions/domain/escalation';
import { planNext, performCheck } from '../../functions/domain/deadline-checks';
import { applyAction } from '../../functions/domain/lifecycle';
import type { Notification } from '../../functions/domain/notification';
import { recordReview } from '../../functions/domain/review';
import type { ActionInput, ActionName } from '../../functions/domain/commands';
import { caseKey, eventIndexAttributes, eventKey, indexAttributes, outboxKey, owedEmailAttributes } from '../../functions/adapters/table-design';
import { HOUR, MINUTE, NOW, ctxAt, open, playbook } from './fixtures';

/** What DynamoDB hands back of an item the document client wrote (undefined values removed, as the container's client is set up). */
export const roundTrip = (item: Record<string, unknown>): Record<string, unknown> => unmarshall(marshall(item, { removeUndefinedValues: true }));

/** TTL (epoch seconds) of the items of a closed case: its deletion date. */
export const expiryOf = (escalation: Pick<Escalation, 'retainUntil'>) => (escalation.retainUntil ? { expiresAt: Math.floor(Date.parse(escalation.retainUntil) / 1000) } : {});

/** The case item: the case, its key, its index attributes and (closed) its TTL. */
export const caseItem = (escalation: Escalation) => roundTrip({ ...escalation, ...caseKey(escalation.id), ...indexAttributes(escalation), ...expiryOf(escalation) });

/** A timeline entry with the case facts the stream's consumer reads beside it. */
export function eventItem(escalation: Escalation, event: TimelineEvent, seq: string) {
  const caseFacts = { caseId: escalation.id, severity: escalation.severity, accountId: escalation.customer.accountId, caseStatus: escalation.status, caseTier: escalation.tier };
  return roundTrip({ ...eventKey(escalation.id, seq), seq, ...caseFacts, ...event, ...expiryOf(escalation) });
}

/** A timeline entry written before metric facts had items of their own: it carries the metrics index's keys itself. */
export const legacyEventItem = (escalation: Escalation, event: TimelineEvent, seq: string) => roundTrip({ ...eventItem(escalation, event, seq), ...eventIndexAttributes(escalation.id, event) });

/** An owed email as the change that owes it queues it in the outbox. */
export function outboxItem(escalation: Escalation, notification: Notification) {
  return roundTrip({
    ...outboxKey(escalation.id, notification.id),
    ...notification,
    status: 'pending',
    version: escalation.version,
    attempts: 0,
    queuedAt: escalation.updatedAt,
    ...owedEmailAttributes(escalation.id, notification.id, new Date(Date.parse(escalation.updatedAt) + 30_000).toISOString()),
    ...expiryOf(escalation),
  });
}

/** The same item as a claim returns it (UpdateItem, ALL_NEW). */
export const claimedOutboxItem = (item: Record<string, unknown>, claimId: string, leaseUntil: string) =>
  roundTrip({ ...item, status: 'sending', leaseUntil, claimId, attempts: Number(item.attempts) + 1 });

/** The checks the workflow performs between two instants, every 15 minutes, as its execution would. */
function runWorkflow(start: Escalation, from: number, to: number): Escalation {
  let escalation = start;
  for (let at = from; at <= to; at += 15 * MINUTE) {
    const now = new Date(at);
    for (let plan = planNext(escalation, now, playbook); plan.due; plan = planNext(escalation, now, playbook)) {
      escalation = performCheck(escalation, plan.due, now, playbook).next;
    }
  }
  return escalation;
}

function act<A extends ActionName>(action: A, current: Escalation, input: ActionInput<A>, at: number): Change {
  return applyAction(action, current, input, ctxAt(at));
}

/**
 * A critical case's life: acknowledged late (the workflow raised its tier), reminded of its
 * updates, paused and resumed, resolved and its review recorded with two improvement items.
 */
export function reviewedCase(): Escalation {
  const start = NOW.getTime();
  let escalation = open('critical');
  escalation = runWorkflow(escalation, start, start + 2 * HOUR);
  escalation = act('acknowledge', escalation, { owner: 'kim@example.com' }, start + 2 * HOUR + MINUTE).next;
  escalation = runWorkflow(escalation, start + 2 * HOUR + 2 * MINUTE, start + 6 * HOUR);
  escalation = act('updates', escalation, { message: 'We reproduced it.' }, start + 6 * HOUR + MINUTE).next;
  escalation = act('pause', escalation, { reason: 'waiting for logs' }, start + 7 * HOUR).next;
  escalation = act('resume', escalation, { note: 'logs received' }, start + 9 * HOUR).next;
  escalation = runWorkflow(escalation, start + 9 * HOUR + MINUTE, start + 12 * HOUR);
  const resolvedAt = start + 13 * HOUR;
  escalation = act('resolve', escalation, { rootCause: 'an expired certificate', fix: 'renewed it', prevention: 'expiry alerts' }, resolvedAt).next;
  escalation = recordReview(
    escalation,
    {
      rootCause: 'a certificate nobody watched',
      wentWell: 'the workaround was out within the hour',
      communicationGaps: 'the second update came late',
      processFixes: 'certificates are inventoried',
      concession: 'one month free',
      items: [
        { team: 'engineering', owner: 'sre@example.com', title: 'Alert 30 days before any certificate expires', due: '2026-06-30' },
        { team: 'support', owner: 'lead@example.com', title: 'Update cadence checklist', due: '2026-04-15' },
      ],
    },
    ctxAt(resolvedAt + HOUR),
  ).next;
  return runWorkflow(escalation, resolvedAt + 2 * HOUR, resolvedAt + 3 * HOUR);
}

/** The same case after its aftercare: followed up, closed by the workflow, its deletion date set. */
export function closedCase(): Escalation {
  const reviewed = reviewedCase();
  const from = Date.parse(reviewed.updatedAt) + 15 * MINUTE;
  return runWorkflow(reviewed, from, from + 40 * 24 * HOUR);
}
