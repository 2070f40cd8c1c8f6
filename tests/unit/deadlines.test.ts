import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpenAt, workingTimeBetween } from '../../functions/domain/business-calendar';
import {
  computeDeadlines,
  explainDeadlines,
  nextPendingDeadline,
  pauseClock,
  resumeClock,
  type Deadlines,
  type SlaClock,
} from '../../functions/domain/deadlines';
import { calendarFor, snapshotPolicy, type SlaPolicy } from '../../functions/domain/sla-policy';
import { SEVERITIES, STATUSES, type Severity } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { DAY, HOUR, MINUTE, NOW, playbook } from './fixtures';

const intakeClock = (at: Date): SlaClock => ({ startedAt: at.toISOString(), updateClockFrom: at.toISOString(), pausedMs: 0, pauses: [] });
const ms = (iso: string) => Date.parse(iso);

/** The default playbook for an account in `timezone` (none: the team's zone, UTC). */
const policyFor = (timezone?: string, overrides: unknown = {}, at: Date = NOW): SlaPolicy =>
  snapshotPolicy(parsePlaybook(overrides), { accountId: 'acct-1', ...(timezone && { timezone }) }, at, at.getTime() - 365 * DAY);
const DEFAULT = policyFor();
/** Every severity on the wall clock (24×7): the SLA arithmetic without any calendar. */
const WALL = policyFor(undefined, { severityCalendars: { critical: '24x7', high: '24x7', medium: '24x7', low: '24x7' } });

// Arbitraries
const severityArb = fc.constantFrom(...SEVERITIES);
const intakeArb = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2090-01-01T00:00:00Z'), noInvalidDate: true });
const zoneArb = fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Pacific/Auckland', 'Asia/Kolkata');
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

