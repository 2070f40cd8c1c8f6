import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeDeadlines,
  nextPendingDeadline,
  pauseClock,
  resumeClock,
  type Deadlines,
  type SlaClock,
} from '../../functions/domain/deadlines';
import { SEVERITIES, STATUSES, type Severity } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { DAY, HOUR, MINUTE, NOW, playbook } from './fixtures';

const intakeClock = (at: Date): SlaClock => ({ startedAt: at.toISOString(), updateClockFrom: at.toISOString(), pausedMs: 0 });
const ms = (iso: string) => Date.parse(iso);

// Arbitraries
const severityArb = fc.constantFrom(...SEVERITIES);
const intakeArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true });
/** A step of a pause/resume sequence: which operation, and how long after the previous step. */
const stepArb = fc.record({ op: fc.constantFrom('pause' as const, 'resume' as const), gap: fc.integer({ min: 0, max: 30 * DAY }) });
const anySequenceArb = fc.array(stepArb, { maxLength: 25 });
/** Alternating pause → resume pairs with the lengths of the running and paused stretches. */
const pairsArb = fc.array(fc.record({ runFor: fc.integer({ min: 0, max: 10 * DAY }), pauseFor: fc.integer({ min: 0, max: 10 * DAY }) }), {
  maxLength: 10,
});

function deadlineInstants(d: Deadlines): number[] {
  return [d.acknowledgeBy, d.nextUpdateBy, d.resolveBy, ...(d.followUpAt ? [d.followUpAt] : [])].map(ms);
}

describe('computeDeadlines at intake (known answers, intake 2026-03-02T10:00Z)', () => {
  const cases: [Severity, string, string, string][] = [
    ['critical', '2026-03-02T11:00:00.000Z', '2026-03-02T11:00:00.000Z', '2026-03-03T10:00:00.000Z'],
    ['high', '2026-03-02T14:00:00.000Z', '2026-03-02T14:00:00.000Z', '2026-03-05T10:00:00.000Z'],
    ['medium', '2026-03-03T10:00:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-09T10:00:00.000Z'],
    ['low', '2026-03-04T10:00:00.000Z', '2026-03-04T10:00:00.000Z', '2026-03-16T10:00:00.000Z'],
  ];
  it.each(cases)('%s: acknowledge by %s, update by %s, resolve by %s', (severity, acknowledgeBy, nextUpdateBy, resolveBy) => {
    expect(computeDeadlines(severity, intakeClock(NOW), playbook)).toEqual({ acknowledgeBy, nextUpdateBy, resolveBy });
  });

  it('adds a follow-up 24 h after resolution only when resolved', () => {
    const clock = intakeClock(NOW);
    expect(computeDeadlines('high', clock, playbook).followUpAt).toBeUndefined();
    expect(computeDeadlines('high', clock, playbook, '2026-03-03T08:30:00.000Z').followUpAt).toBe('2026-03-04T08:30:00.000Z');
  });

  it('reads the targets from the playbook, not from constants', () => {
    const custom = parsePlaybook({ severities: { high: { acknowledgeWithin: '2h', resolveWithin: '5d' } }, followUp: { after: '48h' } });
    const d = computeDeadlines('high', intakeClock(NOW), custom, '2026-03-02T12:00:00.000Z');
    expect(d.acknowledgeBy).toBe('2026-03-02T12:00:00.000Z');
    expect(d.resolveBy).toBe('2026-03-07T10:00:00.000Z');
    expect(d.followUpAt).toBe('2026-03-04T12:00:00.000Z');
  });

  it('runs the update clock from updateClockFrom and resolution from startedAt plus paused time', () => {
    const clock: SlaClock = { startedAt: NOW.toISOString(), updateClockFrom: '2026-03-02T13:00:00.000Z', pausedMs: 90 * MINUTE };
    const d = computeDeadlines('critical', clock, playbook);
    expect(d.acknowledgeBy).toBe('2026-03-02T11:00:00.000Z');
    expect(d.nextUpdateBy).toBe('2026-03-02T14:00:00.000Z');
    expect(d.resolveBy).toBe('2026-03-03T11:30:00.000Z');
  });

  it('at intake, every deadline is exactly intake + the severity target', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, (severity, at) => {
        const d = computeDeadlines(severity, intakeClock(at), playbook);
        const t = playbook.severities[severity];
        expect(ms(d.acknowledgeBy) - at.getTime()).toBe(t.acknowledgeWithin);
        expect(ms(d.nextUpdateBy) - at.getTime()).toBe(t.updateEvery);
        expect(ms(d.resolveBy) - at.getTime()).toBe(t.resolveWithin);
      }),
    );
  });
});

