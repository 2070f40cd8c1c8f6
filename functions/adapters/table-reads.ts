import { BatchGetCommand, QueryCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DependencyUnavailableError } from '../ports/errors';
import { retrying } from '../support/retrying';
import { TABLE_DESIGN } from './table-design';

/** BatchGetItem's own limit per call. */
const BATCH_GET_LIMIT = 100;
/** Unprocessed keys (throttling) are asked for again this often before the read is called unavailable. */
const MAX_BATCH_ATTEMPTS = 6;

type TableKey = { pk: string; sk: string };

/**
 * Items by table key (BatchGetItem, 100 a call, consistent), in the order given; ones deleted
 * meanwhile are left out. Keys DynamoDB leaves unprocessed (throttling) are asked for again
 * with backoff; still unprocessed after that, the read fails as unavailable.
 */
export async function itemsByKey(db: DynamoDBDocumentClient, table: string, keys: TableKey[]): Promise<Record<string, unknown>[]> {
  const found = new Map<string, Record<string, unknown>>();
  const id = (key: Record<string, unknown>) => `${String(key.pk)}\u0000${String(key.sk)}`;
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT).map(({ pk, sk }) => ({ pk, sk }));
    await retrying(
      async () => {
        const result: BatchGetCommandOutput = await db.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of result.Responses?.[table] ?? []) found.set(id(item), item);
        pending = result.UnprocessedKeys?.[table]?.Keys ?? [];
        if (pending.length) throw new DependencyUnavailableError(`DynamoDB left ${pending.length} reads unprocessed`);
      },
      { backoff: { baseMs: 50, capMs: 2_000, jitter: 'full' }, maxAttempts: MAX_BATCH_ATTEMPTS, retryable: (error) => error instanceof DependencyUnavailableError },
    );
  }
  return keys.flatMap((key): Record<string, unknown>[] => {
    const item = found.get(id(key));
    return item ? [item] : [];
  });
}

/**
 * What the owed-work index (`byOwedEmail`) holds in the given partitions: how many entries, the
 * oldest one's queue time, and the keys of those the sweep may take now. The index copies only
 * what never changes, so whether each is still owed is read from the item itself (itemsByKey).
 */
export async function owedEntries(db: DynamoDBDocumentClient, table: string, partitions: string[], now: Date): Promise<{ owed: number; oldestQueuedAt?: string; due: TableKey[] }> {
  const index = TABLE_DESIGN.indexes.byOwedEmail;
  const entries: (TableKey & { queuedAt: string; sweepFrom: string })[] = [];
  await Promise.all(
    partitions.map(async (partition) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'byOwedEmail',
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': index.partitionKey },
            ExpressionAttributeValues: { ':pk': partition },
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          entries.push({ pk: String(item.pk), sk: String(item.sk), queuedAt: String(item.queuedAt), sweepFrom: String(item[index.sortKey]).split('#')[0]! });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  const oldestQueuedAt = entries.reduce<string | undefined>((oldest, entry) => (oldest === undefined || entry.queuedAt < oldest ? entry.queuedAt : oldest), undefined);
  const due = entries.filter((entry) => entry.sweepFrom <= now.toISOString()).map(({ pk, sk }) => ({ pk, sk }));
  return { owed: entries.length, ...(oldestQueuedAt && { oldestQueuedAt }), due };
}
