import * as z from 'zod';
import type { CustomerFacts } from '../domain/commands';
import type { Deadlines, SlaClock } from '../domain/deadlines';
import { erasedId } from '../domain/erasure';
import type { Escalation, SponsorshipProposal } from '../domain/escalation';
import { INCIDENT_STATUSES, type Incident } from '../domain/incidents';
import { TEMPLATE_NAMES } from '../domain/notification';
import type { Review } from '../domain/review-record';
import type { AccountProfile } from '../domain/sponsorship';
import { CHANNELS, EVENT_TYPES, ITEM_STATUSES, OUTCOMES, SEGMENTS, SEVERITIES, STATUSES, TRIGGERS, type Trigger } from '../domain/vocabulary';
import type { WorkflowRecovery } from '../domain/workflow-recovery';
import type { ClaimedEmail, KnownContact, MetricEvent, OwedEmail, StoredEvent } from '../ports/escalation-repository';
import { UnreadableStoredItemError } from '../ports/errors';
import type { StoredDelivery, WebhookSubscription } from '../ports/webhooks';
import type { SameShape } from '../support/same-shape';
import { StoredPolicy } from './stored-policy';
import { CASE_PARTITION_PREFIX, DELIVERY_PREFIX, OUTBOX_PREFIX, WEBHOOK_PREFIX } from './table-design';

// Items read back from the table, parsed into exactly the shapes the rules read. An item this
// version cannot read (written by another version, edited by hand) stops the read with the
// item's key and the first key that does not fit, instead of turning into a wrong deadline or
// an undefined somewhere later.
//
// Each schema is a z.object, which takes the table's own attributes (pk, sk, index keys,
// expiresAt) and anything else it does not name, and leaves them out of what it returns: the
// result holds the domain's keys and nothing more, so it can be spread into a new item without
// carrying stale index attributes. Strings are checked as strings, not as formats: the formats
// were checked when the request came in, and an erased case holds "[erased]" where an address was.
//
// Built on first use (z.lazy), never at cold start (docs/performance.md). A zod node costs its
// construction (tens of closures), and a schema is immutable: each build makes its leaves once
// (one string, one optional string, one count…) and every field of that kind shares them: the
// case's schema builds in about a third of the time it took with a leaf of its own per field.

/** The leaves a schema's fields share, made once per build. */
function leaves() {
  const text = z.string();
  const count = z.number().int().nonnegative();
  const number = z.number();
  return { text, optionalText: text.optional(), texts: z.array(text), count, optionalCount: count.optional(), optionalNumber: number.optional() };
}
type Leaves = ReturnType<typeof leaves>;

function customerFacts({ text, optionalText, optionalNumber }: Leaves) {
  return z.object({
    accountId: text,
    name: text,
    segment: z.enum(SEGMENTS).optional(),
    arr: optionalNumber,
    healthScore: optionalNumber,
    renewalDate: optionalText,
    timezone: optionalText,
    contacts: z.array(z.object({ email: text, name: optionalText, role: optionalText, phone: optionalText })),
  });
}

function deadlines({ text, optionalText }: Leaves) {
  return z.object({ acknowledgeBy: text, nextUpdateBy: text, resolveBy: text, followUpAt: optionalText, reviewBy: optionalText });
}

function slaClock({ text, optionalText }: Leaves) {
  return z.object({
    startedAt: text,
    acknowledgeClockFrom: optionalText,
    updateClockFrom: text,
    promisedUpdateBy: optionalText,
    pausedMs: z.number().nonnegative(),
    pausedSince: optionalText,
    pauses: z.array(z.object({ from: text, to: optionalText, by: optionalText, reason: optionalText, resumedBy: optionalText })),
  });
}

function review({ text, optionalText, count }: Leaves) {
  const item = z.object({
    id: text,
    team: text,
    owner: text,
    title: text,
    due: text,
    status: z.enum(ITEM_STATUSES),
    overdueAt: text,
    version: count,
    note: optionalText,
    updatedAt: text,
    updatedBy: text,
  });
  return z.object({
    rootCause: text,
    wentWell: text,
    communicationGaps: text,
    processFixes: text,
    concession: optionalText,
    items: z.array(item),
    recordedAt: text,
    recordedBy: text,
    dueBy: text,
    onTime: z.boolean(),
  });
}

function workflowRecovery({ text, optionalText, count }: Leaves) {
  return z.object({ attempts: count, lastAt: text, notBefore: optionalText });
}

