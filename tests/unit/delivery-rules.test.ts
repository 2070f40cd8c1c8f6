import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUnavailable } from '../../functions/adapters/aws-clients';
import { backoffDelay } from '../../functions/domain/backoff';
import { afterFailedAttempt, EMAIL_RETRY_BACKOFF, EMAIL_RETRY_WINDOW_MS, isDue } from '../../functions/domain/email-delivery';
import { nextRecovery, REARM_BACKOFF, REARM_MEMORY_MS } from '../../functions/domain/workflow-recovery';
import { toProblem } from '../../functions/http/problem';
import { DependencyUnavailableError, VersionConflictError } from '../../functions/ports/errors';
import { retrying, sleepUntil } from '../../functions/support/retrying';
import { CaseBusyError, PreconditionFailedError } from '../../functions/usecases/errors';
import { HOUR, MINUTE } from './fixtures';

const T0 = Date.parse('2026-05-04T09:00:00Z');
const at = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => at(ms).toISOString();

describe('backoff', () => {
  it('grows by doubling to its cap, never above it, never below zero (full jitter) or half the ceiling (equal jitter)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom<'full' | 'equal'>('full', 'equal'), (attempt, random, jitter) => {
        const backoff = { baseMs: 100, capMs: 10_000, jitter };
        const ceiling = Math.min(10_000, 100 * 2 ** (attempt - 1));
        const delay = backoffDelay(attempt, backoff, random);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(delay).toBeGreaterThanOrEqual(jitter === 'full' ? 0 : Math.floor(ceiling / 2));
      }),
    );
  });

  it('spreads retries: two writers drawing different randoms wait different times', () => {
    expect(backoffDelay(3, { baseMs: 20, capMs: 1000, jitter: 'full' }, 0.1)).not.toBe(backoffDelay(3, { baseMs: 20, capMs: 1000, jitter: 'full' }, 0.9));
  });
});

describe('an owed email', () => {
  const lease = 2 * MINUTE;

  it('is the stream\'s for one lease after it is queued; then the sweep may take it', () => {
    const email = { status: 'pending' as const, queuedAt: iso(0), attempts: 0 };
    expect(isDue(email, at(lease - 1), lease)).toBe(false);
    expect(isDue(email, at(lease), lease)).toBe(true);
  });

  it('after a failed attempt is due at its retry time, and a claim is due again when its lease ran out', () => {
    expect(isDue({ status: 'pending', queuedAt: iso(0), attempts: 1, nextAttemptAt: iso(5 * MINUTE) }, at(5 * MINUTE - 1), lease)).toBe(false);
    expect(isDue({ status: 'pending', queuedAt: iso(0), attempts: 1, nextAttemptAt: iso(5 * MINUTE) }, at(5 * MINUTE), lease)).toBe(true);
    expect(isDue({ status: 'sending', queuedAt: iso(0), attempts: 1, leaseUntil: iso(lease) }, at(lease - 1), lease)).toBe(false);
    expect(isDue({ status: 'sending', queuedAt: iso(0), attempts: 1, leaseUntil: iso(lease) }, at(lease), lease)).toBe(true);
    expect(isDue({ status: 'sent', queuedAt: iso(0), attempts: 1 }, at(HOUR * 100), lease)).toBe(false);
    expect(isDue({ status: 'failed', queuedAt: iso(0), attempts: 9 }, at(HOUR * 100), lease)).toBe(false);
  });

  it('is tried again for at least 24 h with growing waits, then given up; a refusal of the message itself is given up at once', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 200, maxLength: 200 }), (randoms) => {
        let now = 0;
        let attempts = 0;
        const waits: number[] = [];
        for (const random of randoms) {
          attempts++;
          const next = afterFailedAttempt({ queuedAt: iso(0), attempts }, at(now), { permanent: false, reason: 'SES unavailable' }, random);
          if ('giveUp' in next) {
            expect(now).toBeGreaterThanOrEqual(EMAIL_RETRY_WINDOW_MS); // never before a whole window
            expect(now).toBeLessThan(EMAIL_RETRY_WINDOW_MS + EMAIL_RETRY_BACKOFF.capMs + 1); // and not long after it
            expect(next.giveUp).toContain('SES unavailable');
            return;
          }
          const wait = Date.parse(next.retryAt) - (T0 + now);
          expect(wait).toBeGreaterThanOrEqual(EMAIL_RETRY_BACKOFF.baseMs / 2);
          expect(wait).toBeLessThanOrEqual(EMAIL_RETRY_BACKOFF.capMs);
          waits.push(wait);
          now += wait;
        }
        throw new Error(`still retrying after ${attempts} attempts (${now} ms)`);
      }),
      { numRuns: 200 },
    );
    expect(afterFailedAttempt({ queuedAt: iso(0), attempts: 1 }, at(MINUTE), { permanent: true, reason: 'MessageRejected' }, 0.5)).toEqual({ giveUp: 'refused: MessageRejected' });
  });
});

