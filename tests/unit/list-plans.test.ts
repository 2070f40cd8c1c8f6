import { describe, expect, it } from 'vitest';
import { listPlan, UNFILTERED_LIST_MONTHS } from '../../functions/adapters/list-plans';
import { defaultOrder, type ListFilter } from '../../functions/domain/listing';

const NOW = new Date('2026-05-20T10:00:00Z');
const plan = (filter: ListFilter) => listPlan(filter, defaultOrder(filter), NOW);
const monthsOf = (filter: ListFilter) => {
  const partition = plan(filter).lanes[0]!.partition;
  return typeof partition === 'string' ? partition : [partition.newestMonth, partition.oldestMonth, partition.ofMonth(partition.newestMonth)];
};

describe('which index serves a list', () => {
  it('several statuses: one lane per status on byStatusAndDeadline, filtered there on what the index copies', () => {
    const { lanes } = plan({ statuses: ['open', 'acknowledged'], severity: 'high', breached: true });
    expect(lanes).toEqual([
      { index: 'byStatusAndDeadline', ascending: true, partition: 'STATUS#open', filter: { severity: 'high' } },
      { index: 'byStatusAndDeadline', ascending: true, partition: 'STATUS#acknowledged', filter: { severity: 'high' } },
    ]);
  });

  it('by deadline without statuses: every active status', () => {
    const { lanes } = listPlan({ owner: 'kim@example.com' }, 'deadline', NOW);
    expect(lanes.map((lane) => lane.partition)).toEqual(['STATUS#open', 'STATUS#acknowledged', 'STATUS#in_progress', 'STATUS#waiting_on_customer']);
    expect(lanes[0]!.filter).toEqual({ owner: 'kim@example.com' });
  });

  it('an account or an owner: its own index, newest first, creation times as bounds on the sort key, statuses as a filter', () => {
    expect(plan({ accountId: 'acme', statuses: ['open', 'resolved'], createdFrom: '2026-01-01T00:00:00.000Z', createdTo: '2026-02-01T00:00:00.000Z' }).lanes).toEqual([
      { index: 'byAccount', ascending: false, partition: 'ACCOUNT#acme', from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z#~', filter: { status: ['open', 'resolved'] } },
    ]);
    expect(plan({ owner: 'kim@example.com', severity: 'low' }).lanes).toEqual([{ index: 'byOwner', ascending: false, partition: 'OWNER#kim@example.com', filter: { severity: 'low' } }]);
  });

  it('nothing narrower: byCreatedMonth month by month, from createdTo (or now) down to createdFrom (or the walk\'s bound)', () => {
    expect(monthsOf({})).toEqual(['2026-05', '2024-06', 'MONTH#2026-05']);
    expect(UNFILTERED_LIST_MONTHS).toBe(24);
    expect(monthsOf({ createdFrom: '2025-11-03T00:00:00.000Z', createdTo: '2026-01-15T00:00:00.000Z' })).toEqual(['2026-01', '2025-11', 'MONTH#2026-01']);
  });

  it('changed since: byUpdatedMonth from now down to the month of updatedSince, bounded below by it', () => {
    const { lanes } = plan({ updatedSince: '2026-03-10T08:00:00.000Z', tier: 2 });
    expect(lanes[0]).toMatchObject({ index: 'byUpdatedMonth', ascending: false, from: '2026-03-10T08:00:00.000Z' });
    expect(monthsOf({ updatedSince: '2026-03-10T08:00:00.000Z' })).toEqual(['2026-05', '2026-03', 'UPDATED#2026-05']);
  });

  it('a cursor belongs to one list: the same filters in any order give the same fingerprint, others another', () => {
    const a = plan({ statuses: ['open', 'acknowledged'], severity: 'high' }).fingerprint;
    expect(plan({ severity: 'high', statuses: ['acknowledged', 'open'] }).fingerprint).toBe(a);
    expect(plan({ statuses: ['open', 'acknowledged'], severity: 'low' }).fingerprint).not.toBe(a);
    expect(listPlan({ statuses: ['open', 'acknowledged'], severity: 'high' }, 'created', NOW).fingerprint).not.toBe(a);
  });
});