function storedEscalation() {
  const shared = leaves();
  const { text, optionalText, texts, count } = shared;
  return z.object({
    id: text,
    version: count,
    generation: count,
    status: z.enum(STATUSES),
    severity: z.enum(SEVERITIES),
    tier: count,
    triggers: z.array(z.enum(TRIGGERS as [Trigger, ...Trigger[]])),
    channel: z.enum(CHANNELS),
    executiveInvolved: z.boolean(),
    title: text,
    description: optionalText,
    businessImpact: optionalText,
    alreadyTried: optionalText,
    neededBy: optionalText,
    customer: customerFacts(shared),
    owner: optionalText,
    routedTo: texts,
    deadlines: deadlines(shared),
    sla: slaClock(shared),
    // The one parser of the stored SLA policy (functions/adapters/stored-policy.ts), strict as it is there.
    policy: StoredPolicy,
    reportedAt: text,
    createdAt: text,
    updatedAt: text,
    acknowledgedAt: optionalText,
    resolvedAt: optionalText,
    closedAt: optionalText,
    resolution: z.object({ rootCause: text, fix: text, prevention: text }).optional(),
    outcome: z.enum(OUTCOMES).optional(),
    reopenCount: count,
    incidentId: optionalText,
    incidentUpdatesReceived: texts.optional(),
    satisfaction: z.object({ score: z.number(), at: text }).optional(),
    breaches: shared.optionalCount,
    actedOn: texts.optional(),
    workflowRecovery: workflowRecovery(shared).optional(),
    review: review(shared).optional(),
    sponsor: optionalText,
    sponsorshipProposedAt: optionalText,
    retainUntil: optionalText,
    erasedAt: optionalText,
  });
}

function storedIncident() {
  const { text, optionalText, texts, count } = leaves();
  return z.object({
    id: text,
    version: count,
    status: z.enum(INCIDENT_STATUSES),
    title: text,
    description: optionalText,
    escalationIds: texts,
    createdAt: text,
    createdBy: text,
    updates: z.array(z.object({ id: text, at: text, actor: text, message: text })),
    closedAt: optionalText,
    closedBy: optionalText,
    closingNote: optionalText,
    requestFingerprint: optionalText,
  });
}

/** A contact directory entry (CONTACT#<address> / ACCOUNT#<account>). */
function storedKnownContact() {
  const { text, optionalText } = leaves();
  return z.object({ accountId: text, accountName: text, segment: optionalText, name: optionalText });
}

function storedProposal() {
  const { text, texts } = leaves();
  return z.object({ accountId: text, caseId: text, at: text, reasons: texts, outcome: z.enum(['resolved', 'closed']) });
}

/** The record of a request made with an Idempotency-Key (functions/adapters/dynamodb-cases.ts writes it). */
export interface IdempotencyRecord {
  caseId: string;
  fingerprint: string;
  /** Epoch seconds (the table's TTL attribute). */
  expiresAt: number;
  /** The case as the first request wrote it, gzipped JSON: a retry gets the same answer. */
  answer: string;
}

function storedIdempotencyRecord() {
  const { text } = leaves();
  return z.object({ caseId: text, fingerprint: text, expiresAt: z.number().int(), answer: text });
}

/** A timeline entry; the case facts it carries for the stream's consumer (caseId, severity, caseStatus…) are not the event's. */
function storedEvent() {
  const { text } = leaves();
  return z.object({ seq: text, type: z.enum(EVENT_TYPES), at: text, actor: text, summary: text, data: z.record(text, z.unknown()).optional() });
}

function storedSubscription() {
  const { text, optionalText, texts } = leaves();
  return z.object({
    id: text,
    url: text,
    events: texts,
    description: optionalText,
    status: z.enum(['active', 'disabled']),
    createdAt: text,
    createdBy: text,
    secrets: z.array(z.object({ secret: text, validUntil: optionalText })),
    disabledAt: optionalText,
    disabledReason: optionalText,
  });
}

/** The account's sponsorship decisions (ACCOUNT#<account> / PROFILE). */
function storedAccountProfile() {
  const { text, optionalText, count } = leaves();
  const decision = z.object({ status: z.enum(['enrolled', 'declined']), sponsor: optionalText, since: text, reason: text, decidedBy: text, decidedAt: text });
  return z.object({ accountId: text, version: count, sponsorship: decision.optional(), history: z.array(decision) });
}

/**
 * An entry of the metrics index: a metric fact (METRIC#<case> / <seq>), or a timeline event
 * written before facts had items of their own, which may carry no data.
 */
function storedMetricEvent() {
  const { text } = leaves();
  return z.object({ caseId: text, severity: z.enum(SEVERITIES), type: text, at: text, data: z.record(text, z.unknown()).default({}) });
}

const OWED_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;

