import type { ScheduledCheck } from './scheduled-check';
import type { Escalation } from './escalation';
import { openItems } from './review';

// What is left to watch once a case is resolved, and what a closed case still needs: its
// review, its improvement items, the deletion date of everything stored with it.

/**
 * What is left to watch once the case is resolved: the review reminder (while no review is
 * recorded), one reminder per unfinished improvement item when it becomes overdue, and, once
 * closed, setting the deletion date of everything stored with it. Every instant is stored on
 * the case, so this needs no playbook (storage and the stream consumer call it too).
 */
export function aftercareChecks(escalation: Escalation): ScheduledCheck[] {
  if (escalation.erasedAt) return [];
  const checks: ScheduledCheck[] = [];
  const { reviewBy } = escalation.deadlines;
  if (escalation.resolvedAt && reviewBy && !escalation.review) {
    checks.push({ key: `review:${reviewBy}`, action: 'remind_review_due', kind: 'review', at: reviewBy });
  }
  for (const item of openItems(escalation)) {
    checks.push({ key: `item:${item.id}:${item.overdueAt}`, action: 'remind_improvement_item_overdue', kind: 'review', at: item.overdueAt, itemId: item.id });
  }
  if (escalation.retainUntil && escalation.closedAt) {
    checks.push({ key: `retention:${escalation.retainUntil}`, action: 'schedule_deletion', kind: 'retention', at: escalation.closedAt });
  }
  return checks;
}

/** The aftercare checks not yet performed. */
export function pendingAftercare(escalation: Escalation): ScheduledCheck[] {
  const done = new Set(escalation.actedOn ?? []);
  return aftercareChecks(escalation).filter((check) => !done.has(check.key));
}


const AFTERCARE_STATUSES = new Set(['closed', 'out_of_scope']);

/**
 * Where a closed case sorts among closed cases: the earliest of its unfinished improvement items'
 * overdue instants and its checks still to come; none once nothing is left (the case then sorts
 * last). An overdue item that was reminded of already keeps its place: it is still open work.
 */
export function aftercareDueAt(escalation: Escalation): string | undefined {
  if (!AFTERCARE_STATUSES.has(escalation.status) || escalation.erasedAt) return undefined;
  const instants = [...pendingAftercare(escalation).map((check) => check.at), ...openItems(escalation).map((item) => item.overdueAt)];
  return instants.length ? instants.reduce((a, b) => (a <= b ? a : b)) : undefined;
}
