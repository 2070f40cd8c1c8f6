import type { IndexName } from './table-design';

// Reading a list page by page from one or more runs of index entries ("lanes"), merged by sort
// key: a list by several statuses reads one partition per status and interleaves them by
// deadline; a list by month walks one partition per month. The cursor is the sort key of the
// last entry handed out: every lane can resume after it, because the lanes of one walk share
// one sort order (instants, or deadlines, followed by the case id, so no two entries are equal).

export type TableKey = { pk: string; sk: string };

/** Where a lane's entries live: one partition, or one per month walked from the newest down. */
export type LanePartition = string | { ofMonth: (month: string) => string; newestMonth: string; oldestMonth: string };

export interface Lane {
  index: IndexName;
  ascending: boolean;
  partition: LanePartition;
  /** Inclusive bounds on the index sort key. */
  from?: string;
  to?: string;
  /** Conditions on attributes the index copies: equal to a value, or one of several. */
  filter?: Record<string, string | string[]>;
}

/** One Query of a lane: a partition, bounds on the sort key (each inclusive or not), a filter, a page size. */
export interface LaneQuery {
  index: IndexName;
  partition: string;
  ascending: boolean;
  lower?: { value: string; inclusive: boolean };
  upper?: { value: string; inclusive: boolean };
  filter?: Record<string, string | string[]>;
  limit: number;
}

export interface LaneResult {
  /** Entries in the lane's order, within the bounds. */
  entries: { sk: string; key: TableKey }[];
  /** The sort key the Query stopped at, when the partition may hold more. */
  lastSk?: string;
}

export interface WalkOptions<T> {
  lanes: Lane[];
  /** The cursor: the sort key of the last entry handed out before. */
  after?: string;
  limit: number;
  /** Rounds of queries (one per lane each) a page may take before it hands back a cursor. */
  maxRounds: number;
  query: (query: LaneQuery) => Promise<LaneResult>;
  /** The items behind the entries, aligned with them (undefined: gone meanwhile). */
  read: (keys: TableKey[]) => Promise<(T | undefined)[]>;
  /** Whether an item, as read, belongs in the list (an index lags its table). */
  keep: (item: T) => boolean;
  idOf: (item: T) => string;
}

/** A month ("2026-05") as a bound: it sorts before every instant of that month and after every earlier one. */
const isMonth = (bound: string) => /^\d{4}-\d{2}$/.test(bound);

export const previousMonth = (month: string) => {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 2, 1)).toISOString().slice(0, 7);
};

/** The Query a lane needs next, resuming after `after`; undefined when the lane has nothing beyond it. */
function nextQuery(lane: Lane, after: string | undefined, limit: number): (LaneQuery & { month?: string }) | undefined {
  let partition: string;
  let month: string | undefined;
  if (typeof lane.partition === 'string') {
    partition = lane.partition;
  } else {
    if (lane.ascending) throw new Error('a walk by month runs from the newest month down');
    month = after === undefined ? lane.partition.newestMonth : isMonth(after) ? previousMonth(after) : after.slice(0, 7);
    if (month < lane.partition.oldestMonth) return undefined;
    partition = lane.partition.ofMonth(month);
  }
  const resume = after === undefined || isMonth(after) ? undefined : after;
  const query: LaneQuery & { month?: string } = { index: lane.index, partition, ascending: lane.ascending, limit, ...(lane.filter && { filter: lane.filter }), ...(month && { month }) };
  const start = resume !== undefined ? { value: resume, inclusive: false } : (lane.ascending ? lane.from : lane.to) !== undefined ? { value: (lane.ascending ? lane.from : lane.to)!, inclusive: true } : undefined;
  const end = (lane.ascending ? lane.to : lane.from) !== undefined ? { value: (lane.ascending ? lane.to : lane.from)!, inclusive: true } : undefined;
  if (lane.ascending) {
    if (start) query.lower = start;
    if (end) query.upper = end;
  } else {
    // A month bound caps nothing inside the previous month: its instants all sort below it.
    const cap = after !== undefined && isMonth(after) ? (lane.to !== undefined ? { value: lane.to, inclusive: true } : undefined) : start;
    if (cap) query.upper = cap;
    if (end) query.lower = end;
  }
  if (query.lower && query.upper && (query.lower.value > query.upper.value || (query.lower.value === query.upper.value && !(query.lower.inclusive && query.upper.inclusive)))) return undefined;
  return query;
}

/**
 * One page: `limit` items at most, in the lanes' merged order, each passing `keep`, and the
 * cursor to continue from (none when every lane is exhausted). An entry is handed out only
 * once every lane has been read past it, so no later page can hold one that sorts before it.
 */
export async function walkIndex<T>(options: WalkOptions<T>): Promise<{ items: T[]; after?: string }> {
  const { lanes, limit, maxRounds } = options;
  if (lanes.length === 0) return { items: [] };
  const ascending = lanes[0]!.ascending;
  if (lanes.some((lane) => lane.ascending !== ascending)) throw new Error('the lanes of one walk must run the same way');
  const precedesOrEqual = (a: string, b: string) => (ascending ? a <= b : a >= b);
  const items: T[] = [];
  const seen = new Set<string>();
  let after = options.after;

  for (let round = 0; round < maxRounds; round++) {
    const need = limit - items.length;
    const answers = await Promise.all(
      lanes.map(async (lane) => {
        const query = nextQuery(lane, after, need);
        if (!query) return { entries: [], boundary: undefined, exhausted: true };
        const result = await options.query(query);
        // Where this lane has been read up to: the last key evaluated, or the whole month.
        const boundary = result.lastSk ?? (query.month && query.month > (lane.partition as { oldestMonth: string }).oldestMonth ? query.month : undefined);
        return { entries: result.entries, boundary, exhausted: boundary === undefined };
      }),
    );
    const open = answers.filter((answer) => !answer.exhausted);
    // The least advanced lane bounds what is safe to hand out.
    const bound = open.reduce<string | undefined>((least, answer) => (least === undefined || precedesOrEqual(answer.boundary!, least) ? answer.boundary : least), undefined);
    const safe = answers
      .flatMap((answer) => answer.entries)
      .filter((entry) => bound === undefined || precedesOrEqual(entry.sk, bound))
      .sort((a, b) => (a.sk === b.sk ? 0 : precedesOrEqual(a.sk, b.sk) ? -1 : 1));
    for (let start = 0; start < safe.length; ) {
      const chunk = safe.slice(start, start + (limit - items.length));
      start += chunk.length;
      const read = await options.read(chunk.map((entry) => entry.key));
      for (let i = 0; i < chunk.length; i++) {
        const item = read[i];
        if (item === undefined || !options.keep(item) || seen.has(options.idOf(item))) continue;
        seen.add(options.idOf(item));
        items.push(item);
        if (items.length === limit) {
          // Nothing can follow the last entry of lanes that are all exhausted; anything else may.
          const last = bound === undefined && start >= safe.length && i === chunk.length - 1;
          return last ? { items } : { items, after: chunk[i]!.sk };
        }
      }
    }
    if (bound === undefined) return { items };
    after = bound;
  }
  return { items, after };
}
