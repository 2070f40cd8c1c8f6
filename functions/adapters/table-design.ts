import { createHash } from 'node:crypto';
import { aftercareDueAt } from '../domain/aftercare';
import { nextPendingDeadline } from '../domain/deadlines';
import type { Escalation } from '../domain/escalation';

/**
 * The case attributes list filters test. Case indexes copy only these besides their keys:
 * a case is written a dozen times in its life, and an index is written only when its keys or
 * copied attributes change, so most case writes touch no index. Lists read the cases
 * themselves by key after the index query.
 */
export const LIST_FILTER_ATTRIBUTES = ['status', 'severity', 'owner'] as const;

/**
 * What the owed-email index copies besides the keys: only what never changes, so a claim writes
 * no index (an email costs two index writes, in and out, and two more per failed attempt).
 */
export const OWED_EMAIL_ATTRIBUTES = ['id', 'queuedAt'] as const;

export type IndexProjection = { include: readonly string[] } | 'all';

/**
 * CloudFormation creates or deletes at most one GSI per stack update, and changing an index's
 * keys or projection is a delete and a create: a release adds one new index at most, and leaves
 * the projections of the others as deployed. (That is why list filters on attributes these
 * indexes do not copy, such as tier or breaches, are applied to the cases read.)
 *
 * The single table, described once. The DynamoDB adapter builds keys from it, CDK and
 * the local stack create the table and its indexes from it, so they cannot drift.
 *
 *   ESC#<id>                 CASE                       the case (optimistic lock: version)
 *   ESC#<id>                 EVENT#<version>#<n>        its timeline, in write order
 *   ESC#<id>                 OUTBOX#<notification id>   an email a change owes; sent after the write, retried until sent
 *   ESC#<id>                 IDEMPOTENCY#<record pk>    points at an idempotency record holding a copy of the case (TTL with it):
 *                                                       an erasure finds the copies through these
 *   IDEMPOTENCY#<who>#<key>  IDEMPOTENCY                a write's idempotency record and first answer (TTL)
 *   METRIC#<case id>         <event seq>                a metric event of the case without its personal data (kept past the case)
 *   MESSAGE#<ses message id> MESSAGE                    which case an email we sent belongs to (reply threading)
 *   CONTACT#<email>          ACCOUNT#<account id>       an account this customer contact belongs to, one item each (inbound mail);
 *                                                       items written before were keyed CONTACT (one account each) and still count
 *   INBOUND#<message id>     INBOUND                    an inbound email already taken in (dedupe, TTL)
 *   INCIDENT#<id>            INCIDENT                   an incident linking many customers' escalations
 *   ACCOUNT#<account id>     PROFILE                    the account's executive sponsorship decision
 *   ACCOUNT#<account id>     PROPOSAL#<case id>         a resolved executive escalation proposing the account for sponsorship
 *   ACCOUNT#<account id>     CONTACT#<email>            an address the contact directory learnt for this account (erasure finds them here)
 *   ACCOUNT#<account id>     ERASURE#<requested>#<id>   an erasure of the account's personal data: its progress, then its audit record
 *   WEBHOOKS                 WEBHOOK#<id>               a registered webhook; all in one partition, listed by one Query
 *   WEBHOOK#<id>             DELIVERY#<at>#<event id>   an event owed to that webhook; its recent deliveries are one Query (TTL once settled)
 *
 * Every item of a closed case's partition carries `expiresAt` (TTL): the case's retainUntil.
 */
