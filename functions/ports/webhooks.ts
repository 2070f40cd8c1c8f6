import type { DeliveryAttempt, DeliveryState } from '../domain/webhook-delivery';
import type { DomainEvent } from '../domain/domain-events';

/** A registered receiver of events outside AWS. */
export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event types it takes; "*" for every one. */
  events: string[];
  description?: string;
  status: 'active' | 'disabled';
  createdAt: string;
  createdBy: string;
  /** The current secret first; after a rotation, the previous one until `validUntil` (both sign meanwhile). */
  secrets: { secret: string; validUntil?: string }[];
  disabledAt?: string;
  disabledReason?: string;
}

export interface DeliveryRef {
  webhookId: string;
  /** Its place among the webhook's deliveries: `<event timestamp>#<event id>`, the same for every retry of a stream batch. */
  key: string;
}

/** One event owed to one webhook. */
export interface StoredDelivery extends DeliveryRef, DeliveryState {
  eventId: string;
  eventType: string;
  /** The signed body: the event as JSON, byte for byte the same on every attempt. */
  body: string;
  history: DeliveryAttempt[];
  deliveredAt?: string;
  failedAt?: string;
  lastError?: string;
}

/** A delivery this caller holds until its lease runs out: only it may settle it. */
export interface ClaimedDelivery extends StoredDelivery {
  claimId: string;
}

export type DeliveryOutcome =
  | { status: 'delivered'; attempt: DeliveryAttempt }
  | { status: 'pending'; attempt: DeliveryAttempt; retryAt: string }
  | { status: 'failed'; attempt?: DeliveryAttempt; reason: string };

export interface WebhookStore {
  register(subscription: WebhookSubscription): Promise<void>;
  get(id: string): Promise<WebhookSubscription | undefined>;
  /** Every registered webhook (one partition, one Query). */
  list(): Promise<WebhookSubscription[]>;
  /** Replaces the secrets if the current one is still `expectedCurrent` (else VersionConflictError: a concurrent rotation won). */
  replaceSecrets(id: string, secrets: WebhookSubscription['secrets'], expectedCurrent: string): Promise<void>;
  /** Stops deliveries to it; the reason says why (deliveries given up after their retry window). */
  disable(id: string, reason: string, at: Date): Promise<void>;
  enable(id: string): Promise<void>;
  /**
   * Writes the deliveries, each already claimed by `claimId` until `leaseUntil`; returns those
   * written now (a retried stream batch finds the others there and leaves them to their claimer or the sweep).
   */
  queueDeliveries(deliveries: Omit<StoredDelivery, 'status' | 'attempts' | 'history'>[], claimId: string, leaseUntil: Date): Promise<ClaimedDelivery[]>;
  /** Takes a delivery the sweep found due (functions/domain/email-delivery.ts `isDue`), until `leaseUntil`. */
  claimDelivery(ref: DeliveryRef, now: Date, leaseUntil: Date): Promise<ClaimedDelivery | undefined>;
  /** Records an attempt's outcome; false when the claim had run out and someone else holds the delivery. */
  settleDelivery(delivery: ClaimedDelivery, outcome: DeliveryOutcome, at: Date): Promise<boolean>;
  /**
   * The owed deliveries' count, the oldest one's queuedAt, and those the sweep may take by `now`;
   * a delivery this code cannot read is named in `unreadable` and left owed (see `owedEmails`).
   */
  owedDeliveries(now: Date): Promise<{ owed: number; oldestQueuedAt?: string; candidates: (DeliveryRef & DeliveryState)[]; unreadable: string[] }>;
  /** A webhook's deliveries, newest first. */
  deliveries(webhookId: string, page: { limit: number; cursor?: string }): Promise<{ items: StoredDelivery[]; nextCursor?: string }>;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** Posts one delivery. Answers with whatever status the receiver gave; throws when there was no answer (WebhookTargetRefusedError: the address is not allowed). */
export interface WebhookSender {
  post(request: WebhookRequest): Promise<{ status: number; body: string }>;
}

/**
 * Puts events on the stack's event bus (EventBridge). Answers the events the bus refused (a
 * failed entry: throttled, or an internal error), each with why; throws when the call itself
 * failed (then none was put).
 */
export interface EventPublisher {
  publish(events: DomainEvent[]): Promise<{ refused: { event: DomainEvent; reason: string }[] }>;
}
