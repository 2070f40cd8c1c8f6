import { createHash } from 'node:crypto';
import { ACTIVE_STATUSES } from '../domain/vocabulary';
import type { ListFilter, ListOrder } from '../domain/listing';
import type { Lane } from './index-walk';
import { accountPartition, monthPartition, ownerPartition, statusPartition, updatedMonthPartition, LIST_FILTER_ATTRIBUTES } from './table-design';

/** How far back a list walks the by-month indexes when nothing bounds it. */
export const UNFILTERED_LIST_MONTHS = 24;

/** Sorts after every instant and every case id: an inclusive upper bound "up to this instant, any case". */
const END_OF_INSTANT = '#~';

export interface ListPlan {
  lanes: Lane[];
  /** Whether a cursor may stand on a month boundary (walks by month). */
  byMonth: boolean;
  /** Identifies the list (filter and order): a cursor is good for this list only. */
  fingerprint: string;
}

const monthsBack = (now: Date, months: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months + 1, 1)).toISOString().slice(0, 7);

/**
 * Which index serves a list, and how. Every plan is Queries on indexes named for their access
 * pattern (no Scan); the filters an index copies the attributes of (status, severity, owner)
 * are applied by DynamoDB, the rest to the cases read (functions/domain/listing.ts).
 *
 * - by deadline: byStatusAndDeadline, one partition per status asked for (all active ones when
 *   none), merged by deadline.
 * - newest first: byAccount or byOwner when the list names one (createdFrom/To bound the sort
 *   key), else byCreatedMonth month by month from createdTo (or now) down to createdFrom (or
 *   UNFILTERED_LIST_MONTHS back).
 * - most recently changed first: byUpdatedMonth month by month from now down to updatedSince.
 */
export function listPlan(filter: ListFilter, order: ListOrder, now: Date): ListPlan {
  const copied = (...fixed: (typeof LIST_FILTER_ATTRIBUTES)[number][]): Record<string, string | string[]> => {
    const values: Record<string, string | string[] | undefined> = { status: filter.statuses, severity: filter.severity, owner: filter.owner };
    return Object.fromEntries(LIST_FILTER_ATTRIBUTES.filter((name) => !fixed.includes(name) && values[name] !== undefined).map((name) => [name, values[name]!]));
  };
  const withFilter = (filter: Record<string, string | string[]>) => (Object.keys(filter).length ? { filter } : {});
  const created = { ...(filter.createdFrom && { from: filter.createdFrom }), ...(filter.createdTo && { to: `${filter.createdTo}${END_OF_INSTANT}` }) };
  let lanes: Lane[];
  let byMonth = false;
  if (order === 'deadline') {
    const statuses = filter.statuses ?? [...ACTIVE_STATUSES];
    lanes = statuses.map((status) => ({ index: 'byStatusAndDeadline', ascending: true, partition: statusPartition(status), ...withFilter(copied('status')) }));
  } else if (order === 'created' && filter.accountId !== undefined) {
    lanes = [{ index: 'byAccount', ascending: false, partition: accountPartition(filter.accountId), ...created, ...withFilter(copied()) }];
  } else if (order === 'created' && filter.owner !== undefined) {
    lanes = [{ index: 'byOwner', ascending: false, partition: ownerPartition(filter.owner), ...created, ...withFilter(copied('owner')) }];
  } else if (order === 'created') {
    byMonth = true;
    const newestMonth = (filter.createdTo ?? now.toISOString()).slice(0, 7);
    const oldestMonth = filter.createdFrom?.slice(0, 7) ?? monthsBack(now, UNFILTERED_LIST_MONTHS);
    lanes = [{ index: 'byCreatedMonth', ascending: false, partition: { ofMonth: (month) => monthPartition(month), newestMonth, oldestMonth }, ...created, ...withFilter(copied()) }];
  } else {
    byMonth = true;
    const oldestMonth = filter.updatedSince?.slice(0, 7) ?? monthsBack(now, UNFILTERED_LIST_MONTHS);
    lanes = [
      {
        index: 'byUpdatedMonth',
        ascending: false,
        partition: { ofMonth: (month) => updatedMonthPartition(month), newestMonth: now.toISOString().slice(0, 7), oldestMonth },
        ...(filter.updatedSince && { from: filter.updatedSince }),
        ...withFilter(copied()),
      },
    ];
  }
  return { lanes, byMonth, fingerprint: fingerprintOf(filter, order) };
}

/** The same filter and order give the same fingerprint, whatever order the fields came in. */
function fingerprintOf(filter: ListFilter, order: ListOrder): string {
  const normalised = Object.fromEntries(
    Object.entries({ ...filter, ...(filter.statuses && { statuses: [...new Set(filter.statuses)].sort() }) })
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return createHash('sha256').update(JSON.stringify({ order, filter: normalised })).digest('base64url').slice(0, 16);
}
