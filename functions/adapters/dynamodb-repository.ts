import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { Change, Escalation } from '../domain/escalation';
import type { Incident } from '../domain/incidents';
import type { EscalationRepository, IdempotencyClaim, KnownContact, ListFilter, MetricEvent, Page, StoredEvent, StoredNotification } from '../ports/escalation-repository';
import { IdempotencyKeyReusedError, InvalidCursorError, VersionConflictError } from '../usecases/errors';
import {
  EVENT_PREFIX,
  OUTBOX_PREFIX,
  TABLE_DESIGN,
  accountPartition,
  caseKey,
  contactKey,
  eventIndexAttributes,
  eventKey,
  eventTypeMonthPartition,
  idempotencyKey,
  METRIC_EVENT_TYPES,
  inboundKey,
  incidentKey,
  indexAttributes,
  LIST_FILTER_ATTRIBUTES,
  monthPartition,
  outboxKey,
  ownerPartition,
  sentMessageKey,
  statusPartition,
  type IndexName,
} from './table-design';

/** How far back an unfiltered list walks the by-month index. Filtered lists have no such bound. */
const UNFILTERED_LIST_MONTHS = 24;
/** Filtered queries read at most this many pages per request, then hand back a cursor. */
const MAX_PAGES_PER_REQUEST = 10;
/** BatchGetItem's limit on keys per call. */
const BATCH_GET_LIMIT = 100;
/** Throttled batch reads are retried with backoff this many times before the request fails. */
const MAX_BATCH_ATTEMPTS = 6;

function matches(escalation: Escalation, filter: ListFilter): boolean {
  return (
    (filter.status === undefined || escalation.status === filter.status) &&
    (filter.severity === undefined || escalation.severity === filter.severity) &&
    (filter.owner === undefined || escalation.owner === filter.owner) &&
    (filter.accountId === undefined || escalation.customer.accountId === filter.accountId)
  );
}

const KEY_ATTRIBUTES = new Set<string>([
  TABLE_DESIGN.partitionKey,
  TABLE_DESIGN.sortKey,
  ...Object.values(TABLE_DESIGN.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
]);

function toItem(escalation: Escalation) {
  return { ...escalation, ...caseKey(escalation.id), ...indexAttributes(escalation) };
}

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key)));
}

/** A case item (from a read or a stream image) as the domain sees it. */
export function caseFromItem(item: Record<string, unknown>): Escalation {
  return withoutKeys(item) as unknown as Escalation;
}

const eventSeq = (version: number, index: number) => `${String(version).padStart(10, '0')}#${String(index).padStart(3, '0')}`;
// Sorts after the change's own events ("n" follows the digits), unique per notification.
const notificationSeq = (version: number, notificationId: string) => `${String(version).padStart(10, '0')}#n:${notificationId}`;