export const TABLE_DESIGN = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  indexes: {
    /**
     * Cases in one status, most urgent deadline first (lists, the reconciliation sweep). Incidents
     * share it in partitions of their own (INCIDENTS#<status>), newest first: an index for a few
     * items a day would cost a release of its own (see above); so do running erasures
     * (ERASURES#running). A closed case sorts by its aftercare (functions/domain/aftercare.ts):
     * open improvement items and checks still to come, and after every instant ("~") once there
     * is none, so the closed cases that still need watching are the start of their partition.
     */
    byStatusAndDeadline: { partitionKey: 'byStatusPK', sortKey: 'byStatusSK', projection: { include: LIST_FILTER_ATTRIBUTES } },
    /** Every case of one customer account, newest first. */
    byAccount: { partitionKey: 'byAccountPK', sortKey: 'byAccountSK', projection: { include: LIST_FILTER_ATTRIBUTES } },
    /** Cases one owner holds, newest first; sparse until someone acknowledges. */
    byOwner: { partitionKey: 'byOwnerPK', sortKey: 'byOwnerSK', projection: { include: LIST_FILTER_ATTRIBUTES } },
    /** Cases opened in one calendar month (UTC), newest first: unfiltered lists. */
    byCreatedMonth: { partitionKey: 'byCreatedMonthPK', sortKey: 'byCreatedMonthSK', projection: { include: LIST_FILTER_ATTRIBUTES } },
    /**
     * Timeline events of one type in one month, in time order: the metrics API (sparse: metric
     * events only). Events are written once, so copying them whole saves a read per event.
     */
    byEventTypeAndMonth: { partitionKey: 'byEventTypeAndMonthPK', sortKey: 'byEventTypeAndMonthSK', projection: 'all' },
    /**
     * Emails owed and not yet sent, in the order the retry sweep should look at them (sparse: an
     * email leaves it when it is sent or given up). The sort key starts with when the sweep may
     * take it: one lease after it was queued (until then it is the stream's), or its retry time
     * after a failed attempt. The sweep reads it every minute; the oldest `queuedAt` in it is
     * the alarmed age. Spread over OWED_EMAIL_SHARDS partitions so an incident broadcast cannot
     * throttle it.
     */
    byOwedEmail: { partitionKey: 'byOwedEmailPK', sortKey: 'byOwedEmailSK', projection: { include: OWED_EMAIL_ATTRIBUTES } },
    // Webhook deliveries owed ride the same index in partitions of their own (OWEDHOOK#<shard>):
    // the same sweep, the same rule, and no new index (a release may add one only, see above).
    /**
     * Cases by the month of their last change, most recent first: lists of what changed since
     * an instant (updatedSince). Unlike the others, every case write moves its entry (two index
     * writes); docs/scaling.md counts them.
     */
    byUpdatedMonth: { partitionKey: 'byUpdatedMonthPK', sortKey: 'byUpdatedMonthSK', projection: { include: LIST_FILTER_ATTRIBUTES } },
  },
} as const satisfies {
  partitionKey: string;
  sortKey: string;
  timeToLiveAttribute: string;
  indexes: Record<string, { partitionKey: string; sortKey: string; projection: IndexProjection }>;
};

export type IndexName = keyof typeof TABLE_DESIGN.indexes;
export const INDEX_NAMES = Object.keys(TABLE_DESIGN.indexes) as IndexName[];

export const CASE_PARTITION_PREFIX = 'ESC#';
export const caseKey = (id: string) => ({ pk: `${CASE_PARTITION_PREFIX}${id}`, sk: 'CASE' });
export const eventKey = (id: string, seq: string) => ({ pk: `ESC#${id}`, sk: `EVENT#${seq}` });
export const EVENT_PREFIX = 'EVENT#';
export const outboxKey = (id: string, notificationId: string) => ({ pk: `ESC#${id}`, sk: `OUTBOX#${notificationId}` });
export const OUTBOX_PREFIX = 'OUTBOX#';
/** Scoped to the caller, who is hashed: a token's subject has no length DynamoDB's key limit would respect. */
export const idempotencyKey = (principal: string, key: string) => ({
  pk: `IDEMPOTENCY#${createHash('sha256').update(principal).digest('hex').slice(0, 32)}#${key}`,
  sk: 'IDEMPOTENCY',
});