describe('a failed workflow re-armed', () => {
  it('acts at once the first time, then waits longer each time it fails again, up to the cap', () => {
    const first = nextRecovery(undefined, at(0), 0.5);
    expect(first).toEqual({ attempts: 1, lastAt: iso(0) });
    let previous = first;
    let lastWait = 0;
    for (let attempt = 2; attempt <= 12; attempt++) {
      const next = nextRecovery(previous, at(attempt * MINUTE), 0.99);
      expect(next.attempts).toBe(attempt);
      const wait = Date.parse(next.notBefore!) - Date.parse(next.lastAt);
      expect(wait).toBeGreaterThanOrEqual(Math.min(lastWait, REARM_BACKOFF.capMs / 2));
      expect(wait).toBeLessThanOrEqual(REARM_BACKOFF.capMs);
      lastWait = wait;
      previous = next;
    }
    expect(lastWait).toBeGreaterThan(REARM_BACKOFF.capMs / 2);
  });

  it('starts counting again when the last re-arm is a day old', () => {
    const old = { attempts: 7, lastAt: iso(0), notBefore: iso(HOUR) };
    expect(nextRecovery(old, at(REARM_MEMORY_MS - 1), 0.5).attempts).toBe(8);
    expect(nextRecovery(old, at(REARM_MEMORY_MS), 0.5)).toEqual({ attempts: 1, lastAt: iso(REARM_MEMORY_MS) });
  });
});

describe('the retry loop', () => {
  const noSleep = { sleep: async () => undefined, random: () => 0.5 };

  it('retries what is retryable until it works, and gives up on what is not at once', async () => {
    let calls = 0;
    const result = await retrying(async () => (++calls < 4 ? Promise.reject(new VersionConflictError('raced')) : 'written'), {
      backoff: { baseMs: 1, capMs: 10, jitter: 'full' },
      retryable: (error) => error instanceof VersionConflictError,
      ...noSleep,
    });
    expect([result, calls]).toEqual(['written', 4]);
    calls = 0;
    await expect(retrying(async () => ++calls && Promise.reject(new Error('a bug')), { backoff: { baseMs: 1, capMs: 10, jitter: 'full' }, retryable: () => false, ...noSleep })).rejects.toThrow('a bug');
    expect(calls).toBe(1);
  });

  it('stops after the attempts or the time budget, with the last failure', async () => {
    let calls = 0;
    await expect(retrying(async () => Promise.reject(new Error(`try ${++calls}`)), { backoff: { baseMs: 1, capMs: 10, jitter: 'full' }, retryable: () => true, maxAttempts: 3, ...noSleep })).rejects.toThrow('try 3');
    const waited: number[] = [];
    let clock = 0;
    await expect(
      retrying(async () => Promise.reject(new Error('busy')), {
        backoff: { baseMs: 400, capMs: 400, jitter: 'equal' },
        retryable: () => true,
        budgetMs: 1_000,
        random: () => 0,
        clock: () => clock,
        sleep: async (ms) => {
          waited.push(ms);
          clock += ms;
        },
      }),
    ).rejects.toThrow('busy');
    // 200 ms each (half the ceiling): five fill the budget exactly, a sixth would cross it.
    expect(waited).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('waiting until an instant', () => {
  it('returns only once the clock reads the instant, however early a timer fires for it', async () => {
    const at = new Date(Date.now() + 40);
    // Told the clock runs 4x real time while it runs at 1x: every timer ends at a quarter of what
    // was left, as an early-firing timer would. One timer would return 30 ms before `at`.
    await sleepUntil(at, () => new Date(), 4);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime());
  });
});

describe('throttling and unavailability', () => {
  const sdkError = (name: string, status?: number, code?: string) => Object.assign(new Error(name), { name, ...(status && { $metadata: { httpStatusCode: status } }), ...(code && { code }) });

  it('tells "not now" (throttled, 5xx, unreachable) from "not this"', () => {
    for (const error of [sdkError('ThrottlingException', 400), sdkError('ProvisionedThroughputExceededException', 400), sdkError('TooManyRequestsException', 429), sdkError('ServiceUnavailable', 503), sdkError('InternalServerError', 500), sdkError('Error', undefined, 'ECONNREFUSED'), sdkError('TimeoutError')]) {
      expect(isUnavailable(error), error.name).toBe(true);
    }
    for (const error of [sdkError('ValidationException', 400), sdkError('ConditionalCheckFailedException', 400), sdkError('AccessDeniedException', 400), sdkError('MessageRejected', 400), new TypeError('x')]) {
      expect(isUnavailable(error), error.name).toBe(false);
    }
  });

  it('answers 503 with Retry-After for an unavailable dependency and a case too busy to write, and 412 only for a stale If-Match', () => {
    expect(toProblem(new DependencyUnavailableError('dynamodb is throttling', 2))).toMatchObject({ status: 503, retryAfter: 2, title: 'Service unavailable' });
    expect(toProblem(new CaseBusyError('busy'))).toMatchObject({ status: 503, retryAfter: 1 });
    expect(toProblem(new PreconditionFailedError('stale'))).toMatchObject({ status: 412 });
    // A version race without If-Match is retried, never answered: if it ever reached the mapping it would be a 500, not a 412.
    expect(toProblem(new VersionConflictError('raced')).status).toBe(500);
  });
});