/** Applies a sequence of pause/resume operations, returning the clock and the instant of the last step. */
function run(start: Date, steps: { op: 'pause' | 'resume'; gap: number }[]) {
  let clock = intakeClock(start);
  let t = start.getTime();
  const history: SlaClock[] = [clock];
  for (const { op, gap } of steps) {
    t += gap;
    clock = op === 'pause' ? pauseClock(clock, new Date(t)) : resumeClock(clock, new Date(t)).clock;
    history.push(clock);
  }
  return { clock, t, history };
}

describe('pause and resume (properties)', () => {
  it('no deadline is ever before intake, for any severity, intake and sequence of pauses/resumes', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, anySequenceArb, fc.option(fc.integer({ min: 0, max: 60 * DAY })), (severity, at, steps, resolveAfter) => {
        const { history, t } = run(at, steps);
        for (const clock of history) {
          const resolvedAt = resolveAfter === null ? undefined : new Date(t + resolveAfter).toISOString();
          for (const instant of deadlineInstants(computeDeadlines(severity, clock, playbook, resolvedAt))) {
            expect(instant).toBeGreaterThanOrEqual(at.getTime());
          }
        }
      }),
    );
  });

  it('no pause ever shortens an SLA: resolveBy and nextUpdateBy never move earlier along any sequence', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, anySequenceArb, (severity, at, steps) => {
        const { history } = run(at, steps);
        for (let i = 1; i < history.length; i++) {
          const before = computeDeadlines(severity, history[i - 1]!, playbook);
          const after = computeDeadlines(severity, history[i]!, playbook);
          expect(ms(after.resolveBy)).toBeGreaterThanOrEqual(ms(before.resolveBy));
          expect(ms(after.nextUpdateBy)).toBeGreaterThanOrEqual(ms(before.nextUpdateBy));
          expect(after.acknowledgeBy).toBe(before.acknowledgeBy);
        }
      }),
    );
  });

  it('a pause leaves the deadlines as they are; the resume moves resolveBy and nextUpdateBy by exactly the paused length', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, pairsArb, (severity, at, pairs) => {
        let clock = intakeClock(at);
        let t = at.getTime();
        let totalPaused = 0;
        for (const { runFor, pauseFor } of pairs) {
          t += runFor;
          const before = computeDeadlines(severity, clock, playbook);
          clock = pauseClock(clock, new Date(t));
          expect(computeDeadlines(severity, clock, playbook)).toEqual(before);
          t += pauseFor;
          const resumed = resumeClock(clock, new Date(t));
          clock = resumed.clock;
          totalPaused += pauseFor;
          expect(resumed.pausedForMs).toBe(pauseFor);
          expect(clock.pausedSince).toBeUndefined();
          const after = computeDeadlines(severity, clock, playbook);
          expect(ms(after.resolveBy) - ms(before.resolveBy)).toBe(pauseFor);
          expect(ms(after.nextUpdateBy) - ms(before.nextUpdateBy)).toBe(pauseFor);
          expect(after.acknowledgeBy).toBe(before.acknowledgeBy);
        }
        expect(clock.pausedMs).toBe(totalPaused);
        expect(ms(computeDeadlines(severity, clock, playbook).resolveBy)).toBe(at.getTime() + playbook.severities[severity].resolveWithin + totalPaused);
      }),
    );
  });

  it('resuming a clock that is not paused changes nothing', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, pairsArb, fc.integer({ min: 0, max: 30 * DAY }), (severity, at, pairs, gap) => {
        const { clock, t } = run(
          at,
          pairs.flatMap(({ runFor, pauseFor }) => [
            { op: 'pause' as const, gap: runFor },
            { op: 'resume' as const, gap: pauseFor },
          ]),
        );
        const resumed = resumeClock(clock, new Date(t + gap));
        expect(resumed.pausedForMs).toBe(0);
        expect(resumed.clock).toEqual(clock);
        expect(computeDeadlines(severity, resumed.clock, playbook)).toEqual(computeDeadlines(severity, clock, playbook));
      }),
    );
  });

  it('a resume stamped before the pause (clock skew) never moves deadlines earlier', () => {
    const paused = pauseClock(intakeClock(NOW), new Date('2026-03-02T12:00:00Z'));
    const { clock, pausedForMs } = resumeClock(paused, new Date('2026-03-02T11:00:00Z'));
    expect(pausedForMs).toBe(0);
    expect(computeDeadlines('high', clock, playbook)).toEqual(computeDeadlines('high', intakeClock(NOW), playbook));
  });

  it('pauseClock records when the pause started and does not mutate its input', () => {
    const clock = intakeClock(NOW);
    const snapshot = structuredClone(clock);
    const paused = pauseClock(clock, new Date('2026-03-02T12:00:00Z'));
    expect(paused.pausedSince).toBe('2026-03-02T12:00:00.000Z');
    expect(clock).toEqual(snapshot);
    resumeClock(paused, new Date('2026-03-02T13:00:00Z'));
    expect(paused.pausedSince).toBe('2026-03-02T12:00:00.000Z');
  });

  it('known answer: critical, paused 11:00–14:30, resolves 3.5 h later than planned', () => {
    let clock = intakeClock(NOW);
    clock = pauseClock(clock, new Date('2026-03-02T11:00:00Z'));
    const { clock: resumed, pausedForMs } = resumeClock(clock, new Date('2026-03-02T14:30:00Z'));
    expect(pausedForMs).toBe(3.5 * HOUR);
    expect(computeDeadlines('critical', resumed, playbook)).toEqual({
      acknowledgeBy: '2026-03-02T11:00:00.000Z',
      nextUpdateBy: '2026-03-02T14:30:00.000Z',
      resolveBy: '2026-03-03T13:30:00.000Z',
    });
  });
});