export const incidentKey = (id: string) => ({ pk: `INCIDENT#${id}`, sk: 'INCIDENT' });
/** Points from a case's partition at an idempotency record that holds a copy of the case. */
export const IDEMPOTENCY_REF_PREFIX = 'IDEMPOTENCY#';
export const idempotencyRefKey = (caseId: string, recordPk: string) => ({ pk: `ESC#${caseId}`, sk: `${IDEMPOTENCY_REF_PREFIX}${recordPk}` });
export const metricFactKey = (caseId: string, seq: string) => ({ pk: `METRIC#${caseId}`, sk: seq });

/** An account's own items (an item collection): its sponsorship, proposals, known contacts and erasures. */
export const accountItemsPartition = (accountId: string) => `ACCOUNT#${accountId}`;
export const accountProfileKey = (accountId: string) => ({ pk: accountItemsPartition(accountId), sk: 'PROFILE' });
export const PROPOSAL_PREFIX = 'PROPOSAL#';
export const proposalKey = (accountId: string, caseId: string) => ({ pk: accountItemsPartition(accountId), sk: `${PROPOSAL_PREFIX}${caseId}` });
export const ACCOUNT_CONTACT_PREFIX = 'CONTACT#';
export const accountContactKey = (accountId: string, email: string) => ({ pk: accountItemsPartition(accountId), sk: `${ACCOUNT_CONTACT_PREFIX}${keyPart(email.toLowerCase())}` });
export const ERASURE_PREFIX = 'ERASURE#';
export const erasureKey = (accountId: string, requestedAt: string, id: string) => ({ pk: accountItemsPartition(accountId), sk: `${ERASURE_PREFIX}${requestedAt}#${id}` });
export const erasureStatusPartition = (status: string) => `ERASURES#${status}`;
/**
 * A string from outside (a message id from an email header, say) as part of a key: DynamoDB
 * refuses partition keys over 2,048 bytes and sort keys over 1,024, so a long one is replaced
 * by its hash. Everything the API takes into a key is bounded by its schema already.
 */
