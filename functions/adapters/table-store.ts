import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';

/** One item of a TransactWriteItems: a Put, Update, Delete or ConditionCheck. */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
import type { Backoff } from '../domain/backoff';
import type { Escalation } from '../domain/escalation';
import { walkIndex, type LaneQuery, type LaneResult } from './index-walk';
import type { Page } from '../ports/escalation-repository';
import type { ListPlan } from './list-plans';
import { DependencyUnavailableError, InvalidCursorError } from '../ports/errors';
import { retrying } from '../support/retrying';
import { TABLE_DESIGN } from './table-design';
import { itemsByKey } from './table-reads';

// What every DynamoDB store of the single table shares (functions/adapters/dynamodb-*.ts, one
// per aggregate): the table and its client, reading an item or a partition, the transaction
// with DynamoDB's throttling retried, the index lanes lists walk, and list cursors.

/** A list page reads at most this many rounds of index queries (one per lane each), then hands back a cursor. */
const MAX_ROUNDS_PER_PAGE = 10;

const KEY_ATTRIBUTES = new Set<string>([
  TABLE_DESIGN.partitionKey,
  TABLE_DESIGN.sortKey,
  ...Object.values(TABLE_DESIGN.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** TTL (epoch seconds) of every item stored with a case that has a deletion date; nothing for an open case. */
export function expiryOf(escalation: Pick<Escalation, 'retainUntil'>): { expiresAt?: number } {
  return escalation.retainUntil ? { expiresAt: Math.floor(Date.parse(escalation.retainUntil) / 1000) } : {};
}

export function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key)));
}

/** A single-item write refused by its condition. */
export const conditionFailed = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** A transaction cancelled because its first item's condition failed (the claim it is settled under, the record it writes). */
export const firstConditionFailed = (error: unknown) => error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

/** A transaction DynamoDB cancelled because an item was throttled (not because a condition failed). */
function cancelledByThrottling(error: unknown): boolean {
  return error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ThrottlingError');
}

const THROTTLED_TRANSACTION_BACKOFF: Backoff = { baseMs: 50, capMs: 2_000, jitter: 'full' };

const THROTTLED_TRANSACTION_ATTEMPTS = 6;

export const refuseCursor = () => new InvalidCursorError('cursor is not one this list returned; start again without it');

/** A list cursor: which list it belongs to (its plan's fingerprint) and the sort key the last page ended on. */
interface ListCursor {
  list: string;
  after: string;
}

const encodeListCursor = (plan: ListPlan, after: string) => Buffer.from(JSON.stringify({ list: plan.fingerprint, after } satisfies ListCursor)).toString('base64url');

/**
 * A list cursor works only on the list that handed it out (same filters and order) and must
 * hold a sort key of that list's shape: an instant or deadline ("~": none pending) followed by a
 * case id, or (walks by month) a month. Anything else is a 400 naming the cursor.
 */
function decodeListCursor(text: string | undefined, plan: ListPlan): { after?: string } {
  if (text === undefined) return {};
  let cursor: ListCursor;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ListCursor;
  } catch {
    throw refuseCursor();
  }
  if (cursor === null || typeof cursor !== 'object' || cursor.list !== plan.fingerprint || typeof cursor.after !== 'string') throw refuseCursor();
  const sortKey = /^(~|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z)#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  if (!sortKey.test(cursor.after) && !(plan.byMonth && /^\d{4}-\d{2}$/.test(cursor.after))) throw refuseCursor();
  return { after: cursor.after };
}

/** A store of one aggregate in the table. Its subclasses' public methods are the port it serves (functions/adapters/dynamodb-repository.ts joins them). */
export abstract class TableStore {
  constructor(
    protected readonly db: DynamoDBDocumentClient,
    protected readonly table: string,
  ) {}

  /**
   * TransactWriteItems, with DynamoDB's throttling of single items retried here: the SDK retries
   * a throttled request, but a transaction cancelled because one item was throttled reaches us
   * as a cancellation, which only we can tell apart from a failed condition.
   */
  protected async transact(items: TransactItem[]) {
    try {
      await retrying(() => this.db.send(new TransactWriteCommand({ TransactItems: items })), {
        backoff: THROTTLED_TRANSACTION_BACKOFF,
        maxAttempts: THROTTLED_TRANSACTION_ATTEMPTS,
        retryable: cancelledByThrottling,
      });
    } catch (error) {
      if (cancelledByThrottling(error)) throw new DependencyUnavailableError('DynamoDB kept throttling the transaction', 2, { cause: error });
      throw error;
    }
  }