describe('computeDeadlines at intake with the default playbook (intake Mon 2026-03-02 10:00 UTC, account in UTC)', () => {
  // critical runs 24×7; the others count Mon–Fri 09:00–17:00 (8 working hours a day).
  const cases: [Severity, string, string, string][] = [
    ['critical', '2026-03-02T11:00:00.000Z', '2026-03-02T11:00:00.000Z', '2026-03-03T10:00:00.000Z'],
    // 4h → 14:00; 72h = 7h Mon + 8 more days + 1h → Fri 13 Mar 10:00
    ['high', '2026-03-02T14:00:00.000Z', '2026-03-02T14:00:00.000Z', '2026-03-13T10:00:00.000Z'],
    // 24h = 7 + 8 + 8 + 1 → Thu 10:00; 7d = 168 working hours → Tue 31 Mar 10:00
    ['medium', '2026-03-05T10:00:00.000Z', '2026-03-05T10:00:00.000Z', '2026-03-31T10:00:00.000Z'],
    // 48h → Tue 10 Mar 10:00; 14d = 336 working hours → Wed 29 Apr 10:00
    ['low', '2026-03-10T10:00:00.000Z', '2026-03-10T10:00:00.000Z', '2026-04-29T10:00:00.000Z'],
  ];
  it.each(cases)('%s: acknowledge by %s, update by %s, resolve by %s', (severity, acknowledgeBy, nextUpdateBy, resolveBy) => {
    expect(computeDeadlines(severity, intakeClock(NOW), DEFAULT)).toEqual({ acknowledgeBy, nextUpdateBy, resolveBy });
  });

  it('a high case reported Friday 16:00 in Europe/Berlin is to be acknowledged Monday 12:00 Berlin time', () => {
    const berlin = policyFor('Europe/Berlin');
    const clock = intakeClock(new Date('2026-03-06T15:00:00Z'));
    expect(computeDeadlines('high', clock, berlin).acknowledgeBy).toBe('2026-03-09T11:00:00.000Z');
    const why = explainDeadlines('high', clock, berlin).acknowledgeBy;
    expect(why).toMatchObject({
      at: '2026-03-09T11:00:00.000Z',
      atLocal: '2026-03-09T12:00:00+01:00',
      timeZone: 'Europe/Berlin',
      calendar: { name: 'business', timeZone: 'Europe/Berlin', hours: 'Mon–Fri 09:00–17:00', alwaysOpen: false },
      method: 'working_time',
      countedFromLocal: '2026-03-06T16:00:00+01:00',
      target: '4h',
      counted: [
        { from: '2026-03-06T16:00:00+01:00', to: '2026-03-06T17:00:00+01:00', ms: HOUR },
        { from: '2026-03-09T09:00:00+01:00', to: '2026-03-09T12:00:00+01:00', ms: 3 * HOUR },
      ],
      pausesSkipped: [],
      holidaysSkipped: [],
    });
    expect(why.summary).toContain('Mon 9 Mar 2026 12:00 Europe/Berlin');
  });

  it('an account\'s own calendar replaces the severity\'s', () => {
    const policy = snapshotPolicy(parsePlaybook({ accountCalendars: { 'acct-vip': { high: '24x7' } } }), { accountId: 'acct-vip' }, NOW, NOW.getTime());
    expect(computeDeadlines('high', intakeClock(new Date('2026-03-06T15:00:00Z')), policy).acknowledgeBy).toBe('2026-03-06T19:00:00.000Z');
  });

  it('a calendar with its own zone counts in it; the deadline is still shown in the account\'s zone', () => {
    const policy = policyFor('Asia/Tokyo', { calendars: { business: { timeZone: 'Europe/Berlin' } } });
    const clock = intakeClock(new Date('2026-03-06T15:00:00Z'));
    const why = explainDeadlines('high', clock, policy).acknowledgeBy;
    expect(why.at).toBe('2026-03-09T11:00:00.000Z');
    expect(why.atLocal).toBe('2026-03-09T20:00:00+09:00');
    expect(why.calendar.timeZone).toBe('Europe/Berlin');
    expect(why.counted[0]!.from).toBe('2026-03-06T16:00:00+01:00');
  });

  it('follow-ups come 24 h after resolution, moved to the next working moment unless 24×7', () => {
    const clock = intakeClock(NOW);
    expect(computeDeadlines('high', clock, DEFAULT).followUpAt).toBeUndefined();
    // Resolved Tuesday 08:30 UTC: Wednesday 08:30 is before opening → 09:00.
    expect(computeDeadlines('high', clock, DEFAULT, '2026-03-03T08:30:00.000Z').followUpAt).toBe('2026-03-04T09:00:00.000Z');
    // Resolved Friday 15:00: Saturday 15:00 → Monday 09:00.
    const friday = explainDeadlines('high', clock, DEFAULT, '2026-03-06T15:00:00.000Z').followUpAt!;
    expect(friday).toMatchObject({ at: '2026-03-09T09:00:00.000Z', method: 'after_resolution', dueBeforeWorkingHours: '2026-03-07T15:00:00.000Z' });
    expect(computeDeadlines('critical', clock, DEFAULT, '2026-03-06T15:00:00.000Z').followUpAt).toBe('2026-03-07T15:00:00.000Z');
  });

  it('reads the targets from the policy, not from constants', () => {
    const custom = policyFor(undefined, { severities: { high: { acknowledgeWithin: '2h', resolveWithin: '5d' } }, followUp: { after: '48h' }, severityCalendars: { high: '24x7' } });
    const d = computeDeadlines('high', intakeClock(NOW), custom, '2026-03-02T12:00:00.000Z');
    expect(d.acknowledgeBy).toBe('2026-03-02T12:00:00.000Z');
    expect(d.resolveBy).toBe('2026-03-07T10:00:00.000Z');
    expect(d.followUpAt).toBe('2026-03-04T12:00:00.000Z');
  });

  it('runs the update clock from updateClockFrom and resolution from startedAt, paused time skipped', () => {
    const clock: SlaClock = {
      startedAt: NOW.toISOString(),
      updateClockFrom: '2026-03-02T13:00:00.000Z',
      pausedMs: 90 * MINUTE,
      pauses: [{ from: '2026-03-02T11:00:00.000Z', to: '2026-03-02T12:30:00.000Z' }],
    };
    const d = computeDeadlines('critical', clock, DEFAULT);
    expect(d.acknowledgeBy).toBe('2026-03-02T11:00:00.000Z');
    expect(d.nextUpdateBy).toBe('2026-03-02T14:00:00.000Z'); // the pause was before the last update
    expect(d.resolveBy).toBe('2026-03-03T11:30:00.000Z');
  });

  it('a clock stored before pauses were records keeps its paused time as a lump on the resolution clock', () => {
    const legacy: SlaClock = { startedAt: NOW.toISOString(), updateClockFrom: '2026-03-02T14:30:00.000Z', pausedMs: 3.5 * HOUR };
    expect(computeDeadlines('critical', legacy, DEFAULT)).toEqual({
      acknowledgeBy: '2026-03-02T11:00:00.000Z',
      nextUpdateBy: '2026-03-02T15:30:00.000Z',
      resolveBy: '2026-03-03T13:30:00.000Z',
    });
    expect(explainDeadlines('critical', legacy, DEFAULT).resolveBy.legacyPausedMs).toBe(3.5 * HOUR);
    // Paused again under the new clock: the old lump stays, the new pause is a record.
    const paused = pauseClock(legacy, new Date('2026-03-02T16:00:00Z'), { by: 'sam', reason: 'logs' });
    const { clock } = resumeClock(paused, new Date('2026-03-02T17:00:00Z'), 'sam');
    expect(clock).toMatchObject({ legacyPausedMs: 3.5 * HOUR, pausedMs: 4.5 * HOUR, pauses: [{ from: '2026-03-02T16:00:00.000Z', to: '2026-03-02T17:00:00.000Z', by: 'sam', reason: 'logs', resumedBy: 'sam' }] });
    expect(computeDeadlines('critical', clock, DEFAULT).resolveBy).toBe('2026-03-03T14:30:00.000Z');
  });

  it('on the wall clock, every deadline at intake is exactly intake + the severity target', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, (severity, at) => {
        const d = computeDeadlines(severity, intakeClock(at), WALL);
        const t = WALL.targets[severity];
        expect(ms(d.acknowledgeBy) - at.getTime()).toBe(t.acknowledgeWithin);
        expect(ms(d.nextUpdateBy) - at.getTime()).toBe(t.updateEvery);
        expect(ms(d.resolveBy) - at.getTime()).toBe(t.resolveWithin);
      }),
    );
  });

  it('in working time, every deadline is at least the target away, falls in working hours (or at a closing time), and its explanation adds up', () => {
    fc.assert(
      fc.property(severityArb, fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }), zoneArb, (severity, at, zone) => {
        const policy = policyFor(zone, {}, at);
        const clock = intakeClock(at);
        const d = computeDeadlines(severity, clock, policy);
        const why = explainDeadlines(severity, clock, policy);
        const calendar = calendarFor(policy, severity);
        for (const name of ['acknowledgeBy', 'nextUpdateBy', 'resolveBy'] as const) {
          const instant = ms(d[name]);
          const explanation = why[name];
          expect(explanation.at).toBe(d[name]);
          expect(ms(explanation.atLocal)).toBe(instant);
          expect(explanation.counted.reduce((sum, span) => sum + span.ms, 0)).toBe(explanation.targetMs);
          expect(ms(explanation.counted.at(-1)!.to)).toBe(instant);
          expect(instant - at.getTime()).toBeGreaterThanOrEqual(explanation.targetMs);
          expect(isOpenAt(calendar, instant) || isOpenAt(calendar, instant - 1)).toBe(true);
        }
      }),
      { numRuns: 200 },
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
    clock = op === 'pause' ? pauseClock(clock, new Date(t), { by: 'agent', reason: 'waiting' }) : resumeClock(clock, new Date(t), 'agent').clock;
    history.push(clock);
  }
  return { clock, t, history };
}