/** A webhook delivery (WEBHOOK#<id> / DELIVERY#<key>): its webhook and key are its table key. */
function storedDelivery() {
  const { text, optionalText, count } = leaves();
  return z
    .object({
      pk: z.string().startsWith(WEBHOOK_PREFIX),
      sk: z.string().startsWith(DELIVERY_PREFIX),
      eventId: text,
      eventType: text,
      body: text,
      status: z.enum(OWED_STATUSES),
      queuedAt: text,
      nextAttemptAt: optionalText,
      leaseUntil: optionalText,
      attempts: count,
      history: z.array(z.object({ at: text, status: z.number().int().optional(), durationMs: z.number().nonnegative(), outcome: text })),
      deliveredAt: optionalText,
      failedAt: optionalText,
      lastError: optionalText,
    })
    .transform(({ pk, sk, ...delivery }) => ({ ...delivery, webhookId: pk.slice(WEBHOOK_PREFIX.length), key: sk.slice(DELIVERY_PREFIX.length) }));
}

/** The key of an outbox item (ESC#<case> / OUTBOX#<notification id>): the case it belongs to. */
const outboxKey = () => ({ pk: z.string().startsWith(CASE_PARTITION_PREFIX), sk: z.string().startsWith(OUTBOX_PREFIX) });

/** An outbox item just claimed (UpdateItem's ALL_NEW): the email, its case and the claim on it. */
function claimedEmail() {
  const { text, texts, count } = leaves();
  return z
    .object({
      ...outboxKey(),
      id: text,
      template: z.enum(TEMPLATE_NAMES),
      audience: z.enum(['customer', 'internal']),
      to: texts,
      data: z.record(text, z.unknown()),
      chat: z.object({ role: text, kind: z.enum(['slack', 'teams']), secret: text }).optional(),
      status: z.enum(OWED_STATUSES),
      version: count,
      attempts: count,
      queuedAt: text,
      // An email of a closed case carries its TTL: its settle entry on the timeline takes the same.
      expiresAt: z.number().int().optional(),
      claimId: text,
    })
    .transform(({ pk, sk: _sk, ...email }) => ({ ...email, caseId: pk.slice(CASE_PARTITION_PREFIX.length) }));
}

/** An outbox item as the retry sweep weighs it (functions/domain/email-delivery.ts `isDue`). */
function owedEmail() {
  const { text, optionalText, count } = leaves();
  return z
    .object({
      ...outboxKey(),
      id: text,
      status: z.enum(OWED_STATUSES),
      queuedAt: text,
      nextAttemptAt: optionalText,
      leaseUntil: optionalText,
      attempts: count,
    })
    .transform(({ pk, sk: _sk, ...email }) => ({ ...email, caseId: pk.slice(CASE_PARTITION_PREFIX.length) }));
}

const StoredEscalation = z.lazy(storedEscalation);
const StoredIncident = z.lazy(storedIncident);
const StoredKnownContact = z.lazy(storedKnownContact);
const StoredProposal = z.lazy(storedProposal);
const StoredTimelineEvent = z.lazy(storedEvent);
const StoredAccountProfile = z.lazy(storedAccountProfile);
const StoredMetricEvent = z.lazy(storedMetricEvent);
const StoredSubscription = z.lazy(storedSubscription);
const StoredWebhookDelivery = z.lazy(storedDelivery);
const StoredClaimedEmail = z.lazy(claimedEmail);
const StoredOwedEmail = z.lazy(owedEmail);
const StoredIdempotencyRecord = z.lazy(storedIdempotencyRecord);

// Each parse produces exactly the shape the code reads, both ways: a key added to a type and
// not to its schema (or the reverse) fails the build here. The parts first, so a mismatch is
// named where it is.
const parsesToTheDomainShapes: [
  SameShape<z.output<ReturnType<typeof customerFacts>>, CustomerFacts>,
  SameShape<z.output<ReturnType<typeof deadlines>>, Deadlines>,
  SameShape<z.output<ReturnType<typeof slaClock>>, SlaClock>,
  SameShape<z.output<ReturnType<typeof review>>, Review>,
  SameShape<z.output<ReturnType<typeof workflowRecovery>>, WorkflowRecovery>,
  SameShape<z.output<typeof StoredEscalation>, Escalation>,
  SameShape<z.output<typeof StoredIncident>, Incident>,
  SameShape<z.output<typeof StoredKnownContact>, KnownContact>,
  SameShape<z.output<typeof StoredProposal>, SponsorshipProposal>,
  SameShape<z.output<typeof StoredTimelineEvent>, StoredEvent>,
  SameShape<z.output<typeof StoredAccountProfile>, AccountProfile>,
  SameShape<z.output<typeof StoredMetricEvent>, MetricEvent>,
  SameShape<z.output<typeof StoredSubscription>, WebhookSubscription>,
  SameShape<z.output<typeof StoredWebhookDelivery>, StoredDelivery>,
  SameShape<z.output<typeof StoredClaimedEmail>, ClaimedEmail>,
  SameShape<z.output<typeof StoredOwedEmail>, OwedEmail>,
  SameShape<z.output<typeof StoredIdempotencyRecord>, IdempotencyRecord>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true];