describe('nextPendingDeadline', () => {
  const d: Deadlines = {
    acknowledgeBy: '2026-03-02T14:00:00.000Z',
    nextUpdateBy: '2026-03-02T12:00:00.000Z',
    resolveBy: '2026-03-05T10:00:00.000Z',
    followUpAt: '2026-03-06T10:00:00.000Z',
  };

  it('open: the acknowledgement deadline (when it comes before resolution)', () => {
    expect(nextPendingDeadline('open', d)).toBe(d.acknowledgeBy);
  });

  it('open: the earlier of acknowledgement and resolution', () => {
    expect(nextPendingDeadline('open', { ...d, resolveBy: '2026-03-02T13:00:00.000Z' })).toBe('2026-03-02T13:00:00.000Z');
  });

  it('acknowledged / in_progress: the earlier of the next update and resolution', () => {
    expect(nextPendingDeadline('acknowledged', d)).toBe(d.nextUpdateBy);
    expect(nextPendingDeadline('in_progress', d)).toBe(d.nextUpdateBy);
    const late = { ...d, nextUpdateBy: '2026-03-07T00:00:00.000Z' };
    expect(nextPendingDeadline('in_progress', late)).toBe(d.resolveBy);
  });

  it('waiting_on_customer: nothing (the clock is paused)', () => {
    expect(nextPendingDeadline('waiting_on_customer', d)).toBeUndefined();
  });

  it('resolved: the follow-up', () => {
    expect(nextPendingDeadline('resolved', d)).toBe(d.followUpAt);
    expect(nextPendingDeadline('resolved', { ...d, followUpAt: undefined })).toBeUndefined();
  });

  it('closed / out_of_scope: nothing', () => {
    expect(nextPendingDeadline('closed', d)).toBeUndefined();
    expect(nextPendingDeadline('out_of_scope', d)).toBeUndefined();
  });

  it('property: for every status the answer is one of the deadlines and none pending is earlier', () => {
    const iso = intakeArb.map((x) => x.toISOString());
    fc.assert(
      fc.property(fc.constantFrom(...STATUSES), iso, iso, iso, iso, (status, a, u, r, f) => {
        const deadlines: Deadlines = { acknowledgeBy: a, nextUpdateBy: u, resolveBy: r, followUpAt: f };
        const pending: Record<string, string[]> = {
          open: [a, r],
          acknowledged: [u, r],
          in_progress: [u, r],
          resolved: [f],
        };
        const next = nextPendingDeadline(status, deadlines);
        const candidates = pending[status];
        if (!candidates) {
          expect(next).toBeUndefined();
          return;
        }
        expect(candidates).toContain(next);
        for (const c of candidates) expect(ms(next!)).toBeLessThanOrEqual(ms(c));
      }),
    );
  });
});
