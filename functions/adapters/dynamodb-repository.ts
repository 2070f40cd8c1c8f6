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
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Backoff } from '../domain/backoff';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Contact } from '../schemas/escalation';
import type { Incident, IncidentStatus } from '../domain/incidents';
import { defaultOrder, matchesFilter, type ListOrder } from '../domain/listing';
import { walkIndex, type LaneQuery, type LaneResult } from './index-walk';
import { listPlan, type ListPlan } from './list-plans';
import type {
  ClaimedEmail,
  EscalationRepository,
  IdempotencyClaim,
  KnownContact,
  ListFilter,
  MetricEvent,
  OwedEmail,
  Page,
  StoredEvent,
  StoredNotification,
  Written,
} from '../ports/escalation-repository';
import { DependencyUnavailableError, IdempotencyKeyReusedError, InvalidCursorError, VersionConflictError } from '../ports/errors';
import { retrying } from '../support/retrying';
import { policyFromItem } from './stored-policy';
import {
  CASE_PARTITION_PREFIX,
  EVENT_PREFIX,
  OWED_EMAIL_INDEX_ATTRIBUTES,
  OWED_EMAIL_SHARDS,
  owedEmailAttributes,
  owedEmailPartition,
  TABLE_DESIGN,
  caseKey,
  contactKey,
  contactPartition,
  eventIndexAttributes,
  eventKey,
  eventTypeMonthPartition,
  idempotencyKey,
  METRIC_EVENT_TYPES,
  inboundKey,
  incidentKey,
  incidentIndexAttributes,
  incidentStatusPartition,
  indexAttributes,
  outboxKey,
  sentMessageKey,
} from './table-design';

/** A list page reads at most this many rounds of index queries (one per lane each), then hands back a cursor. */
const MAX_ROUNDS_PER_PAGE = 10;
/** BatchGetItem's limit on keys per call. */
const BATCH_GET_LIMIT = 100;
/** Throttled batch reads are retried with backoff this many times before the request fails. */
const MAX_BATCH_ATTEMPTS = 6;

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

/** An incident as stored: with its place in the status index, which every write must carry (a Put replaces the item). */
const incidentItem = (incident: Incident) => ({ ...incidentKey(incident.id), ...incident, ...incidentIndexAttributes(incident) });

/** An incident as the domain sees it. */
function incidentFromItem(item: Record<string, unknown>): Incident {
  return withoutKeys(item) as unknown as Incident;
}

/** A case item (from a read, a stream image or a replayed answer) as the domain sees it, its SLA policy checked. */
export function caseFromItem(item: Record<string, unknown>): Escalation {
  const escalation = withoutKeys(item) as unknown as Escalation;
  return { ...escalation, policy: policyFromItem(escalation.id, escalation.policy) };
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
      },
      // A notification id is used once: a retried change never queues the same email again.
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
}

/** What leaves an email when it is settled: its claim, its retry time and its place in the owed index. */
const SETTLED_REMOVES = ['leaseUntil', 'claimId', 'nextAttemptAt', ...OWED_EMAIL_INDEX_ATTRIBUTES].join(', ');

interface IdempotencyRecord {
  caseId: string;
  fingerprint: string;
  /** Epoch seconds (the table's TTL attribute). */
  expiresAt: number;
  /** The case as the first request wrote it, gzipped JSON: a retry gets the same answer. */
  answer: string;
}

/** The record of a request made with an Idempotency-Key, written with the change it made. */
function idempotencyPut(table: string, claim: IdempotencyClaim, written: Escalation) {
  const record: IdempotencyRecord = {
    caseId: written.id,
    fingerprint: claim.fingerprint,
    expiresAt: Math.floor(claim.expiresAt.getTime() / 1000),
    answer: gzipSync(JSON.stringify(written)).toString('base64'),
  };
  return {
    Put: {
      TableName: table,
      Item: { ...idempotencyKey(claim.principal, claim.key), ...record },
      // TTL deletes lazily: an expired record no longer counts.
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': Math.floor(claim.now.getTime() / 1000) },
    },
  };
}

