// What the workflow may be asked to do at a deadline (functions/domain/deadline-checks.ts plans
// the checks, functions/domain/aftercare.ts those after the close): the shapes alone, so both
// planners share them without importing each other.

/**
 * What the workflow does at each deadline. Every scheduled check is derived from the case
 * as it is now, so a change through the API (acknowledge, update, pause, severity) moves
 * or cancels checks without anyone editing a schedule. A check that ran is remembered by
 * its key, which includes the instant it was due: a recomputed deadline is a new check.
 *
 * Every check is due at an instant counted in the case's calendar (its policy), so a
 * reminder or an escalation to people falls in working hours unless the severity runs 24×7.
 */
export const CHECK_ACTIONS = [
  'warn_deadline_approaching',
  'escalate_unacknowledged',
  'remind_owner_update_due',
  'escalate_missed_update',
  'alert_resolution_overdue',
  'route_by_rule',
  'send_follow_up',
  'remind_recovery_call',
  'remind_health_check',
  'close_after_follow_up',
  'remind_review_due',
  'remind_improvement_item_overdue',
  'schedule_deletion',
] as const;
export type CheckAction = (typeof CHECK_ACTIONS)[number];

export type DeadlineKind = 'acknowledge' | 'update' | 'resolve' | 'routing' | 'follow_up' | 'review' | 'retention';

export interface ScheduledCheck {
  key: string;
  action: CheckAction;
  kind: DeadlineKind;
  /** When the check is due (the deadline itself). */
  at: string;
  /** For route_by_rule: which rule. */
  rule?: string;
  /** For remind_improvement_item_overdue: which item. */
  itemId?: string;
  /** For warn_deadline_approaching: the deadline it warns of, and the share of its target spent by `at`. */
  warning?: { deadline: string; percent: number };
}
