import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import { metricFactOf } from '../domain/metric-facts';
import { defaultOrder, matchesFilter, type ListOrder } from '../domain/listing';
import { listPlan } from './list-plans';
import type { CaseStore, IdempotencyClaim, ListFilter, Page, StoredEvent, Written } from '../ports/escalation-repository';
import { IdempotencyKeyReusedError, VersionConflictError } from '../ports/errors';
import { forEachConcurrently } from '../support/concurrently';
import { EVENT_PREFIX, owedEmailAttributes, TABLE_DESIGN, caseKey, eventIndexAttributes, eventKey, idempotencyKey, idempotencyRefKey, metricFactKey, proposalKey, indexAttributes, outboxKey } from './table-design';
import { escalationFromItem, idempotencyRecordFromItem, storedEventFromItem, type IdempotencyRecord } from './stored-items';
import { TableStore, type TransactItem, expiryOf, refuseCursor, conditionFailed } from './table-store';

// The case aggregate: the case item, its timeline, the emails a change owes (queued with it),
// the idempotency records of requests that wrote it, and the metric facts and sponsorship
// proposals a change writes in the same transaction. Lists and the timeline read it back.

/** Items of a closed case given their deletion date side by side: DynamoDB takes it, and a partition holds hundreds. */
const DELETION_STAMP_CONCURRENCY = 16;

function toItem(escalation: Escalation) {
  return { ...escalation, ...caseKey(escalation.id), ...indexAttributes(escalation), ...expiryOf(escalation) };
}


const eventSeq = (version: number, index: number) => `${String(version).padStart(10, '0')}#${String(index).padStart(3, '0')}`;

/** What a timeline entry keeps of its case at that version: the facts its domain event carries (functions/domain/domain-events.ts). */
export const eventCaseFacts = (escalation: Escalation) => ({
  caseId: escalation.id,
  severity: escalation.severity,
  accountId: escalation.customer.accountId,
  caseStatus: escalation.status,
  caseTier: escalation.tier,
});

