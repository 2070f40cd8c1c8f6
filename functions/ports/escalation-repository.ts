import type { Notification } from '../domain/notification';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Incident, IncidentStatus } from '../domain/incidents';
import type { AccountProfile } from '../domain/sponsorship';
import type { SponsorshipProposal } from '../domain/escalation';
import type { ListFilter, ListOrder } from '../domain/listing';
import type { OwedEmailState } from '../domain/email-delivery';
import type { Severity } from '../domain/vocabulary';

export interface IdempotencyClaim {
  /** Scoped to the caller: two clients may pick the same key. */
  principal: string;
  key: string;
  /** Hash of the request; the same key with another request is refused. */
  fingerprint: string;
  /** The request's time: a record that expired before it no longer counts (TTL deletes lazily). */
  now: Date;
  expiresAt: Date;
}

export type { ListFilter, ListOrder } from '../domain/listing';

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** A timeline event as the metrics API reads it, from the events index. */
export interface MetricEvent {
  caseId: string;
  severity: Severity;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

export interface KnownContact {
  accountId: string;
  accountName: string;
  segment?: string;
  name?: string;
}

export interface StoredEvent extends TimelineEvent {
  seq: string;
}

export interface StoredNotification extends Notification {
  status: 'pending' | 'sending' | 'sent' | 'failed';
  /** The case version whose change owed this email; its timeline entry sorts after that change. */
  version: number;
  /** Sends tried so far. */
  attempts: number;
  /** When the change that owes it was written. */
  queuedAt: string;
  /** TTL of an email of a closed case (epoch seconds): its settle entry on the timeline takes the same. */
  expiresAt?: number;
}

/** An email this caller has claimed: only it may settle it, until its lease runs out. */
export interface ClaimedEmail extends StoredNotification {
  caseId: string;
  claimId: string;
}

/** An email owed and not yet sent, as the owed-email index lists it (functions/domain/email-delivery.ts reads it). */
export interface OwedEmail extends OwedEmailState {
  caseId: string;
  id: string;
}

/** What the owed-email sweep reads (Outbox.owedEmails). */
export interface OwedEmails {
  owed: number;
  oldestQueuedAt?: string;
  candidates: OwedEmail[];
  /** Outbox items that could not be read, each named by its error's message (no personal data). */
  unreadable: string[];
}

/** What a write stored, or (a retried request) what the first one stored. */
export interface Written {
  escalation: Escalation;
  replayed: boolean;
}

/** The case aggregate: the case, its timeline, its owed emails queued with each change, the idempotency records of the requests that wrote it (functions/adapters/dynamodb-cases.ts). */
export interface CaseStore {
  /**
   * Writes a new case, its first events and owed emails atomically. With an idempotency claim
   * the record is written in the same transaction; a retry finds it and gets the first answer.
   */
  create(change: Change, claim?: IdempotencyClaim): Promise<Written>;
  get(id: string): Promise<Escalation | undefined>;
  /**
   * Writes the next version, its events and the emails it owes (pending, in the outbox)
   * atomically, if the stored version is still `expectedVersion` (else VersionConflictError).
   * With an idempotency claim, as `create`.
   */
  save(change: Change, expectedVersion: number, claim?: IdempotencyClaim): Promise<Written>;
  /**
   * Appends events to a case's timeline without changing the case (it must exist, and be at
   * `expectedVersion` when one is given, else VersionConflictError). With an idempotency
   * claim, as `create`.
   */
  append(escalation: Escalation, events: TimelineEvent[], expectedVersion: number | undefined, claim?: IdempotencyClaim): Promise<Written>;
  /** The first answer to a request already made with this key; IdempotencyKeyReusedError when the key came with another request. */
  replayed(claim: IdempotencyClaim): Promise<Escalation | undefined>;
  /**
   * A page of the cases that match the filter, in the order asked (by default functions/domain/
   * listing.ts `defaultOrder`), and the cursor to the next page; InvalidCursorError for a cursor
   * this list did not hand out.
   */
  list(filter: ListFilter, page: { limit: number; cursor?: string; order?: ListOrder }, now: Date): Promise<Page<Escalation>>;
  timeline(id: string, page: { limit: number; cursor?: string }): Promise<Page<StoredEvent>>;
  /**
   * Gives every item stored in the case's partition (events, emails, pointers) the case's deletion
   * date, for DynamoDB's TTL. Idempotent; items written after it carry the date themselves.
   */
  scheduleDeletion(caseId: string, retainUntil: string): Promise<{ items: number }>;
}

/** The emails and chat messages changes owe, claimed, settled, retried or given up (functions/adapters/dynamodb-outbox.ts). */
export interface Outbox {
  /**
   * Takes an owed email for sending, holding it until `leaseUntil`; undefined when it is sent,
   * someone holds it, or it is not for this claimer yet. `first`: a new email, never tried (the
   * table stream's claim). `due`: whatever functions/domain/email-delivery.ts `isDue` allows
   * (the retry sweep's claim), a new email only once `handoffUntil` has passed.
   */
  claimEmail(caseId: string, id: string, claim: { as: 'first' } | { as: 'due'; now: Date; handoffBefore: Date }, leaseUntil: Date): Promise<ClaimedEmail | undefined>;
  /** Sent: the message id on the email, on the timeline and in the reply index. False when the claim had run out and been taken over. */
  settleSent(email: ClaimedEmail, messageId: string, at: Date): Promise<boolean>;
  /** A chat message posted: settled as sent, `chat_posted` on the timeline. False when the claim had run out and been taken over. */
  settlePosted(message: ClaimedEmail, at: Date): Promise<boolean>;
  /** Not sent this time: pending again, not before `retryAt`. */
  deferEmail(email: ClaimedEmail, retryAt: string, error: string): Promise<void>;
  /** Given up: failed, out of the owed index, and on the case timeline. */
  abandonEmail(email: ClaimedEmail, reason: string, at: Date): Promise<void>;
  /**
   * What the owed-email index holds at `now`: how many emails are owed, when the oldest of them
   * was queued (undefined: none), and, read from the outbox, those the sweep may take by now
   * (one lease after they were queued, or their retry time); `isDue` decides among them.
   * An outbox item this code cannot read is named in `unreadable` and left owed, so the age
   * alarm still sees it; it never keeps the sweep from the others.
   */
  owedEmails(now: Date): Promise<OwedEmails>;
  /** The case one of our sent emails belongs to, by SES message id. */
  caseForSentMessage(sesMessageId: string): Promise<string | undefined>;
}

/** Incidents: one problem, many customers (functions/adapters/dynamodb-incidents.ts). */
export interface IncidentStore {
  /** False when an incident with its id exists already (a concurrent retry made it). */
  createIncident(incident: Incident): Promise<boolean>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** Appends an update unless one with its id is there; guarded by the incident's version. */
  saveIncident(incident: Incident, expectedVersion: number): Promise<void>;
  /** A page of the incidents in one status, newest first. */
  listIncidents(status: IncidentStatus, page: { limit: number; cursor?: string }): Promise<Page<Incident>>;
}

/** The account aggregate: contact directory, profile, item collection, erasure (functions/adapters/dynamodb-accounts.ts). */
export interface AccountStore {
  /**
   * Adds the case's account to each contact's directory entry (the table's stream calls it for
   * contacts a stored case lists that its previous version did not). Repeating it is harmless.
   */
  rememberContacts(escalation: Escalation, contacts: Escalation['customer']['contacts']): Promise<void>;
  /**
   * Every account an address is a customer contact of, learnt from the escalations that listed
   * it (at intake, or added later), once the table's stream has followed that write (within
   * seconds). An address stays known once learnt.
   */
  accountsForContact(email: string): Promise<KnownContact[]>;
  /** The account's sponsorship decision and history; undefined when nothing was ever decided. */
  accountProfile(accountId: string): Promise<AccountProfile | undefined>;
  /** Writes the profile if it is still at `expectedVersion` (0: none yet), else VersionConflictError. */
  saveAccountProfile(profile: AccountProfile, expectedVersion: number): Promise<void>;
  /** The account's own item collection: profile, sponsorship proposals, the addresses the contact directory learnt for it. */
  accountRecords(accountId: string): Promise<AccountRecords>;
  /** Every item stored in the case's partition (its record, timeline events, owed and sent emails, pointers), key attributes left out but the sort key. */
  caseItems(caseId: string): Promise<Record<string, unknown>[]>;
  /** The contact directory's entries of these addresses for this account (the inbound mail lookup). */
  directoryEntries(accountId: string, emails: string[]): Promise<Record<string, unknown>[]>;
  /**
   * Rewrites every item of the case's partition but the case itself without personal data
   * (functions/domain/erasure.ts); deletes the idempotency records holding copies of the case.
   * Returns how many items it rewrote or deleted.
   */
  eraseCaseItems(caseId: string, personal: readonly string[]): Promise<number>;
  /** The same for the account's item collection; its contact items and contact directory entries are deleted. */
  eraseAccountItems(accountId: string, personal: readonly string[], addresses: string[]): Promise<number>;
  /** The audit record of an erasure, in the account's item collection. */
  recordErasure(accountId: string, record: ErasureRecord): Promise<void>;
}

/** Inbound mail taken in once (functions/adapters/dynamodb-inbound-messages.ts). */
export interface InboundMessageLog {
  /** Takes in an inbound email once: false when it was already taken in (or is being). */
  claimInboundMessage(messageId: string, expiresAt: Date): Promise<boolean>;
  /** Processing failed: let a redelivery try again. */
  releaseInboundMessage(messageId: string): Promise<void>;
}

/** The metric facts of timeline events, by type and month (functions/adapters/dynamodb-metric-events.ts). */
export interface MetricEventLog {
  /** The metric-relevant timeline events between two instants (the metrics index), optionally of one severity. */
  metricEvents(range: { from: Date; to: Date }, severity?: Severity): Promise<MetricEvent[]>;
}

/** Everything the use cases keep in the table, one port per aggregate, served together (functions/adapters/dynamodb-repository.ts). */
export interface EscalationRepository extends CaseStore, Outbox, IncidentStore, AccountStore, InboundMessageLog, MetricEventLog {}

export interface AccountRecords {
  profile?: AccountProfile;
  proposals: SponsorshipProposal[];
  /** Addresses (lower case) the contact directory knows for this account. */
  contacts: string[];
}

/** Who erased an account's personal data, when, why, and how much. */
export interface ErasureRecord {
  id: string;
  requestedAt: string;
  completedAt: string;
  by: string;
  reason: string;
  cases: string[];
  itemsRewritten: number;
  /** Inbound emails of those cases whose raw MIME was deleted from the bucket. */
  rawMailDeleted: number;
}
