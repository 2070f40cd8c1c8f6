import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Backoff } from '../domain/backoff';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import { METRIC_EVENT_TYPES, metricFactOf } from '../domain/metric-facts';
import { erasedId, erasePersonalData } from '../domain/erasure';
import type { ContactDetails } from '../domain/commands';
import type { Incident, IncidentStatus } from '../domain/incidents';
import { defaultOrder, matchesFilter, type ListOrder } from '../domain/listing';
import { walkIndex, type LaneQuery, type LaneResult } from './index-walk';
import { listPlan, type ListPlan } from './list-plans';
import type {
  AccountRecords,
  ErasureRecord,
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
import { DependencyUnavailableError, IdempotencyKeyReusedError, InvalidCursorError, UnreadableStoredItemError, VersionConflictError } from '../ports/errors';
import type { AccountProfile, SponsorshipDecision } from '../domain/sponsorship';
import type { SponsorshipProposal } from '../domain/escalation';
import { forEachConcurrently } from '../support/concurrently';
import * as z from 'zod';
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
  inboundKey,
  incidentKey,
  incidentIndexAttributes,
  incidentStatusPartition,
  idempotencyRefKey,
  metricFactKey,
  proposalKey,
  accountContactKey,
  accountItemsPartition,
  accountProfileKey,
  erasureKey,
  IDEMPOTENCY_REF_PREFIX,
  PROPOSAL_PREFIX,
  ACCOUNT_CONTACT_PREFIX,
  indexAttributes,
  outboxKey,
  sentMessageKey,
} from './table-design';
import { itemsByKey, owedEntries } from './table-reads';

/** Items of a closed case given their deletion date side by side: DynamoDB takes it, and a partition holds hundreds. */
const DELETION_STAMP_CONCURRENCY = 16;

/** The account's sponsorship as stored, checked: a profile this version cannot read stops with its key named. */
const StoredDecision = z.looseObject({ status: z.enum(['enrolled', 'declined']), sponsor: z.string().optional(), since: z.string(), reason: z.string(), decidedBy: z.string(), decidedAt: z.string() });
const StoredProfile = z.looseObject({ version: z.number().int().min(1), sponsorship: StoredDecision.optional(), history: z.array(StoredDecision).default([]) });

