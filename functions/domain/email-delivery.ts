import { backoffDelay, type Backoff } from './backoff';

// When an owed email is tried again, and when we stop trying. The outbox keeps one item per
// email a change owes; whoever claims it sends it. These rules decide what a claim may take
// and what a failed attempt leaves behind.

/** A failed send is tried again after 1 min, 2, 4, … up to an hour apart. */
export const EMAIL_RETRY_BACKOFF: Backoff = { baseMs: 60_000, capMs: 3_600_000, jitter: 'equal' };

/** SES outages and paused accounts are waited out this long (from when the email was owed) before it counts as failed. */
export const EMAIL_RETRY_WINDOW_MS = 24 * 3_600_000;

export type OwedStatus = 'pending' | 'sending';

export interface OwedEmailState {
  status: OwedStatus | 'sent' | 'failed';
  /** When the change that owes it was written. */
  queuedAt: string;
  /** Pending after a failed attempt: not before this instant. */
  nextAttemptAt?: string;
  /** Claimed: the claimer holds it until this instant; after that anyone may take it over. */
  leaseUntil?: string;
  attempts: number;
}

/**
 * Whether the retry sweep may claim an email now. A new email is the table stream's to send
 * first: the sweep leaves it alone for one lease (`handoffMs`), so the two never race for it,
 * and takes it after that only if the stream never did (a stream that fell behind, or records
 * skipped). After that: pending and its retry time has come, or claimed by someone whose lease
 * ran out (a crash or a timeout between claim and settle). The repository's claim condition
 * says the same in DynamoDB's words.
 */
export function isDue(email: OwedEmailState, now: Date, handoffMs: number): boolean {
  if (email.status === 'pending') {
    const from = email.nextAttemptAt === undefined ? Date.parse(email.queuedAt) + handoffMs : Date.parse(email.nextAttemptAt);
    return from <= now.getTime();
  }
  if (email.status === 'sending') return email.leaseUntil !== undefined && Date.parse(email.leaseUntil) <= now.getTime();
  return false;
}

export type AfterFailure = { retryAt: string } | { giveUp: string };

/**
 * A send failed. A refusal that will never change (SES rejected the message itself) gives
 * up at once; anything else (SES down, throttled, paused, a template not yet deployed) is
 * tried again with backoff until the retry window since the email was owed has passed.
 * `attempts` counts this attempt.
 */
export function afterFailedAttempt(
  email: Pick<OwedEmailState, 'queuedAt' | 'attempts'>,
  now: Date,
  failure: { permanent: boolean; reason: string },
  random: number,
  /** The pace and patience of retries: an email's by default; a webhook delivery has its own (webhook-delivery.ts). */
  policy: { backoff: Backoff; windowMs: number } = { backoff: EMAIL_RETRY_BACKOFF, windowMs: EMAIL_RETRY_WINDOW_MS },
): AfterFailure {
  if (failure.permanent) return { giveUp: `refused: ${failure.reason}` };
  const owedForMs = now.getTime() - Date.parse(email.queuedAt);
  // Give up only once a whole window has passed: it is tried for at least that long.
  if (owedForMs >= policy.windowMs) {
    return { giveUp: `still failing after ${email.attempts} attempts over ${Math.floor(owedForMs / 3_600_000)} h: ${failure.reason}` };
  }
  return { retryAt: new Date(now.getTime() + backoffDelay(email.attempts, policy.backoff, random)).toISOString() };
}