function eventPuts(table: string, change: Change) {
  return change.events.map((event, index) => {
    const seq = eventSeq(change.next.version, index);
    return {
      Put: {
        TableName: table,
        // Each event carries its case and severity so the metrics index can be read on its own.
        Item: { ...eventKey(change.next.id, seq), seq, caseId: change.next.id, severity: change.next.severity, ...event, ...eventIndexAttributes(change.next.id, event) },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  });
}

/** The emails a change owes, queued pending with it; the table's stream has them sent (usecases/case-changes.ts). */
function outboxPuts(table: string, change: Change) {
  return (change.notifications ?? []).map((notification) => ({
    Put: {
      TableName: table,
      Item: { ...outboxKey(change.next.id, notification.id), ...notification, status: 'pending', version: change.next.version, attempts: 0 },
      // A notification id is used once: a retried change never queues the same email again.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
}

/** The contact directory inbound mail consults: every contact of a new case, latest account wins. */
function contactPuts(table: string, escalation: Escalation) {
  return escalation.customer.contacts.map((contact) => ({
    Put: {
      TableName: table,
      Item: {
        ...contactKey(contact.email),
        accountId: escalation.customer.accountId,
        accountName: escalation.customer.name,
        ...(escalation.customer.segment && { segment: escalation.customer.segment }),
        ...(contact.name && { name: contact.name }),
      },
    },
  }));
}

interface Cursor {
  index: IndexName | 'timeline';
  month?: string;
  key?: Record<string, unknown>;
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/**
 * A cursor is the last key DynamoDB returned. One that does not fit the list it is used
 * on (another index, another partition, other attributes) is refused here rather than
 * by DynamoDB with a 500.
 */
function decodeCursor(text: string | undefined, index: Cursor['index'], partition?: string): Cursor | undefined {
  if (text === undefined) return undefined;
  const refuse = () => new InvalidCursorError('cursor is not one this list returned; start again without it');
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw refuse();
  }
  if (cursor === null || typeof cursor !== 'object' || cursor.index !== index) throw refuse();
  if (cursor.month !== undefined && !/^\d{4}-\d{2}$/.test(String(cursor.month))) throw refuse();
  if (cursor.key !== undefined) {
    const expected: string[] = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey];
    if (index !== 'timeline') expected.push(TABLE_DESIGN.indexes[index].partitionKey, TABLE_DESIGN.indexes[index].sortKey);
    const names = Object.keys(cursor.key ?? {});
    const shapeOk =
      typeof cursor.key === 'object' &&
      names.length === expected.length &&
      expected.every((name) => typeof cursor.key![name] === 'string');
    const partitionName = index === 'timeline' ? TABLE_DESIGN.partitionKey : TABLE_DESIGN.indexes[index].partitionKey;
    const expectedPartition = cursor.month ? monthPartition(cursor.month) : partition;
    if (!shapeOk || (expectedPartition !== undefined && cursor.key[partitionName] !== expectedPartition)) throw refuse();
  }
  return cursor;
}

function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor <= to && months.length < 120) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}

const previousMonth = (month: string) => {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, m - 2, 1)).toISOString().slice(0, 7);
};

export class DynamoDbEscalationRepository implements EscalationRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(change: Change, claim?: IdempotencyClaim) {
    const items = [
      { Put: { TableName: this.table, Item: toItem(change.next), ConditionExpression: 'attribute_not_exists(pk)' } },
      ...eventPuts(this.table, change),
      ...outboxPuts(this.table, change),
      ...contactPuts(this.table, change.next),
    ];
    if (claim) {
      items.unshift({
        Put: {
          TableName: this.table,
          Item: {
            ...idempotencyKey(claim.principal, claim.key),
            caseId: change.next.id,
            fingerprint: claim.fingerprint,
            expiresAt: Math.floor(claim.expiresAt.getTime() / 1000),
          },
          // TTL deletes lazily: an expired record no longer counts.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': Math.floor(claim.now.getTime() / 1000) },
        } as never,
      });
    }
    // Concurrent retries of one request race for the idempotency record: the loser sees either
    // the winner's record (replay it) or, mid-flight, a transaction conflict (try again).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items }));
        return { escalation: change.next, replayed: false };
      } catch (error) {
        const reason = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0]?.Code : undefined;
        if (claim && reason === 'ConditionalCheckFailed') return { escalation: await this.replay(claim), replayed: true };
        if (claim && reason === 'TransactionConflict' && attempt < 5) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
          continue;
        }
        throw error;
      }
    }
  }

  private async replay(claim: IdempotencyClaim): Promise<Escalation> {
    const record = await this.item<{ caseId: string; fingerprint: string }>(idempotencyKey(claim.principal, claim.key), true);
    if (!record || record.fingerprint !== claim.fingerprint) {
      throw new IdempotencyKeyReusedError(`Idempotency-Key "${claim.key}" was already used with a different request`);
    }
    const escalation = await this.get(record.caseId);
    if (!escalation) throw new Error(`idempotency record points at missing case ${record.caseId}`);
    return escalation;
  }

  async get(id: string) {
    return this.item<Escalation>(caseKey(id), true);
  }

  async save(change: Change, expectedVersion: number) {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: toItem(change.next),
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expectedVersion },
              },
            },
            ...eventPuts(this.table, change),
            ...outboxPuts(this.table, change),
          ],
        }),
      );
    } catch (error) {
      const conflict =
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.some((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict');
      if (conflict) throw new VersionConflictError(`escalation ${change.next.id} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async pendingNotifications(caseId: string): Promise<StoredNotification[]> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
        FilterExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': caseKey(caseId).pk, ':outbox': OUTBOX_PREFIX, ':pending': 'pending' },
        ConsistentRead: true,
      }),
    );
    return (result.Items ?? []).map(({ pk: _pk, sk: _sk, ...item }) => item as StoredNotification);
  }

  async claimNotification(caseId: string, id: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(caseId, id),
          UpdateExpression: 'SET #status = :sending, attempts = attempts + :one',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':sending': 'sending', ':pending': 'pending', ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async settleNotification(caseId: string, notification: StoredNotification, outcome: { messageId: string } | { error: string }, at: Date) {
    const key = outboxKey(caseId, notification.id);
    if ('error' in outcome) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET #status = :pending, lastError = :error',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':error': outcome.error.slice(0, 1000) },
        }),
      );
      return;
    }
    const sentAt = at.toISOString();
    const seq = notificationSeq(notification.version, notification.id);
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.table,
              Key: key,
              UpdateExpression: 'SET #status = :sent, messageId = :messageId, sentAt = :sentAt',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':sent': 'sent', ':messageId': outcome.messageId, ':sentAt': sentAt },
            },
          },
          {
            Put: {
              TableName: this.table,
              Item: {
                ...eventKey(caseId, seq),
                seq,
                type: 'email_sent',
                at: sentAt,
                actor: 'workflow',
                summary: `${notification.template} sent to ${notification.to.join(', ')}`,
                data: { template: notification.template, to: notification.to, messageId: outcome.messageId, notificationId: notification.id },
              },
            },
          },
          // Replies quote our Message-ID: this finds their case again.
          { Put: { TableName: this.table, Item: { ...sentMessageKey(outcome.messageId), caseId } } },
        ],
      }),
    );
  }

  /** One item by key, without its key attributes. */
  private async item<T>(key: Record<string, string>, consistent = false): Promise<T | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ...(consistent && { ConsistentRead: true }) }));
    return Item ? (withoutKeys(Item) as T) : undefined;
  }

  async caseForSentMessage(sesMessageId: string) {
    return (await this.item<{ caseId: string }>(sentMessageKey(sesMessageId)))?.caseId;
  }

  async accountForContact(email: string) {
    return this.item<KnownContact>(contactKey(email));
  }

  async claimInboundMessage(messageId: string, expiresAt: Date) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: inboundKey(messageId),
          UpdateExpression: 'SET #status = :taken, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :released',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':taken': 'taken', ':released': 'released', ':expiresAt': Math.floor(expiresAt.getTime() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async releaseInboundMessage(messageId: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: inboundKey(messageId),
        UpdateExpression: 'SET #status = :released',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':released': 'released' },
      }),
    );
  }

  async metricEvents(range: { from: Date; to: Date }, severity?: string): Promise<MetricEvent[]> {
    const events: MetricEvent[] = [];
    const months = monthsBetween(range.from, range.to);
    const index = TABLE_DESIGN.indexes.byEventTypeAndMonth;
    await Promise.all(
      METRIC_EVENT_TYPES.flatMap((type) =>
        months.map(async (month) => {
          let startKey: Record<string, unknown> | undefined;
          do {
            const result = await this.db.send(
              new QueryCommand({
                TableName: this.table,
                IndexName: 'byEventTypeAndMonth',
                KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
                ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey, ...(severity && { '#severity': 'severity' }) },
                ExpressionAttributeValues: {
                  ':pk': eventTypeMonthPartition(type, month),
                  ':from': range.from.toISOString(),
                  ':to': `${range.to.toISOString()}~`,
                  ...(severity && { ':severity': severity }),
                },
                ...(severity && { FilterExpression: '#severity = :severity' }),
                ExclusiveStartKey: startKey,
              }),
            );
            for (const item of result.Items ?? []) {
              events.push({ caseId: item.caseId, severity: item.severity, type: item.type, at: item.at, data: item.data ?? {} } as MetricEvent);
            }
            startKey = result.LastEvaluatedKey;
          } while (startKey);
        }),
      ),
    );
    return events;
  }

  async createIncident(incident: Incident) {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...incidentKey(incident.id), ...incident }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async getIncident(id: string) {
    return this.item<Incident>(incidentKey(id), true);
  }

  async saveIncident(incident: Incident, expectedVersion: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...incidentKey(incident.id), ...incident },
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw new VersionConflictError(`incident ${incident.id} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async list(filter: ListFilter, page: { limit: number; cursor?: string }, now: Date): Promise<Page<Escalation>> {
    const { index, partition, ascending, filters } = this.planList(filter);
    const cursor = decodeCursor(page.cursor, index, partition);
    const items: Escalation[] = [];
    let month = index === 'byCreatedMonth' ? (cursor?.month ?? now.toISOString().slice(0, 7)) : undefined;
    let startKey = cursor?.key;
    let monthsLeft = UNFILTERED_LIST_MONTHS;
    let exhausted = false;

    for (let pages = 0; pages < MAX_PAGES_PER_REQUEST && items.length < page.limit && !exhausted; pages++) {
      const keys = TABLE_DESIGN.indexes[index];
      const input: QueryCommandInput = {
        TableName: this.table,
        IndexName: index,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': keys.partitionKey },
        ExpressionAttributeValues: { ':pk': month ? monthPartition(month) : partition },
        ScanIndexForward: ascending,
        Limit: page.limit - items.length,
        ExclusiveStartKey: startKey,
      };
      if (filters.length) {
        input.FilterExpression = filters.map(([name]) => `#f_${name} = :f_${name}`).join(' AND ');
        for (const [name, value] of filters) {
          input.ExpressionAttributeNames![`#f_${name}`] = name;
          input.ExpressionAttributeValues![`:f_${name}`] = value;
        }
      }
      const result = await this.db.send(new QueryCommand(input));
      // The index copies only the filter attributes: read the cases themselves, and keep those
      // that still match (an index lags its table by a moment).
      const cases = await this.casesByKey((result.Items ?? []).map((item) => ({ pk: item.pk as string, sk: item.sk as string })));
      items.push(...cases.filter((escalation) => matches(escalation, filter)));
      startKey = result.LastEvaluatedKey;
      if (!startKey) {
        // An unfiltered list goes on in the month before, until the walk's bound.
        if (month && --monthsLeft > 0) month = previousMonth(month);
        else exhausted = true;
      }
    }
    return {
      items,
      ...(!exhausted && { nextCursor: encodeCursor({ index, ...(month && { month }), ...(startKey && { key: startKey }) }) }),
    };
  }

  /** Cases by table key, in the order given; ones deleted meanwhile are left out. */
  private async casesByKey(keys: { pk: string; sk: string }[]): Promise<Escalation[]> {
    const found = new Map<string, Escalation>();
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(start, start + BATCH_GET_LIMIT);
      for (let attempt = 1; pending?.length; attempt++) {
        if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
        const result: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending } } }));
        for (const item of result.Responses?.[this.table] ?? []) found.set(item.pk as string, caseFromItem(item));
        pending = result.UnprocessedKeys?.[this.table]?.Keys;
        if (pending?.length && attempt >= MAX_BATCH_ATTEMPTS) throw new Error(`DynamoDB left ${pending.length} case reads unprocessed after ${attempt} attempts`);
      }
    }
    return keys.flatMap((key) => found.get(key.pk) ?? []);
  }

  private planList(filter: ListFilter) {
    // The index filters only on what it copies: the same list as the projection in TABLE_DESIGN.
    const rest = (...used: (keyof ListFilter)[]) =>
      LIST_FILTER_ATTRIBUTES
        .filter((name) => !used.includes(name) && filter[name] !== undefined)
        .map((name) => [name, filter[name]] as [string, string]);
    if (filter.accountId) {
      return { index: 'byAccount' as const, partition: accountPartition(filter.accountId), ascending: false, filters: rest() };
    }
    if (filter.owner) {
      return { index: 'byOwner' as const, partition: ownerPartition(filter.owner), ascending: false, filters: rest('owner') };
    }
    if (filter.status) {
      return { index: 'byStatusAndDeadline' as const, partition: statusPartition(filter.status), ascending: true, filters: rest('status') };
    }
    return { index: 'byCreatedMonth' as const, partition: undefined, ascending: false, filters: rest() };
  }

  async timeline(id: string, page: { limit: number; cursor?: string }): Promise<Page<StoredEvent>> {
    const cursor = decodeCursor(page.cursor, 'timeline', caseKey(id).pk);
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: { ':pk': caseKey(id).pk, ':events': EVENT_PREFIX },
        Limit: page.limit,
        ExclusiveStartKey: cursor?.key,
        ConsistentRead: true,
      }),
    );
    const items = (result.Items ?? []).map((item) => {
      const { caseId: _caseId, severity: _severity, ...event } = withoutKeys(item);
      return event as unknown as StoredEvent;
    });
    return {
      items,
      ...(result.LastEvaluatedKey && { nextCursor: encodeCursor({ index: 'timeline', key: result.LastEvaluatedKey }) }),
    };
  }
}