function accountProfileFromItem(accountId: string, item: Record<string, unknown>): AccountProfile {
  const parsed = StoredProfile.safeParse(withoutKeys(item));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.map(String).join('.')}: ${issue.message}`).join('; ');
    throw new UnreadableStoredItemError(`account ${accountId} has a profile this version cannot read (${problems})`, { cause: parsed.error });
  }
  const { version, sponsorship, history } = parsed.data;
  return { accountId, version, ...(sponsorship && { sponsorship: sponsorship as SponsorshipDecision }), history: history as SponsorshipDecision[] };
}

/** A list page reads at most this many rounds of index queries (one per lane each), then hands back a cursor. */
const MAX_ROUNDS_PER_PAGE = 10;

const KEY_ATTRIBUTES = new Set<string>([
  TABLE_DESIGN.partitionKey,
  TABLE_DESIGN.sortKey,
  ...Object.values(TABLE_DESIGN.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** TTL (epoch seconds) of every item stored with a case that has a deletion date; nothing for an open case. */
function expiryOf(escalation: Pick<Escalation, 'retainUntil'>): { expiresAt?: number } {
  return escalation.retainUntil ? { expiresAt: Math.floor(Date.parse(escalation.retainUntil) / 1000) } : {};
}

function toItem(escalation: Escalation) {
  return { ...escalation, ...caseKey(escalation.id), ...indexAttributes(escalation), ...expiryOf(escalation) };
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

/** What a timeline entry keeps of its case at that version: the facts its domain event carries (functions/domain/domain-events.ts). */
const eventCaseFacts = (escalation: Escalation) => ({
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
function factPuts(table: string, escalation: Escalation, events: { event: TimelineEvent; seq: string }[]) {
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
function contactEntry(escalation: Escalation, contact: ContactDetails) {
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
   * (rememberContacts), which keeps an intake at four items, six with an Idempotency-Key (the
   * record and its reference, which erasure reads) (docs/guarantees.md).
   */
  private async writeChange(change: Change, caseItem: object, claim: IdempotencyClaim | undefined, onConflict: (cause: unknown) => never): Promise<Written> {
    const items = [
      ...(claim ? [idempotencyPut(this.table, claim, change.next), idempotencyRefPut(this.table, claim, change.next)] : []),
      caseItem,
      ...eventPuts(this.table, change),
      ...outboxPuts(this.table, change, this.options.owedEmailGraceMs),
      ...proposalPuts(this.table, change),
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
    const puts = events.flatMap((event, index) => {
      const seq = `${stamp}#${String(index).padStart(3, '0')}`;
      return [
        { Put: { TableName: this.table, Item: { ...eventKey(escalation.id, seq), seq, ...eventCaseFacts(escalation), ...event, ...expiryOf(escalation) } } },
        ...factPuts(this.table, escalation, [{ event, seq }]),
      ];
    });
    const idempotency = claim ? [idempotencyPut(this.table, claim, escalation), idempotencyRefPut(this.table, claim, escalation)] : [];
    return this.writeItems([...idempotency, caseExists, ...puts], escalation, claim, (cause) => {
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
              // An email of a closed case: its timeline entry goes when the case goes.
              ...(email.expiresAt !== undefined && { expiresAt: email.expiresAt }),
            },
          },
        },
        // Replies quote our Message-ID: this finds their case again.
        { Put: { TableName: this.table, Item: { ...sentMessageKey(messageId), caseId: email.caseId } } },
      ]);
      if (email.expiresAt === undefined) await this.expireWithClosedCase(email.caseId, eventKey(email.caseId, seq));
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async settlePosted(message: ClaimedEmail, at: Date): Promise<boolean> {
    const sentAt = at.toISOString();
    const seq = notificationSeq(message.version, message.id);
    const channel = message.chat!;
    try {
      await this.transact([
        {
          Update: {
            TableName: this.table,
            Key: outboxKey(message.caseId, message.id),
            UpdateExpression: `SET #status = :sent, sentAt = :sentAt REMOVE ${SETTLED_REMOVES}`,
            ConditionExpression: 'claimId = :claim',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':sent': 'sent', ':sentAt': sentAt, ':claim': message.claimId },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              ...eventKey(message.caseId, seq),
              seq,
              type: 'chat_posted',
              at: sentAt,
              actor: 'workflow',
              summary: `${message.template} posted to the ${channel.role} ${channel.kind === 'slack' ? 'Slack' : 'Teams'} channel`,
              data: { template: message.template, role: channel.role, kind: channel.kind, notificationId: message.id, attempts: message.attempts },
              ...(message.expiresAt !== undefined && { expiresAt: message.expiresAt }),
            },
          },
        },
      ]);
      if (message.expiresAt === undefined) await this.expireWithClosedCase(message.caseId, eventKey(message.caseId, seq));
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
              ...(email.chat
                ? {
                    type: 'chat_failed',
                    summary: `${email.template} could not be posted to the ${email.chat.role} ${email.chat.kind === 'slack' ? 'Slack' : 'Teams'} channel: ${reason}`.slice(0, 2000),
                    data: { template: email.template, role: email.chat.role, kind: email.chat.kind, notificationId: email.id, attempts: email.attempts, reason: reason.slice(0, 1000) },
                  }
                : {
                    type: 'email_failed',
                    summary: `${email.template} to ${email.to.join(', ')} could not be sent: ${reason}`.slice(0, 2000),
                    data: { template: email.template, to: email.to, notificationId: email.id, attempts: email.attempts, reason: reason.slice(0, 1000) },
                  }),
              at: failedAt,
              actor: 'workflow',
              ...(email.expiresAt !== undefined && { expiresAt: email.expiresAt }),
            },
          },
        },
      ]);
      if (email.expiresAt === undefined) await this.expireWithClosedCase(email.caseId, eventKey(email.caseId, seq));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException && error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')) throw error;
    }
  }

  /**
   * An email queued while the case was open and settled after it closed: the close's deletion
   * stamp (scheduleDeletion) may have read the partition before this entry existed. Reading the
   * case after writing the entry closes that gap: a close before the read is seen here, and a
   * close after it stamps the partition later, this entry included.
   */
  private async expireWithClosedCase(caseId: string, key: { pk: string; sk: string }) {
    const current = await this.item<Record<string, unknown>>(caseKey(caseId), true);
    const expiry = current && typeof current.retainUntil === 'string' ? expiryOf({ retainUntil: current.retainUntil }).expiresAt : undefined;
    if (expiry === undefined) return;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET expiresAt = :expiresAt',
          // Never brings back an entry deleted meanwhile.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':expiresAt': expiry },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async owedEmails(now: Date): Promise<{ owed: number; oldestQueuedAt?: string; candidates: OwedEmail[] }> {
    const partitions = Array.from({ length: OWED_EMAIL_SHARDS }, (_, shard) => owedEmailPartition(shard));
    const { owed, oldestQueuedAt, due } = await owedEntries(this.db, this.table, partitions, now);
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
    return { owed, ...(oldestQueuedAt && { oldestQueuedAt }), candidates };
  }





  /** One item by key, without its key attributes. */
  private async item<T>(key: Record<string, string>, consistent = false): Promise<T | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: key, ...(consistent && { ConsistentRead: true }) }));
    return Item ? (withoutKeys(Item) as T) : undefined;
  }

  async caseForSentMessage(sesMessageId: string) {
    return (await this.item<{ caseId: string }>(sentMessageKey(sesMessageId)))?.caseId;
  }

  async rememberContacts(escalation: Escalation, contacts: ContactDetails[]) {
    // Plain puts: an entry says the same whoever writes it, so a repeated batch changes nothing.
    // Each contact twice: the directory entry inbound mail looks up, and the account's own list of
    // the addresses the directory learnt for it (export and erasure read it).
    const items = contacts.flatMap((contact) => [
      contactEntry(escalation, contact),
      { ...accountContactKey(escalation.customer.accountId, contact.email), email: contact.email.toLowerCase() },
    ]);
    await Promise.all(items.map((item) => this.db.send(new PutCommand({ TableName: this.table, Item: item }))));
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

  private itemsByKey(keys: { pk: string; sk: string }[]) {
    return itemsByKey(this.db, this.table, keys);
  }

  /** Every item of one partition, page by page (consistent reads). */
  private async partitionItems(pk: string, skPrefix?: string): Promise<Record<string, unknown>[]> {
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
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      }
    });
    return { items: unstamped.length };
  }

  async accountProfile(accountId: string): Promise<AccountProfile | undefined> {
    const item = await this.item<Record<string, unknown>>(accountProfileKey(accountId), true);
    return item && accountProfileFromItem(accountId, item);
  }

  async saveAccountProfile(profile: AccountProfile, expectedVersion: number) {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...accountProfileKey(profile.accountId), ...profile },
          ...(expectedVersion === 0 ? { ConditionExpression: 'attribute_not_exists(pk)' } : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw new VersionConflictError(`account ${profile.accountId} changed since version ${expectedVersion}`, { cause: error });
      throw error;
    }
  }

  async eraseCaseItems(caseId: string, personal: readonly string[]) {
    let rewritten = 0;
    for (const item of await this.partitionItems(caseKey(caseId).pk)) {
      if (item.sk === caseKey(caseId).sk) continue;
      const key = { pk: String(item.pk), sk: String(item.sk) };
      if (key.sk.startsWith(IDEMPOTENCY_REF_PREFIX)) {
        // The idempotency record holds a copy of the case as it was: it goes, and its pointer with it.
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: String(item.recordPk), sk: 'IDEMPOTENCY' } }));
        await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      } else {
        // An email still owed is never sent now: it leaves the owed-email index with its recipients.
        const owed = key.sk.startsWith('OUTBOX#') && item.status !== 'sent' && item.status !== 'failed';
        const erased = erasePersonalData(withoutKeys(item), personal);
        // An email's sort key names its recipient: the item moves to a key without the address.
        const erasedKey = { pk: key.pk, sk: erasedId(key.sk) };
        await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erased, ...erasedKey, ...(owed && { status: 'erased' }) } }));
        if (erasedKey.sk !== key.sk) await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      }
      rewritten++;
    }
    return rewritten;
  }

  async eraseAccountItems(accountId: string, personal: readonly string[], addresses: string[]) {
    let rewritten = 0;
    for (const item of await this.partitionItems(accountItemsPartition(accountId))) {
      const key = { pk: String(item.pk), sk: String(item.sk) };
      if (key.sk.startsWith(ACCOUNT_CONTACT_PREFIX)) await this.db.send(new DeleteCommand({ TableName: this.table, Key: key }));
      else await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erasePersonalData(withoutKeys(item), personal), ...key } }));
      rewritten++;
    }
    // The contact directory's entries for this account: inbound mail from these addresses no longer finds it.
    for (const address of new Set(addresses.map((entry) => entry.toLowerCase()))) {
      await this.db.send(new DeleteCommand({ TableName: this.table, Key: contactKey(address, accountId) }));
      rewritten++;
    }
    return rewritten;
  }

  async recordErasure(accountId: string, record: ErasureRecord) {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...erasureKey(accountId, record.requestedAt, record.id), ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async caseItems(caseId: string): Promise<Record<string, unknown>[]> {
    return (await this.partitionItems(caseKey(caseId).pk)).map((item) => ({ sk: item.sk, ...withoutKeys(item) }));
  }

  async directoryEntries(accountId: string, emails: string[]): Promise<Record<string, unknown>[]> {
    const found = await Promise.all([...new Set(emails.map((email) => email.toLowerCase()))].map((email) => this.item<Record<string, unknown>>(contactKey(email, accountId), true)));
    return found.flatMap((item) => (item ? [withoutKeys(item)] : []));
  }

  async accountRecords(accountId: string): Promise<AccountRecords> {
    const items = await this.partitionItems(accountItemsPartition(accountId));
    const profileItem = items.find((item) => item.sk === accountProfileKey(accountId).sk);
    return {
      ...(profileItem && { profile: accountProfileFromItem(accountId, profileItem) }),
      proposals: items.filter((item) => String(item.sk).startsWith(PROPOSAL_PREFIX)).map((item) => withoutKeys(item) as unknown as SponsorshipProposal),
      contacts: items.filter((item) => String(item.sk).startsWith(ACCOUNT_CONTACT_PREFIX)).map((item) => String(item.email)),
    };
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
      const { caseId: _caseId, severity: _severity, accountId: _account, caseStatus: _status, caseTier: _tier, expiresAt: _expiresAt, ...event } = withoutKeys(item);
      return event as unknown as StoredEvent;
    });
    return {
      items,
      ...(result.LastEvaluatedKey && { nextCursor: encodeCursor({ index: 'timeline', key: result.LastEvaluatedKey }) }),
    };
  }
}
