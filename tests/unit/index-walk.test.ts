import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { walkIndex, type Lane, type LaneQuery, type LaneResult, type TableKey } from '../../functions/adapters/index-walk';

// The page-by-page walk over merged index lanes, against a model of DynamoDB's Query on a
// sorted partition (key condition, filter applied after Limit, LastEvaluatedKey). The same
// walk runs against DynamoDB Local in tests/integration/escalations-api.test.ts.

interface Entry {
  sk: string;
  id: string;
  status: string;
  kept: boolean;
}

function modelQuery(partitions: Map<string, Entry[]>, queries: LaneQuery[]) {
  return async (query: LaneQuery): Promise<LaneResult> => {
    queries.push(query);
    const sorted = [...(partitions.get(query.partition) ?? [])].sort((a, b) => (a.sk < b.sk ? -1 : 1));
    if (!query.ascending) sorted.reverse();
    const within = sorted.filter(
      (entry) =>
        (!query.lower || (query.lower.inclusive ? entry.sk >= query.lower.value : entry.sk > query.lower.value)) &&
        (!query.upper || (query.upper.inclusive ? entry.sk <= query.upper.value : entry.sk < query.upper.value)),
    );
    const evaluated = within.slice(0, query.limit);
    const passes = (entry: Entry) => Object.entries(query.filter ?? {}).every(([name, value]) => [value].flat().includes(String(entry[name as keyof Entry])));
    return {
      entries: evaluated.filter(passes).map((entry) => ({ sk: entry.sk, key: { pk: query.partition, sk: entry.id } })),
      ...(within.length > query.limit && { lastSk: evaluated[evaluated.length - 1]!.sk }),
    };
  };
}

/** Pages through the whole list; every page at most `limit` long. */
async function everyPage(lanes: Lane[], partitions: Map<string, Entry[]>, limit: number, maxRounds: number) {
  const byId = new Map([...partitions.values()].flat().map((entry) => [entry.id, entry]));
  const queries: LaneQuery[] = [];
  const seen: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await walkIndex<Entry>({
      lanes,
      limit,
      maxRounds,
      ...(after !== undefined && { after }),
      query: modelQuery(partitions, queries),
      read: async (keys: TableKey[]) => keys.map((key) => byId.get(key.sk)),
      keep: (entry) => entry.kept,
      idOf: (entry) => entry.id,
    });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    seen.push(...page.items.map((entry) => entry.id));
    if (page.after === undefined) return { seen, queries };
    after = page.after;
  }
  throw new Error('the walk never ended');
}

const instant = (day: number, second: number) => new Date(Date.UTC(2026, 0, 1) + day * 86_400_000 + second * 1000).toISOString();

describe('walking merged index lanes page by page', () => {
  it('property: several partitions merged ascending hand out every kept entry once, in order, whatever the page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ lane: fc.integer({ min: 0, max: 3 }), day: fc.integer({ min: 0, max: 60 }), second: fc.integer({ min: 0, max: 5 }), kept: fc.boolean(), status: fc.constantFrom('a', 'b') }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        async (rows, limit, maxRounds) => {
          const partitions = new Map<string, Entry[]>();
          rows.forEach((row, i) => {
            const id = `case-${String(i).padStart(3, '0')}`;
            const entries = partitions.get(`P${row.lane}`) ?? [];
            entries.push({ sk: `${instant(row.day, row.second)}#${id}`, id, status: row.status, kept: row.kept });
            partitions.set(`P${row.lane}`, entries);
          });
          const lanes: Lane[] = [0, 1, 2, 3].map((n) => ({ index: 'byStatusAndDeadline', ascending: true, partition: `P${n}`, filter: { status: 'a' } }));
          const { seen } = await everyPage(lanes, partitions, limit, maxRounds);
          const expected = [...partitions.values()].flat().filter((entry) => entry.kept && entry.status === 'a').sort((a, b) => (a.sk < b.sk ? -1 : 1)).map((entry) => entry.id);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('property: a walk by month from the newest down, within inclusive bounds, hands out every kept entry once, newest first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ day: fc.integer({ min: 0, max: 200 }), second: fc.integer({ min: 0, max: 3 }), kept: fc.boolean() }), { maxLength: 50 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        async (rows, a, b, limit, maxRounds) => {
          const [fromDay, toDay] = [Math.min(a, b), Math.max(a, b)];
          const partitions = new Map<string, Entry[]>();
          rows.forEach((row, i) => {
            const id = `case-${String(i).padStart(3, '0')}`;
            const sk = `${instant(row.day, row.second)}#${id}`;
            const entries = partitions.get(`M#${sk.slice(0, 7)}`) ?? [];
            entries.push({ sk, id, status: 'a', kept: row.kept });
            partitions.set(`M#${sk.slice(0, 7)}`, entries);
          });
          const from = instant(fromDay, 0);
          const to = `${instant(toDay, 3)}#~`;
          const lane: Lane = { index: 'byCreatedMonth', ascending: false, partition: { ofMonth: (month) => `M#${month}`, newestMonth: to.slice(0, 7), oldestMonth: from.slice(0, 7) }, from, to };
          const { seen } = await everyPage([lane], partitions, limit, maxRounds);
          const expected = [...partitions.values()].flat().filter((entry) => entry.kept && entry.sk >= from && entry.sk <= to).sort((x, y) => (x.sk < y.sk ? 1 : -1)).map((entry) => entry.id);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a page of a merged list never asks a lane for more than the page still needs', async () => {
    const partitions = new Map<string, Entry[]>([
      ['open', Array.from({ length: 30 }, (_, i) => ({ sk: `${instant(i, 0)}#o${i}`, id: `o${i}`, status: 'a', kept: true }))],
      ['acknowledged', Array.from({ length: 30 }, (_, i) => ({ sk: `${instant(i, 1)}#a${i}`, id: `a${i}`, status: 'a', kept: true }))],
    ]);
    const lanes: Lane[] = ['open', 'acknowledged'].map((partition) => ({ index: 'byStatusAndDeadline', ascending: true, partition }));
    const { seen, queries } = await everyPage(lanes, partitions, 5, 3);
    expect(seen.slice(0, 4)).toEqual(['o0', 'a0', 'o1', 'a1']);
    expect(seen).toHaveLength(60);
    for (const query of queries) expect(query.limit).toBeLessThanOrEqual(5);
  });
});