/** A transaction DynamoDB cancelled because an item was throttled (not because a condition failed). */
function cancelledByThrottling(error: unknown): boolean {
  return error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ThrottlingError');
}
const THROTTLED_TRANSACTION_BACKOFF: Backoff = { baseMs: 50, capMs: 2_000, jitter: 'full' };
const THROTTLED_TRANSACTION_ATTEMPTS = 6;

/**
 * The contact directory inbound mail consults: an entry per address and account, so an address
 * known in two accounts is seen to be (inbound mail then opens nothing by guessing).
 */
function contactEntry(escalation: Escalation, contact: Contact) {
  return {
    ...contactKey(contact.email, escalation.customer.accountId),
    accountId: escalation.customer.accountId,
    accountName: escalation.customer.name,
    ...(escalation.customer.segment && { segment: escalation.customer.segment }),
    ...(contact.name && { name: contact.name }),
  };
}

interface TimelineCursor {
  index: 'timeline';
  key?: Record<string, unknown>;
}

const encodeCursor = (cursor: TimelineCursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
const refuseCursor = () => new InvalidCursorError('cursor is not one this list returned; start again without it');

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

function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor <= to && months.length < 120) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}

export class DynamoDbEscalationRepository implements EscalationRepository {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly options: {
      /** How long a new email is the table stream's alone before the retry sweep looks at it (the claim lease). */
      owedEmailGraceMs: number;
    },
  ) {}

  async create(change: Change, claim?: IdempotencyClaim): Promise<Written> {
    const caseItem = { Put: { TableName: this.table, Item: toItem(change.next), ConditionExpression: 'attribute_not_exists(pk)' } };
    return this.writeChange(change, caseItem, claim, () => {
      throw new Error(`case ${change.next.id} already exists`);
    });
  }

  async save(change: Change, expectedVersion: number, claim?: IdempotencyClaim): Promise<Written> {
    const caseItem = {
      Put: { TableName: this.table, Item: toItem(change.next), ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } },
    };
    return this.writeChange(change, caseItem, claim, (cause) => {
      throw new VersionConflictError(`escalation ${change.next.id} changed since version ${expectedVersion}`, { cause });
    });
  }

  /**
   * One change in one transaction: the idempotency record (when the caller sent a key), the
   * case, its events and its owed emails. Retried requests race for the record: the loser
   * replays the winner's answer. Any other condition failing is the case's own (`onConflict`).
   * The contact directory is not in it: it follows the case item through the table's stream
   * (rememberContacts), which keeps an intake at four items (docs/guarantees.md).
   */
  private async writeChange(change: Change, caseItem: object, claim: IdempotencyClaim | undefined, onConflict: (cause: unknown) => never): Promise<Written> {
    const items = [
      ...(claim ? [idempotencyPut(this.table, claim, change.next)] : []),
      caseItem,
      ...eventPuts(this.table, change),
      ...outboxPuts(this.table, change, this.options.owedEmailGraceMs),
    ];
    return this.writeItems(items, change.next, claim, onConflict);
  }

  /** One transaction whose first item is the idempotency record when there is a claim (see writeChange). */
  private async writeItems(items: object[], written: Escalation, claim: IdempotencyClaim | undefined, onConflict: (cause: unknown) => never): Promise<Written> {
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
    const puts = events.map((event, index) => {
      const seq = `${stamp}#${String(index).padStart(3, '0')}`;
      return { Put: { TableName: this.table, Item: { ...eventKey(escalation.id, seq), seq, caseId: escalation.id, severity: escalation.severity, ...event, ...eventIndexAttributes(escalation.id, event) } } };
    });
    return this.writeItems([...(claim ? [idempotencyPut(this.table, claim, escalation)] : []), caseExists, ...puts], escalation, claim, (cause) => {
      throw new VersionConflictError(`escalation ${escalation.id} is not at version ${expectedVersion}`, { cause });
    });
  }

  async replayed(claim: IdempotencyClaim): Promise<Escalation | undefined> {
    const record = await this.item<IdempotencyRecord>(idempotencyKey(claim.principal, claim.key), true);
    // TTL deletes lazily: a record past its expiry no longer counts.
    if (!record || record.expiresAt < Math.floor(claim.now.getTime() / 1000)) return undefined;
    if (record.fingerprint !== claim.fingerprint) {
      throw new IdempotencyKeyReusedError(`Idempotency-Key "${claim.key}" was already used with a different request`);
    }
    return caseFromItem(JSON.parse(gunzipSync(Buffer.from(record.answer, 'base64')).toString('utf8')) as Record<string, unknown>);
  }

  /**
   * TransactWriteItems, with DynamoDB's throttling of single items retried here: the SDK retries
   * a throttled request, but a transaction cancelled because one item was throttled reaches us
   * as a cancellation, which only we can tell apart from a failed condition.
   */
  private async transact(items: object[]) {
    try {
      await retrying(() => this.db.send(new TransactWriteCommand({ TransactItems: items as never })), {
        backoff: THROTTLED_TRANSACTION_BACKOFF,
        maxAttempts: THROTTLED_TRANSACTION_ATTEMPTS,
        retryable: cancelledByThrottling,
      });
    } catch (error) {
      if (cancelledByThrottling(error)) throw new DependencyUnavailableError('DynamoDB kept throttling the transaction', 2, { cause: error });
      throw error;
    }
  }

  async get(id: string) {
    const item = await this.item<Record<string, unknown>>(caseKey(id), true);
    return item && caseFromItem(item);
  }

  async claimEmail(caseId: string, id: string, claim: { as: 'first' } | { as: 'due'; now: Date; handoffBefore: Date }, leaseUntil: Date): Promise<ClaimedEmail | undefined> {
    const claimId = randomUUID();
    // `due` is functions/domain/email-delivery.ts `isDue` in DynamoDB's words (ISO instants compare as strings).
    const condition =
      claim.as === 'first'
        ? { ConditionExpression: '#status = :pending AND attribute_not_exists(nextAttemptAt)', values: {} }
        : {
            ConditionExpression:
              '(#status = :pending AND ((attribute_not_exists(nextAttemptAt) AND queuedAt <= :handoff) OR nextAttemptAt <= :now)) OR (#status = :sending AND leaseUntil <= :now)',
            values: { ':sending': 'sending', ':now': claim.now.toISOString(), ':handoff': claim.handoffBefore.toISOString() },
          };
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(caseId, id),
          UpdateExpression: 'SET #status = :claimed, leaseUntil = :lease, claimId = :claim, attempts = attempts + :one',
          ConditionExpression: condition.ConditionExpression,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'sending', ':pending': 'pending', ':one': 1, ':lease': leaseUntil.toISOString(), ':claim': claimId, ...condition.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { pk: _pk, sk: _sk, byOwedEmailPK: _owedPk, byOwedEmailSK: _owedSk, leaseUntil: _lease, nextAttemptAt: _next, lastError: _error, ...email } = Attributes ?? {};
      return { ...(email as StoredNotification), caseId, claimId };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async settleSent(email: ClaimedEmail, messageId: string, at: Date): Promise<boolean> {
    const sentAt = at.toISOString();
    const seq = notificationSeq(email.version, email.id);
    try {
      await this.transact([
        {
          Update: {
            TableName: this.table,
            Key: outboxKey(email.caseId, email.id),
            UpdateExpression: `SET #status = :sent, messageId = :messageId, sentAt = :sentAt REMOVE ${SETTLED_REMOVES}`,
            ConditionExpression: 'claimId = :claim',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':sent': 'sent', ':messageId': messageId, ':sentAt': sentAt, ':claim': email.claimId },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              ...eventKey(email.caseId, seq),
              seq,
              type: 'email_sent',
              at: sentAt,
              actor: 'workflow',
              summary: `${email.template} sent to ${email.to.join(', ')}`,
              data: { template: email.template, to: email.to, messageId, notificationId: email.id, attempts: email.attempts },
            },
          },
        },
        // Replies quote our Message-ID: this finds their case again.
        { Put: { TableName: this.table, Item: { ...sentMessageKey(messageId), caseId: email.caseId } } },
      ]);
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async deferEmail(email: ClaimedEmail, retryAt: string, error: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(email.caseId, email.id),
          // The sweep looks at it again from its retry time on.
          UpdateExpression: 'SET #status = :pending, nextAttemptAt = :retryAt, lastError = :error, byOwedEmailSK = :sweepFrom REMOVE leaseUntil, claimId',
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':retryAt': retryAt,
            ':error': error.slice(0, 1000),
            ':claim': email.claimId,
            ':sweepFrom': owedEmailAttributes(email.caseId, email.id, retryAt).byOwedEmailSK,
          },
        }),
      );
    } catch (failure) {
      // Our lease ran out and someone else holds the email now: it is theirs to settle.
      if ((failure as Error).name !== 'ConditionalCheckFailedException') throw failure;
    }
  }

  async abandonEmail(email: ClaimedEmail, reason: string, at: Date) {
    const failedAt = at.toISOString();
    const seq = `${notificationSeq(email.version, email.id)}#failed`;
    try {
      await this.transact([
        {
          Update: {
            TableName: this.table,
            Key: outboxKey(email.caseId, email.id),
            UpdateExpression: `SET #status = :failed, failedAt = :at, lastError = :reason REMOVE ${SETTLED_REMOVES}`,
            ConditionExpression: 'claimId = :claim',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':failed': 'failed', ':at': failedAt, ':reason': reason.slice(0, 1000), ':claim': email.claimId },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              ...eventKey(email.caseId, seq),
              seq,
              type: 'email_failed',
              at: failedAt,
              actor: 'workflow',
              summary: `${email.template} to ${email.to.join(', ')} could not be sent: ${reason}`.slice(0, 2000),
              data: { template: email.template, to: email.to, notificationId: email.id, attempts: email.attempts, reason: reason.slice(0, 1000) },
            },
          },
        },
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')) throw error;
    }
  }

  async owedEmails(now: Date): Promise<{ owed: number; oldestQueuedAt?: string; candidates: OwedEmail[] }> {
    const index = TABLE_DESIGN.indexes.byOwedEmail;
    const entries: { pk: string; sk: string; queuedAt: string; sweepFrom: string }[] = [];
    await Promise.all(
      Array.from({ length: OWED_EMAIL_SHARDS }, async (_, shard) => {
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.db.send(
            new QueryCommand({
              TableName: this.table,
              IndexName: 'byOwedEmail',
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': index.partitionKey },
              ExpressionAttributeValues: { ':pk': owedEmailPartition(shard) },
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
    // The index copies only what never changes: whether each candidate is due is read from the outbox itself.
    const due = entries.filter((entry) => entry.sweepFrom <= now.toISOString());
    const candidates = (await this.itemsByKey(due))
      .filter((item) => item.status === 'pending' || item.status === 'sending')
      .map(
        (item): OwedEmail => ({
          caseId: String(item.pk).slice(CASE_PARTITION_PREFIX.length),
          id: String(item.id),
          status: item.status as OwedEmail['status'],
          queuedAt: String(item.queuedAt),
          attempts: Number(item.attempts ?? 0),
          ...(typeof item.nextAttemptAt === 'string' && { nextAttemptAt: item.nextAttemptAt }),
          ...(typeof item.leaseUntil === 'string' && { leaseUntil: item.leaseUntil }),
        }),
      );
    return { owed: entries.length, ...(oldestQueuedAt && { oldestQueuedAt }), candidates };
  }





  /** One item by key, without its key attributes. */
  private async item<T>(key: Record<string, string>, consistent = false): Promise<T | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ...(consistent && { ConsistentRead: true }) }));
    return Item ? (withoutKeys(Item) as T) : undefined;
  }

  async caseForSentMessage(sesMessageId: string) {
    return (await this.item<{ caseId: string }>(sentMessageKey(sesMessageId)))?.caseId;
  }

  async rememberContacts(escalation: Escalation, contacts: Contact[]) {
    // Plain puts: an entry says the same whoever writes it, so a repeated batch changes nothing.
    await Promise.all(contacts.map((contact) => this.db.send(new PutCommand({ TableName: this.table, Item: contactEntry(escalation, contact) }))));
  }

  async accountsForContact(email: string): Promise<KnownContact[]> {
    const { Items = [] } = await this.db.send(
      new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': contactPartition(email) }, ConsistentRead: true }),
    );
    // One entry per account the address is a contact of (sort key: the account).
    return Items.map((item) => withoutKeys(item) as unknown as KnownContact);
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
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: incidentItem(incident), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async getIncident(id: string) {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: incidentKey(id), ConsistentRead: true }));
    return Item ? incidentFromItem(Item) : undefined;
  }

  async saveIncident(incident: Incident, expectedVersion: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: incidentItem(incident),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw new VersionConflictError(`incident ${incident.id} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async list(filter: ListFilter, page: { limit: number; cursor?: string; order?: ListOrder }, now: Date): Promise<Page<Escalation>> {
    const plan = listPlan(filter, page.order ?? defaultOrder(filter), now);
    const walked = await walkIndex<Escalation>({
      lanes: plan.lanes,
      ...decodeListCursor(page.cursor, plan),
      limit: page.limit,
      maxRounds: MAX_ROUNDS_PER_PAGE,
      query: (query) => this.queryLane(query),
      read: async (keys) => {
        const found = new Map((await this.casesByKey(keys)).map((escalation) => [escalation.id, escalation]));
        return keys.map((key) => found.get(key.pk.slice(CASE_PARTITION_PREFIX.length)));
      },
      keep: (escalation) => matchesFilter(escalation, filter),
      idOf: (escalation) => escalation.id,
    });
    return { items: walked.items, ...(walked.after !== undefined && { nextCursor: encodeListCursor(plan, walked.after) }) };
  }

  async listIncidents(status: IncidentStatus, page: { limit: number; cursor?: string }): Promise<Page<Incident>> {
    const plan: ListPlan = {
      lanes: [{ index: 'byStatusAndDeadline', ascending: false, partition: incidentStatusPartition(status) }],
      byMonth: false,
      fingerprint: `incidents-${status}`,
    };
    const walked = await walkIndex<Incident>({
      lanes: plan.lanes,
      ...decodeListCursor(page.cursor, plan),
      limit: page.limit,
      maxRounds: MAX_ROUNDS_PER_PAGE,
      query: (query) => this.queryLane(query),
      read: async (keys) => {
        const found = new Map((await this.itemsByKey(keys)).map((item) => [String(item.pk), incidentFromItem(item)]));
        return keys.map((key) => found.get(key.pk));
      },
      keep: (incident) => incident.status === status,
      idOf: (incident) => incident.id,
    });
    return { items: walked.items, ...(walked.after !== undefined && { nextCursor: encodeListCursor(plan, walked.after) }) };
  }

  /** One Query of an index lane: the keys it holds within the bounds, in its order, filtered on what the index copies. */
  private async queryLane(query: LaneQuery): Promise<LaneResult> {
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

  /** Cases by table key, in the order given; ones deleted meanwhile are left out. */
  private async casesByKey(keys: { pk: string; sk: string }[]): Promise<Escalation[]> {
    return (await this.itemsByKey(keys)).map(caseFromItem);
  }

  /**
   * Items by table key (BatchGetItem, 100 a call, consistent), in the order given; ones deleted
   * meanwhile are left out. Keys DynamoDB leaves unprocessed (throttling) are asked for again
   * with backoff; still unprocessed after that, the read fails as unavailable.
   */
  private async itemsByKey(keys: { pk: string; sk: string }[]): Promise<Record<string, unknown>[]> {
    const found = new Map<string, Record<string, unknown>>();
    const id = (key: Record<string, unknown>) => `${String(key.pk)}\u0000${String(key.sk)}`;
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + BATCH_GET_LIMIT).map(({ pk, sk }) => ({ pk, sk }));
      await retrying(
        async () => {
          const result: BatchGetCommandOutput = await this.db.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
          for (const item of result.Responses?.[this.table] ?? []) found.set(id(item), item);
          pending = result.UnprocessedKeys?.[this.table]?.Keys ?? [];
          if (pending.length) throw new DependencyUnavailableError(`DynamoDB left ${pending.length} reads unprocessed`);
        },
        { backoff: THROTTLED_TRANSACTION_BACKOFF, maxAttempts: MAX_BATCH_ATTEMPTS, retryable: (error) => error instanceof DependencyUnavailableError },
      );
    }
    return keys.flatMap((key): Record<string, unknown>[] => { const item = found.get(id(key)); return item ? [item] : []; });
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