export function keyPart(text: string): string {
  return Buffer.byteLength(text, 'utf8') <= MAX_KEY_PART_BYTES ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
const MAX_KEY_PART_BYTES = 512;

export const sentMessageKey = (sesMessageId: string) => ({ pk: `MESSAGE#${keyPart(sesMessageId)}`, sk: 'MESSAGE' });
/** A contact's entries share a partition: one Query lists every account the address is known in. */
export const contactPartition = (email: string) => `CONTACT#${keyPart(email.toLowerCase())}`;
export const contactKey = (email: string, accountId: string) => ({ pk: contactPartition(email), sk: `${CONTACT_ACCOUNT_PREFIX}${keyPart(accountId)}` });
export const CONTACT_ACCOUNT_PREFIX = 'ACCOUNT#';
export const inboundKey = (messageId: string) => ({ pk: `INBOUND#${keyPart(messageId)}`, sk: 'INBOUND' });

export const statusPartition = (status: string) => `STATUS#${status}`;
export const accountPartition = (accountId: string) => `ACCOUNT#${accountId}`;
export const ownerPartition = (owner: string) => `OWNER#${owner}`;
export const monthPartition = (iso: string) => `MONTH#${iso.slice(0, 7)}`;
export const updatedMonthPartition = (iso: string) => `UPDATED#${iso.slice(0, 7)}`;
export const incidentStatusPartition = (status: string) => `INCIDENTS#${status}`;
export const eventTypeMonthPartition = (type: string, month: string) => `EVENTTYPE#${type}#${month}`;

/** Partitions of the owed-email index: each takes 1,000 writes a second, a burst of email never throttles the table. */
export const OWED_EMAIL_SHARDS = 8;
export const owedEmailPartition = (shard: number) => `OWED#${shard}`;

/** The owed-email index attributes of an outbox item: its case picks the partition, when the sweep may take it orders it. */
export function owedEmailAttributes(caseId: string, notificationId: string, sweepFrom: string): Record<string, string> {
  let hash = 0;
  for (const char of caseId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return { byOwedEmailPK: owedEmailPartition(hash % OWED_EMAIL_SHARDS), byOwedEmailSK: `${sweepFrom}#${caseId}#${notificationId}` };
}
export const OWED_EMAIL_INDEX_ATTRIBUTES = ['byOwedEmailPK', 'byOwedEmailSK'] as const;
/** What leaves an owed email or webhook delivery when it is settled: its claim, its retry time and its place in the owed index. */
export const SETTLED_REMOVES = ['leaseUntil', 'claimId', 'nextAttemptAt', ...OWED_EMAIL_INDEX_ATTRIBUTES].join(', ');

/** The metrics index's attributes of a metric fact (functions/domain/metric-facts.ts): its type and month, then its time and case. */
export function eventIndexAttributes(caseId: string, event: { type: string; at: string }): Record<string, string> {
  return {
    byEventTypeAndMonthPK: eventTypeMonthPartition(event.type, event.at.slice(0, 7)),
    byEventTypeAndMonthSK: `${event.at}#${caseId}`,
  };
}

/** The index attributes a case carries; absent ones keep it out of that (sparse) index. */
export function indexAttributes(escalation: Escalation): Record<string, string> {
  const created = `${escalation.createdAt}#${escalation.id}`;
  const pending = nextPendingDeadline(escalation.status, escalation.deadlines) ?? aftercareDueAt(escalation);
  const attributes: Record<string, string> = {
    byStatusPK: statusPartition(escalation.status),
    // "~" sorts after every ISO instant: cases with nothing pending come last.
    byStatusSK: `${pending ?? '~'}#${escalation.id}`,
    byAccountPK: accountPartition(escalation.customer.accountId),
    byAccountSK: created,
    byCreatedMonthPK: monthPartition(escalation.createdAt),
    byCreatedMonthSK: created,
  };
  if (escalation.owner) {
    attributes.byOwnerPK = ownerPartition(escalation.owner);
    attributes.byOwnerSK = created;
  }
  attributes.byUpdatedMonthPK = updatedMonthPartition(escalation.updatedAt);
  attributes.byUpdatedMonthSK = `${escalation.updatedAt}#${escalation.id}`;
  return attributes;
}

/** An incident's place in the status index: its own partition per status, newest first. */
export function incidentIndexAttributes(incident: { id: string; status: string; createdAt: string }): Record<string, string> {
  return { byStatusPK: incidentStatusPartition(incident.status), byStatusSK: `${incident.createdAt}#${incident.id}` };
}

/** A running erasure's place in the status index: the sweep that resumes erasures finds it there. */
export function erasureIndexAttributes(erasure: { id: string; requestedAt: string }): Record<string, string> {
  return { byStatusPK: erasureStatusPartition('running'), byStatusSK: `${erasure.requestedAt}#${erasure.id}` };
}
export const ERASURE_INDEX_ATTRIBUTES = ['byStatusPK', 'byStatusSK'] as const;

export const WEBHOOKS_PARTITION = 'WEBHOOKS';
export const WEBHOOK_PREFIX = 'WEBHOOK#';
export const DELIVERY_PREFIX = 'DELIVERY#';
export const webhookKey = (id: string) => ({ pk: WEBHOOKS_PARTITION, sk: `${WEBHOOK_PREFIX}${id}` });
/** `key` is `<event timestamp>#<event id>`: both generated here, so bounded (about 60 characters). */
export const deliveryKey = (webhookId: string, key: string) => ({ pk: `${WEBHOOK_PREFIX}${webhookId}`, sk: `${DELIVERY_PREFIX}${key}` });

/** Partitions of the owed-email index that hold owed webhook deliveries. */
export const OWED_DELIVERY_SHARDS = 4;
export const owedDeliveryPartition = (shard: number) => `OWEDHOOK#${shard}`;

/** The owed-email index attributes of an owed delivery: its event picks the partition, when the sweep may take it orders it. */
export function owedDeliveryAttributes(webhookId: string, key: string, sweepFrom: string): Record<string, string> {
  let hash = 0;
  for (const char of key) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return { byOwedEmailPK: owedDeliveryPartition(hash % OWED_DELIVERY_SHARDS), byOwedEmailSK: `${sweepFrom}#${webhookId}#${key}` };
}