describe('pause and resume (properties)', () => {
  const policyArb = fc.constantFrom(WALL, DEFAULT, policyFor('Europe/Berlin'), policyFor('America/New_York'));

  it('no deadline is ever before intake, for any severity, intake, calendar and sequence of pauses/resumes', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, anySequenceArb, fc.option(fc.integer({ min: 0, max: 60 * DAY })), policyArb, (severity, at, steps, resolveAfter, policy) => {
        const { history, t } = run(at, steps);
        for (const clock of history) {
          const resolvedAt = resolveAfter === null ? undefined : new Date(t + resolveAfter).toISOString();
          for (const instant of deadlineInstants(computeDeadlines(severity, clock, policy, resolvedAt))) {
            expect(instant).toBeGreaterThanOrEqual(at.getTime());
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('no pause ever shortens an SLA: resolveBy and nextUpdateBy never move earlier along any sequence, in any calendar', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, anySequenceArb, policyArb, (severity, at, steps, policy) => {
        const { history } = run(at, steps);
        for (let i = 1; i < history.length; i++) {
          const before = computeDeadlines(severity, history[i - 1]!, policy);
          const after = computeDeadlines(severity, history[i]!, policy);
          expect(ms(after.resolveBy)).toBeGreaterThanOrEqual(ms(before.resolveBy));
          expect(ms(after.nextUpdateBy)).toBeGreaterThanOrEqual(ms(before.nextUpdateBy));
          expect(after.acknowledgeBy).toBe(before.acknowledgeBy);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a deadline never moves earlier when a pause is added to the record, in working time', () => {
    const pauseArb = fc.record({ start: fc.integer({ min: 0, max: 20 * DAY }), length: fc.integer({ min: 0, max: 5 * DAY }) });
    fc.assert(
      fc.property(severityArb, fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }), zoneArb, fc.array(pauseArb, { maxLength: 3 }), pauseArb, (severity, at, zone, existing, added) => {
        const policy = policyFor(zone, {}, at);
        const record = ({ start, length }: { start: number; length: number }) => ({ from: new Date(at.getTime() + start).toISOString(), to: new Date(at.getTime() + start + length).toISOString() });
        const clock: SlaClock = { ...intakeClock(at), pauses: existing.map(record) };
        const before = computeDeadlines(severity, clock, policy);
        const after = computeDeadlines(severity, { ...clock, pauses: [...clock.pauses!, record(added)] }, policy);
        for (const name of ['acknowledgeBy', 'nextUpdateBy', 'resolveBy'] as const) expect(ms(after[name])).toBeGreaterThanOrEqual(ms(before[name]));
      }),
      { numRuns: 150 },
    );
  });

  it('on the wall clock, a pause leaves the deadlines as they are; the resume moves resolveBy and nextUpdateBy by exactly the paused length', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, pairsArb, (severity, at, pairs) => {
        let clock = intakeClock(at);
        let t = at.getTime();
        let totalPaused = 0;
        for (const { runFor, pauseFor } of pairs) {
          t += runFor;
          const before = computeDeadlines(severity, clock, WALL);
          clock = pauseClock(clock, new Date(t));
          expect(computeDeadlines(severity, clock, WALL)).toEqual(before);
          t += pauseFor;
          const resumed = resumeClock(clock, new Date(t));
          clock = resumed.clock;
          totalPaused += pauseFor;
          expect(resumed.pausedForMs).toBe(pauseFor);
          expect(clock.pausedSince).toBeUndefined();
          const after = computeDeadlines(severity, clock, WALL);
          // A pause that starts after the deadline it would move cannot move it.
          const updateDue = ms(before.nextUpdateBy);
          const pausedFrom = t - pauseFor;
          expect(ms(after.resolveBy) - ms(before.resolveBy)).toBe(pausedFrom < ms(before.resolveBy) ? pauseFor : 0);
          expect(ms(after.nextUpdateBy) - updateDue).toBe(pausedFrom < updateDue ? pauseFor : 0);
          expect(after.acknowledgeBy).toBe(before.acknowledgeBy);
        }
        expect(clock.pausedMs).toBe(totalPaused);
        expect(clock.pauses).toHaveLength(pairs.length);
      }),
    );
  });

  it('in working time, the resume moves resolveBy by exactly the working time the pause covered', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Severity>('high', 'medium', 'low'),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }),
        zoneArb,
        fc.integer({ min: 0, max: 5 * DAY }),
        fc.integer({ min: 0, max: 5 * DAY }),
        (severity, at, zone, runFor, pauseFor) => {
          const policy = policyFor(zone, {}, at);
          const calendar = calendarFor(policy, severity);
          const paused = pauseClock(intakeClock(at), new Date(at.getTime() + runFor));
          const before = computeDeadlines(severity, paused, policy);
          const { clock } = resumeClock(paused, new Date(at.getTime() + runFor + pauseFor));
          const after = computeDeadlines(severity, clock, policy);
          const skipped = explainDeadlines(severity, clock, policy).resolveBy.pausesSkipped.reduce((sum, pause) => sum + pause.workingMs, 0);
          expect(workingTimeBetween(calendar, ms(before.resolveBy), ms(after.resolveBy))).toBe(skipped);
          expect(workingTimeBetween(calendar, ms(before.nextUpdateBy), ms(after.nextUpdateBy))).toBe(
            explainDeadlines(severity, clock, policy).nextUpdateBy.pausesSkipped.reduce((sum, pause) => sum + pause.workingMs, 0),
          );
        },
      ),
      { numRuns: 100 },
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
        expect(computeDeadlines(severity, resumed.clock, DEFAULT)).toEqual(computeDeadlines(severity, clock, DEFAULT));
      }),
      { numRuns: 50 },
    );
  });

  it('a resume stamped before the pause (clock skew) never moves deadlines earlier', () => {
    const paused = pauseClock(intakeClock(NOW), new Date('2026-03-02T12:00:00Z'));
    const { clock, pausedForMs } = resumeClock(paused, new Date('2026-03-02T11:00:00Z'));
    expect(pausedForMs).toBe(0);
    expect(computeDeadlines('high', clock, DEFAULT)).toEqual(computeDeadlines('high', intakeClock(NOW), DEFAULT));
  });

  it('pauseClock records who, why and when, and does not mutate its input', () => {
    const clock = intakeClock(NOW);
    const snapshot = structuredClone(clock);
    const paused = pauseClock(clock, new Date('2026-03-02T12:00:00Z'), { by: 'sam@example.com', reason: 'waiting for logs' });
    expect(paused.pausedSince).toBe('2026-03-02T12:00:00.000Z');
    expect(paused.pauses).toEqual([{ from: '2026-03-02T12:00:00.000Z', by: 'sam@example.com', reason: 'waiting for logs' }]);
    expect(clock).toEqual(snapshot);
    const resumed = resumeClock(paused, new Date('2026-03-02T13:00:00Z'), 'customer@acme.example');
    expect(resumed.pause).toEqual({ from: '2026-03-02T12:00:00.000Z', to: '2026-03-02T13:00:00.000Z', by: 'sam@example.com', reason: 'waiting for logs', resumedBy: 'customer@acme.example' });
    expect(resumed.clock.pauses).toEqual([resumed.pause]);
    expect(paused.pausedSince).toBe('2026-03-02T12:00:00.000Z');
  });

  it('known answer: critical, paused 10:30–14:00, resolves and updates 3.5 h later than planned', () => {
    let clock = intakeClock(NOW);
    clock = pauseClock(clock, new Date('2026-03-02T10:30:00Z'));
    const { clock: resumed, pausedForMs } = resumeClock(clock, new Date('2026-03-02T14:00:00Z'));
    expect(pausedForMs).toBe(3.5 * HOUR);
    expect(computeDeadlines('critical', resumed, DEFAULT)).toEqual({
      acknowledgeBy: '2026-03-02T11:00:00.000Z',
      nextUpdateBy: '2026-03-02T14:30:00.000Z',
      resolveBy: '2026-03-03T13:30:00.000Z',
    });
  });

  it('known answer: high in Berlin, paused Mon 16:00 – Tue 10:00 CET skips only the working hours in between (2 h)', () => {
    const berlin = policyFor('Europe/Berlin');
    const start = intakeClock(new Date('2026-03-02T08:00:00Z')); // Mon 09:00 CET
    const paused = pauseClock(start, new Date('2026-03-02T15:00:00Z'), { by: 'sam', reason: 'waiting for logs' });
    const { clock } = resumeClock(paused, new Date('2026-03-03T09:00:00Z'));
    const before = computeDeadlines('high', start, berlin);
    const after = computeDeadlines('high', clock, berlin);
    // Thu 17:00 (closing time, nine full working days) → Fri 11:00 CET: 18 h later on the wall clock, 2 working hours later.
    expect([before.resolveBy, after.resolveBy]).toEqual(['2026-03-12T16:00:00.000Z', '2026-03-13T10:00:00.000Z']);
    expect(workingTimeBetween(calendarFor(berlin, 'high'), ms(before.resolveBy), ms(after.resolveBy))).toBe(2 * HOUR);
    expect(explainDeadlines('high', clock, berlin).resolveBy.pausesSkipped).toEqual([
      { from: '2026-03-02T16:00:00+01:00', to: '2026-03-03T10:00:00+01:00', workingMs: 2 * HOUR, by: 'sam', reason: 'waiting for logs' },
    ]);
  });

  it('a pause that starts once a deadline has passed does not move it (the breach stands)', () => {
    const paused = pauseClock(intakeClock(NOW), new Date('2026-03-02T11:00:00Z')); // critical: update due 11:00
    const { clock } = resumeClock(paused, new Date('2026-03-02T13:00:00Z'));
    expect(computeDeadlines('critical', clock, DEFAULT).nextUpdateBy).toBe('2026-03-02T11:00:00.000Z');
    expect(computeDeadlines('critical', clock, DEFAULT).resolveBy).toBe('2026-03-03T12:00:00.000Z');
  });

  it('a promised update time moves by the pauses after the promise, like the cadence', () => {
    const clock: SlaClock = { ...intakeClock(NOW), updateClockFrom: '2026-03-02T12:00:00.000Z', promisedUpdateBy: '2026-03-02T12:45:00.000Z' };
    expect(computeDeadlines('critical', clock, DEFAULT).nextUpdateBy).toBe('2026-03-02T12:45:00.000Z');
    const paused = pauseClock(clock, new Date('2026-03-02T12:30:00Z'));
    const { clock: resumed } = resumeClock(paused, new Date('2026-03-02T14:30:00Z'));
    expect(computeDeadlines('critical', resumed, DEFAULT).nextUpdateBy).toBe('2026-03-02T14:45:00.000Z');
    const why = explainDeadlines('critical', resumed, DEFAULT).nextUpdateBy;
    expect(why).toMatchObject({ method: 'promised', at: '2026-03-02T14:45:00.000Z' });
    expect(why.summary).toContain('promised an update by Mon 2 Mar 2026 12:45 UTC');
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

// Keeps the shared fixture honest: the fixture's playbook is the default one.
it('the fixture playbook is the default playbook', () => {
  expect(playbook).toEqual(parsePlaybook({}));
});