  /** One item by key, as stored (keys included): the caller parses it (functions/adapters/stored-items.ts). */
  protected async item(key: Record<string, string>, consistent = false): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ...(consistent && { ConsistentRead: true }) }));
    return Item;
  }

  /** A page of a list: its plan's index lanes walked from the cursor, each key read and parsed by `parse`, kept when `keep` says so. */
  protected async listPage<T extends { id: string }>(plan: ListPlan, page: { limit: number; cursor?: string }, parse: (item: Record<string, unknown>) => T, keep: (value: T) => boolean): Promise<Page<T>> {
    const walked = await walkIndex<T>({
      lanes: plan.lanes,
      ...decodeListCursor(page.cursor, plan),
      limit: page.limit,
      maxRounds: MAX_ROUNDS_PER_PAGE,
      query: (query) => this.queryLane(query),
      read: async (keys) => {
        // Items deleted meanwhile are missing: their keys read as undefined and the walk skips them.
        const found = new Map((await this.itemsByKey(keys)).map((item) => [String(item.pk), parse(item)]));
        return keys.map((key) => found.get(key.pk));
      },
      keep,
      idOf: (value) => value.id,
    });
    return { items: walked.items, ...(walked.after !== undefined && { nextCursor: encodeListCursor(plan, walked.after) }) };
  }

  /** One Query of an index lane: the keys it holds within the bounds, in its order, filtered on what the index copies. */
  protected async queryLane(query: LaneQuery): Promise<LaneResult> {
    const keys = TABLE_DESIGN.indexes[query.index];
    const names: Record<string, string> = { '#pk': keys.partitionKey };
    const values: Record<string, unknown> = { ':pk': query.partition };
    let condition = '#pk = :pk';
    const { lower, upper } = query;
    if (lower || upper) names['#sk'] = keys.sortKey;
    // DynamoDB's only two-sided condition is BETWEEN, which includes both ends: an excluded end
    // (the cursor, where the walk resumes) comes back first and is dropped below, so the Query
    // reads one more: else a page of one would read only that entry and never move on.
    const between = lower !== undefined && upper !== undefined;
    const excludedEnd = between && (!lower.inclusive || !upper.inclusive) ? 1 : 0;
    if (lower && upper) {
      condition += ' AND #sk BETWEEN :lower AND :upper';
      Object.assign(values, { ':lower': lower.value, ':upper': upper.value });
    } else if (lower) {
      condition += ` AND #sk ${lower.inclusive ? '>=' : '>'} :lower`;
      values[':lower'] = lower.value;
    } else if (upper) {
      condition += ` AND #sk ${upper.inclusive ? '<=' : '<'} :upper`;
      values[':upper'] = upper.value;
    }
    const filters = Object.entries(query.filter ?? {}).map(([name, value], i) => {
      names[`#f${i}`] = name;
      const options = [value].flat();
      options.forEach((option, j) => (values[`:f${i}_${j}`] = option));
      return options.length === 1 ? `#f${i} = :f${i}_0` : `#f${i} IN (${options.map((_, j) => `:f${i}_${j}`).join(', ')})`;
    });
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: query.index,
        KeyConditionExpression: condition,
        ...(filters.length && { FilterExpression: filters.join(' AND ') }),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: query.ascending,
        Limit: query.limit + excludedEnd,
      }),
    );
    const excluded = (sk: string) => (lower && !lower.inclusive && sk === lower.value) || (upper && !upper.inclusive && sk === upper.value);
    return {
      entries: (result.Items ?? [])
        .map((item) => ({ sk: String(item[keys.sortKey]), key: { pk: String(item.pk), sk: String(item.sk) } }))
        .filter((entry) => !excluded(entry.sk)),
      ...(result.LastEvaluatedKey && { lastSk: String(result.LastEvaluatedKey[keys.sortKey]) }),
    };
  }

  protected itemsByKey(keys: { pk: string; sk: string }[]) {
    return itemsByKey(this.db, this.table, keys);
  }

  /** Every item of one partition, page by page (consistent reads). */
  protected async partitionItems(pk: string, skPrefix?: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk, ...(skPrefix && { ':prefix': skPrefix }) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
