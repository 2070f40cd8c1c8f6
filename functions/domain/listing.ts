import type { Escalation } from './escalation';
import type { Severity, Status } from './vocabulary';

// What a list of escalations asks for, and whether a case answers it. Which index serves a
// list is storage's business (functions/adapters/list-plans.ts); whether a case belongs in it
// is decided here, on the case itself, after it is read.

export interface ListFilter {
  /** Any of these statuses (several: one query each, merged). */
  statuses?: Status[];
  severity?: Severity;
  accountId?: string;
  owner?: string;
  tier?: number;
  /** true: at least one deadline breach recorded on the case; false: none. */
  breached?: boolean;
  /** Created at or after this instant (ISO, UTC). */
  createdFrom?: string;
  /** Created at or before this instant (ISO, UTC). */
  createdTo?: string;
  /** Changed at or after this instant (ISO, UTC). */
  updatedSince?: string;
}

/** How a list is ordered: most urgent pending deadline first, newest first, or most recently changed first. */
export const LIST_ORDERS = ['deadline', 'created', 'updated'] as const;
export type ListOrder = (typeof LIST_ORDERS)[number];

export const isBreached = (escalation: Escalation) => (escalation.breaches ?? 0) > 0;

/** Whether the case, as stored now, answers the filter. */
export function matchesFilter(escalation: Escalation, filter: ListFilter): boolean {
  const at = (iso: string) => Date.parse(iso);
  return (
    (filter.statuses === undefined || filter.statuses.includes(escalation.status)) &&
    (filter.severity === undefined || escalation.severity === filter.severity) &&
    (filter.owner === undefined || escalation.owner === filter.owner) &&
    (filter.accountId === undefined || escalation.customer.accountId === filter.accountId) &&
    (filter.tier === undefined || escalation.tier === filter.tier) &&
    (filter.breached === undefined || isBreached(escalation) === filter.breached) &&
    (filter.createdFrom === undefined || at(escalation.createdAt) >= at(filter.createdFrom)) &&
    (filter.createdTo === undefined || at(escalation.createdAt) <= at(filter.createdTo)) &&
    (filter.updatedSince === undefined || at(escalation.updatedAt) >= at(filter.updatedSince))
  );
}

/**
 * The order a list comes in when the caller names none: a list by status is a work queue (most
 * urgent deadline first), a list of changes runs from the latest, anything else newest first.
 */
export function defaultOrder(filter: ListFilter): ListOrder {
  if (filter.statuses && filter.accountId === undefined && filter.owner === undefined) return 'deadline';
  if (filter.updatedSince !== undefined && filter.accountId === undefined && filter.owner === undefined) return 'updated';
  return 'created';
}
