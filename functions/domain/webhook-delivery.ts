import type { Backoff } from './backoff';
import { afterFailedAttempt, type AfterFailure, type OwedEmailState } from './email-delivery';

// A webhook delivery rides the same never-lost rules as an owed email (functions/domain/
// email-delivery.ts): one item per delivery, claimed with a lease, tried again with backoff
// for at least 24 hours, then given up (and the webhook disabled, alarmed). What differs is the
// pace: a receiver that blinked should hear again within seconds, so the first waits are
// seconds, not minutes (the consumer that first posted it waits for them: usecases/webhooks.ts).

/** 10 s, 20 s, 40 s … (equal jitter: at least half of each) up to an hour apart. */
export const WEBHOOK_RETRY_BACKOFF: Backoff = { baseMs: 10_000, capMs: 3_600_000, jitter: 'equal' };
export const WEBHOOK_RETRY_WINDOW_MS = 24 * 3_600_000;

/**
 * A chat message to a role's Slack or Teams channel is an HTTP post to an incoming webhook, so
 * it keeps a webhook's backoff and patience, tried for a day. Its retries all come from the
 * every-minute sweep (an alert is no worse for a minute's delay), so a channel that blinked
 * hears again about a minute later.
 */
export const CHAT_RETRY_POLICY = { backoff: WEBHOOK_RETRY_BACKOFF, windowMs: WEBHOOK_RETRY_WINDOW_MS };

/** How long a receiver may take to answer before the attempt counts as failed. */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Attempts kept on a delivery for GET /webhooks/{id}/deliveries: the first ones and the latest tell the story. */
export const KEPT_ATTEMPTS = 10;

export type DeliveryState = OwedEmailState;

export interface DeliveryAttempt {
  at: string;
  /** The receiver's HTTP status; absent when there was no answer (refused, timed out, address not allowed). */
  status?: number;
  durationMs: number;
  /** Why it failed, or the start of what the receiver answered. */
  outcome: string;
}

/** What a receiver's answer means: 2xx delivered; anything else (or no answer) tried again, as Standard Webhooks senders do. */
export const delivered = (status: number | undefined) => status !== undefined && status >= 200 && status < 300;

/** After a failed attempt: when to try again, or give up (the window since the event has passed, or the target will never be allowed). */
export function afterFailedDelivery(delivery: Pick<DeliveryState, 'queuedAt' | 'attempts'>, now: Date, failure: { permanent: boolean; reason: string }, random: number): AfterFailure {
  return afterFailedAttempt(delivery, now, failure, random, { backoff: WEBHOOK_RETRY_BACKOFF, windowMs: WEBHOOK_RETRY_WINDOW_MS });
}

/** The attempts a delivery keeps: the first few and the latest, at most KEPT_ATTEMPTS. */
export function keepAttempts(attempts: readonly DeliveryAttempt[], next: DeliveryAttempt): DeliveryAttempt[] {
  const all = [...attempts, next];
  return all.length <= KEPT_ATTEMPTS ? all : [...all.slice(0, 3), ...all.slice(-(KEPT_ATTEMPTS - 3))];
}