void parsesToTheDomainShapes;

/**
 * How an error names an item: its table key, with any email address in it replaced by a digest
 * (an outbox item's and a directory entry's keys name one), so the message holds no one's
 * address. A copy of a case kept without its key (an idempotency record's answer) is named by its id.
 */
function itemName(item: Record<string, unknown>): string {
  if (typeof item.pk === 'string') return `${erasedId(item.pk)}/${erasedId(String(item.sk))}`;
  return typeof item.id === 'string' ? `without a key (id ${erasedId(item.id)})` : 'without a key';
}

function parseItem<T>(schema: z.ZodType<T>, item: Record<string, unknown>, what: string): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  // Zod's messages name what was expected, never the value found: nothing personal reaches the message.
  const [first, ...others] = parsed.error.issues;
  const path = first!.path.length ? first!.path.map(String).join('.') : '(the item itself)';
  const more = others.length ? ` (and ${others.length} more)` : '';
  throw new UnreadableStoredItemError(`stored item ${itemName(item)} is not ${what}: ${path}: ${first!.message}${more}`, { cause: parsed.error });
}

/**
 * Items a sweep works through, each parsed on its own: an unreadable one is named in
 * `unreadable` (the error's message: its key, digested, and the failing path) and left where it
 * is, so that one bad item stops only itself, never every email or delivery owed beside it.
 */
export function readEach<T>(items: Record<string, unknown>[], parse: (item: Record<string, unknown>) => T): { readable: T[]; unreadable: string[] } {
  const readable: T[] = [];
  const unreadable: string[] = [];
  for (const item of items) {
    try {
      readable.push(parse(item));
    } catch (error) {
      if (!(error instanceof UnreadableStoredItemError)) throw error;
      unreadable.push(error.message);
    }
  }
  return { readable, unreadable };
}

/** A case item (a read, a stream image, an idempotency record's answer) as the rules read it. */
export const escalationFromItem = (item: Record<string, unknown>): Escalation => parseItem(StoredEscalation, item, 'a case');

export const incidentFromItem = (item: Record<string, unknown>): Incident => parseItem(StoredIncident, item, 'an incident');

/** A contact directory entry: one account the address is known in. */
export const knownContactFromItem = (item: Record<string, unknown>): KnownContact => parseItem(StoredKnownContact, item, 'a contact directory entry');

export const proposalFromItem = (item: Record<string, unknown>): SponsorshipProposal => parseItem(StoredProposal, item, 'a sponsorship proposal');

/** The record of an Idempotency-Key's first request (the case it wrote is in `answer`, parsed when replayed). */
export const idempotencyRecordFromItem = (item: Record<string, unknown>): IdempotencyRecord => parseItem(StoredIdempotencyRecord, item, 'an idempotency record');

/** A timeline entry, without the case facts written beside it for the stream's consumer. */
export const storedEventFromItem = (item: Record<string, unknown>): StoredEvent => parseItem(StoredTimelineEvent, item, 'a timeline event');

/** The account's sponsorship profile: its decision and the ones before. */
export const accountProfileFromItem = (item: Record<string, unknown>): AccountProfile => parseItem(StoredAccountProfile, item, 'an account profile');

/** An entry of the metrics index, as the metrics API reads it. */
export const metricEventFromItem = (item: Record<string, unknown>): MetricEvent => parseItem(StoredMetricEvent, item, 'a metric event');

export const subscriptionFromItem = (item: Record<string, unknown>): WebhookSubscription => parseItem(StoredSubscription, item, 'a webhook');

/** A webhook delivery; its claim (claimId) is the claimer's to add, the lease it holds stays. */
export const deliveryFromItem = (item: Record<string, unknown>): StoredDelivery => parseItem(StoredWebhookDelivery, item, 'a webhook delivery');

/** An outbox item as its claim returned it (ALL_NEW): the email, its case (from the key) and the claim. */
export const claimedEmailFromItem = (item: Record<string, unknown>): ClaimedEmail => parseItem(StoredClaimedEmail, item, 'a claimed email');

/**
 * An outbox item as the retry sweep reads it. Parse only items still owed (pending or sending):
 * an erased one is stored with the status "erased", which no owed email has.
 */
export const owedEmailFromItem = (item: Record<string, unknown>): OwedEmail => parseItem(StoredOwedEmail, item, 'an owed email');
