import type { Notification } from '../domain/communications';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Incident } from '../domain/incidents';
import type { Severity, Status } from '../domain/vocabulary';

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

export interface ListFilter {
  status?: Status;
  severity?: Severity;
  accountId?: string;
  owner?: string;
}

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
  status: 'pending' | 'sending' | 'sent';
  /** The case version whose change owed this email; its timeline entry sorts after that change. */
  version: number;
  attempts: number;
}

export interface EscalationRepository {
  /** Writes a new case, its first events and owed emails atomically; a replayed idempotency key returns the first case. */
  create(change: Change, claim?: IdempotencyClaim): Promise<{ escalation: Escalation; replayed: boolean }>;
  get(id: string): Promise<Escalation | undefined>;
  /**
   * Writes the next version, its events and the emails it owes (an outbox, already claimed
   * by the caller) atomically, if the stored version is still `expectedVersion`.
   */
  save(change: Change, expectedVersion: number): Promise<void>;
  /** Emails written by earlier changes and not yet handed to the mailer. */
  pendingNotifications(caseId: string): Promise<StoredNotification[]>;
  /** Takes a pending email for sending; false when another attempt already has it. */
  claimNotification(caseId: string, id: string): Promise<boolean>;
  /** Records the mailer's answer: sent (with its message id, also on the timeline) or back to pending. */
  settleNotification(caseId: string, notification: StoredNotification, outcome: { messageId: string } | { error: string }, at: Date): Promise<void>;
  /** The case one of our sent emails belongs to, by SES message id. */
  caseForSentMessage(sesMessageId: string): Promise<string | undefined>;
  /** The account a customer contact belongs to, learnt from earlier escalations. */
  accountForContact(email: string): Promise<KnownContact | undefined>;
  /** Takes in an inbound email once: false when it was already taken in (or is being). */
  claimInboundMessage(messageId: string, expiresAt: Date): Promise<boolean>;
  /** Processing failed: let a redelivery try again. */
  releaseInboundMessage(messageId: string): Promise<void>;
  /** The metric-relevant timeline events between two instants (the metrics index), optionally of one severity. */
  metricEvents(range: { from: Date; to: Date }, severity?: Severity): Promise<MetricEvent[]>;
  createIncident(incident: Incident): Promise<void>;
  getIncident(id: string): Promise<Incident | undefined>;
  /** Appends an update unless one with its id is there; guarded by the incident's version. */
  saveIncident(incident: Incident, expectedVersion: number): Promise<void>;
  list(filter: ListFilter, page: { limit: number; cursor?: string }, now: Date): Promise<Page<Escalation>>;
  timeline(id: string, page: { limit: number; cursor?: string }): Promise<Page<StoredEvent>>;
}
