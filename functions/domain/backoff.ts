/**
 * Exponential backoff with jitter, the one rule every retry in the product follows (writes
 * racing on one case, transactions DynamoDB throttled, emails SES would not take, workflows
 * re-armed after a failure). Attempt 1 waits up to `baseMs`, each further attempt up to twice
 * as long, never more than `capMs`.
 *
 * - `full` jitter (a random wait from 0 to the ceiling) spreads writers that collided at the
 *   same instant the most: the right choice for contention.
 * - `equal` jitter (half the ceiling, plus up to half again at random) never retries at once:
 *   the right choice for a dependency that is down, where an early retry is wasted.
 */
export interface Backoff {
  baseMs: number;
  capMs: number;
  jitter: 'full' | 'equal';
}

/** The wait before retry number `attempt` (1 = the first retry). `random` is in [0, 1). */
export function backoffDelay(attempt: number, backoff: Backoff, random: number): number {
  const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(backoff.jitter === 'full' ? random * ceiling : ceiling / 2 + (random * ceiling) / 2);
}