function eventPuts(table: string, change: Change) {
  return change.events.flatMap((event, index) => {
    const seq = eventSeq(change.next.version, index);
    return [
      {
        Put: {
          TableName: table,
          // Each event carries the case facts a domain event tells, so the stream's consumer need not read
          // the case; its metric fact (below) is what the metrics index reads.
          Item: { ...eventKey(change.next.id, seq), seq, ...eventCaseFacts(change.next), ...event, ...expiryOf(change.next) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...factPuts(table, change.next, [{ event, seq }]),
    ];
  });
}

/**
 * The metric facts of events (functions/domain/metric-facts.ts), written with them: the metrics
 * index reads these, which outlive the case and hold nothing personal. Each carries its case and
 * severity so the index can be read on its own. No TTL.
 */
export function factPuts(table: string, escalation: Escalation, events: { event: TimelineEvent; seq: string }[]) {
  return events.flatMap(({ event, seq }) => {
    const fact = metricFactOf(event);
    if (!fact) return [];
    return [{ Put: { TableName: table, Item: { ...metricFactKey(escalation.id, seq), caseId: escalation.id, severity: escalation.severity, ...fact, ...eventIndexAttributes(escalation.id, fact) } } }];
  });
}

/** The sponsorship proposal a change makes for its account, in the account's own item collection. */
function proposalPuts(table: string, change: Change) {
  const proposal = change.sponsorshipProposal;
  if (!proposal) return [];
  return [{ Put: { TableName: table, Item: { ...proposalKey(proposal.accountId, proposal.caseId), ...proposal } } }];
}

/** The emails a change owes, queued pending with it; the table's stream has them sent (usecases/outbox.ts). */
function outboxPuts(table: string, change: Change, owedEmailGraceMs: number) {
  return (change.notifications ?? []).map((notification) => ({
    Put: {
      TableName: table,
      Item: {
        ...outboxKey(change.next.id, notification.id),
        ...notification,
        status: 'pending',
        version: change.next.version,
        attempts: 0,
        queuedAt: change.next.updatedAt,
        // The stream sends it at once; the retry sweep looks at it only after one lease.
        ...owedEmailAttributes(change.next.id, notification.id, new Date(Date.parse(change.next.updatedAt) + owedEmailGraceMs).toISOString()),
        ...expiryOf(change.next),
      },
      // A notification id is used once: a retried change never queues the same email again.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
}

const gzipAnswer = (escalation: Escalation) => gzipSync(JSON.stringify(escalation)).toString('base64');

/**
 * The record of a request made with an Idempotency-Key, written with the change it made; the
 * case's partition points at it (the same TTL), so an erasure finds the copy of the case it holds.
 */
function idempotencyPut(table: string, claim: IdempotencyClaim, written: Escalation) {
  const key = idempotencyKey(claim.principal, claim.key);
  const record: IdempotencyRecord = {
    caseId: written.id,
    fingerprint: claim.fingerprint,
    expiresAt: Math.floor(claim.expiresAt.getTime() / 1000),
    answer: gzipAnswer(written),
  };
  return {
    Put: {
      TableName: table,
      Item: { ...key, ...record },
      // TTL deletes lazily: an expired record no longer counts.
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': Math.floor(claim.now.getTime() / 1000) },
    },
  };
}

function idempotencyRefPut(table: string, claim: IdempotencyClaim, written: Escalation) {
  const record = idempotencyKey(claim.principal, claim.key);
  return { Put: { TableName: table, Item: { ...idempotencyRefKey(written.id, record.pk), recordPk: record.pk, expiresAt: Math.floor(claim.expiresAt.getTime() / 1000) } } };
}

interface TimelineCursor {
  index: 'timeline';
  key?: Record<string, unknown>;
}

const encodeCursor = (cursor: TimelineCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

/**
 * A timeline cursor is the last key DynamoDB returned. One that does not fit the timeline it is
 * used on (another case, other attributes) is refused here rather than by DynamoDB with a 500.
 */
function decodeCursor(text: string | undefined, index: 'timeline', partition: string): TimelineCursor | undefined {
  if (text === undefined) return undefined;
  let cursor: TimelineCursor;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as TimelineCursor;
  } catch {
    throw refuseCursor();
  }
  if (cursor === null || typeof cursor !== 'object' || cursor.index !== index) throw refuseCursor();
  if (cursor.key !== undefined) {
    const expected: string[] = [TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey];
    const names = Object.keys(cursor.key ?? {});
    const shapeOk = typeof cursor.key === 'object' && names.length === expected.length && expected.every((name) => typeof cursor.key![name] === 'string');
    if (!shapeOk || cursor.key[TABLE_DESIGN.partitionKey] !== partition) throw refuseCursor();
  }
  return cursor;
}

export class DynamoDbCaseStore extends TableStore implements CaseStore {
  constructor(
    db: DynamoDBDocumentClient,
    table: string,
    private readonly options: {
      /** How long a new email is the table stream's alone before the retry sweep looks at it (the claim lease). */
      owedEmailGraceMs: number;
    },
  ) {
    super(db, table);
  }

  async create(change: Change, claim?: IdempotencyClaim): Promise<Written> {
    const caseItem = { Put: { TableName: this.table, Item: toItem(change.next), ConditionExpression: 'attribute_not_exists(pk)' } };
    return this.#writeChange(change, caseItem, claim, () => {
      throw new Error(`case ${change.next.id} already exists`);
    });
  }

  async save(change: Change, expectedVersion: number, claim?: IdempotencyClaim): Promise<Written> {
    const caseItem = {
      Put: { TableName: this.table, Item: toItem(change.next), ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } },
    };
    return this.#writeChange(change, caseItem, claim, (cause) => {
      throw new VersionConflictError(`escalation ${change.next.id} changed since version ${expectedVersion}`, { cause });
    });
  }

  /**
   * One change in one transaction: the idempotency record (when the caller sent a key), the
   * case, its events and its owed emails. Retried requests race for the record: the loser
   * replays the winner's answer. Any other condition failing is the case's own (`onConflict`).
   * The contact directory is not in it: it follows the case item through the table's stream
   * (rememberContacts), which keeps an intake at four items, six with an Idempotency-Key (the
   * record and its reference, which erasure reads) (docs/guarantees.md).
   */
  async #writeChange(change: Change, caseItem: TransactItem, claim: IdempotencyClaim | undefined, onConflict: (cause: unknown) => never): Promise<Written> {
    const items = [
      ...(claim ? [idempotencyPut(this.table, claim, change.next), idempotencyRefPut(this.table, claim, change.next)] : []),
      caseItem,
      ...eventPuts(this.table, change),
      ...outboxPuts(this.table, change, this.options.owedEmailGraceMs),
      ...proposalPuts(this.table, change),
    ];
    return this.#writeItems(items, change.next, claim, onConflict);
  }

  /** One transaction whose first item is the idempotency record when there is a claim (see writeChange). */
  async #writeItems(items: TransactItem[], written: Escalation, claim: IdempotencyClaim | undefined, onConflict: (cause: unknown) => never): Promise<Written> {
    try {
      await this.transact(items);
      return { escalation: written, replayed: false };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (claim && reasons[0]?.Code === 'ConditionalCheckFailed') {
        const first = await this.replayed(claim);
        if (first) return { escalation: first, replayed: true };
      }
      if (reasons.some((reason) => reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict')) onConflict(error);
      throw error;
    }
  }

  async append(escalation: Escalation, events: TimelineEvent[], expectedVersion: number | undefined, claim?: IdempotencyClaim): Promise<Written> {
    // Appended events sort after the events of the version they were added to, in time order.
    const stamp = `${String(escalation.version).padStart(10, '0')}#a:${new Date().toISOString()}:${randomUUID().slice(0, 8)}`;
    const caseExists = {
      ConditionCheck: {
        TableName: this.table,
        Key: caseKey(escalation.id),
        ConditionExpression: expectedVersion === undefined ? 'attribute_exists(pk)' : 'version = :expected',
        ...(expectedVersion !== undefined && { ExpressionAttributeValues: { ':expected': expectedVersion } }),
      },
    };
    const puts = events.flatMap((event, index) => {
      const seq = `${stamp}#${String(index).padStart(3, '0')}`;
      return [
        { Put: { TableName: this.table, Item: { ...eventKey(escalation.id, seq), seq, ...eventCaseFacts(escalation), ...event, ...expiryOf(escalation) } } },
        ...factPuts(this.table, escalation, [{ event, seq }]),
      ];
    });
    const idempotency = claim ? [idempotencyPut(this.table, claim, escalation), idempotencyRefPut(this.table, claim, escalation)] : [];
    return this.#writeItems([...idempotency, caseExists, ...puts], escalation, claim, (cause) => {
      throw new VersionConflictError(`escalation ${escalation.id} is not at version ${expectedVersion}`, { cause });
    });
  }

  async replayed(claim: IdempotencyClaim): Promise<Escalation | undefined> {
    const item = await this.item(idempotencyKey(claim.principal, claim.key), true);
    const record = item && idempotencyRecordFromItem(item);
    // TTL deletes lazily: a record past its expiry no longer counts.
    if (!record || record.expiresAt < Math.floor(claim.now.getTime() / 1000)) return undefined;
    if (record.fingerprint !== claim.fingerprint) {
      throw new IdempotencyKeyReusedError(`Idempotency-Key "${claim.key}" was already used with a different request`);
    }
    return escalationFromItem(JSON.parse(gunzipSync(Buffer.from(record.answer, 'base64')).toString('utf8')) as Record<string, unknown>);
  }

  async get(id: string) {
    const item = await this.item(caseKey(id), true);
    return item && escalationFromItem(item);
  }

  async list(filter: ListFilter, page: { limit: number; cursor?: string; order?: ListOrder }, now: Date): Promise<Page<Escalation>> {
    const plan = listPlan(filter, page.order ?? defaultOrder(filter), now);
    return this.listPage(plan, page, escalationFromItem, (escalation) => matchesFilter(escalation, filter));
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
    const items = (result.Items ?? []).map(storedEventFromItem);
    return {
      items,
      ...(result.LastEvaluatedKey && { nextCursor: encodeCursor({ index: 'timeline', key: result.LastEvaluatedKey }) }),
    };
  }

  async scheduleDeletion(caseId: string, retainUntil: string) {
    const expiresAt = Math.floor(Date.parse(retainUntil) / 1000);
    const unstamped = (await this.partitionItems(caseKey(caseId).pk)).filter((item) => item.expiresAt !== expiresAt);
    await forEachConcurrently(unstamped, DELETION_STAMP_CONCURRENCY, async (item) => {
      try {
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET expiresAt = :expiresAt',
            // Never brings back an item deleted meanwhile.
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':expiresAt': expiresAt },
          }),
        );
      } catch (error) {
        if (!conditionFailed(error)) throw error;
      }
    });
    return { items: unstamped.length };
  }
}
