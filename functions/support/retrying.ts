import { backoffDelay, type Backoff } from '../domain/backoff';

export interface RetryOptions {
  backoff: Backoff;
  /** Whether this failure is worth another attempt. */
  retryable: (error: unknown) => boolean;
  /** Stop after this many attempts in all. */
  maxAttempts?: number;
  /** Or stop once this much time has gone by (a request must answer before its gateway gives up). */
  budgetMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Real time, for the budget (tests pass a clock that their `sleep` moves). */
  clock?: () => number;
}

/** Resolves after `ms` of real time: the one timer the retry loop and the in-invocation waits use. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `now()` reads `at` or later, on a clock running `scale` times real time (1 on
 * AWS; the local case clock runs faster). One timer is not enough: Node fires it on the event
 * loop's cached time, which can be milliseconds behind under load, and a scaled clock rounds; so
 * what is left is slept again until the clock agrees. Callers act on `at` as come (a claim whose
 * condition is `nextAttemptAt <= now`), so returning a millisecond early is returning too early.
 */
export async function sleepUntil(at: Date, now: () => Date, scale = 1): Promise<void> {
  for (let left = at.getTime() - now().getTime(); left > 0; left = at.getTime() - now().getTime()) await sleep(Math.ceil(left / scale));
}

/**
 * The product's one retry loop: runs `attempt` until it succeeds, the failure is not
 * retryable, or the attempts or the time budget are spent; then the last failure is thrown
 * for the caller to name. Waits follow `backoff` (functions/domain/backoff.ts).
 */
export async function retrying<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxAttempts = Number.POSITIVE_INFINITY, budgetMs = Number.POSITIVE_INFINITY, random = Math.random, sleep: wait = sleep, clock = Date.now } = options;
  const started = clock();
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (!options.retryable(error) || attemptNumber >= maxAttempts) throw error;
      const delay = backoffDelay(attemptNumber, options.backoff, random());
      if (clock() - started + delay > budgetMs) throw error;
      await wait(delay);
    }
  }
}
