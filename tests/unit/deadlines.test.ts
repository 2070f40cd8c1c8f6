import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpenAt, nextOpenInstant, workingTimeBetween } from '../../functions/domain/business-calendar';
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
import { countsWorkingDays, elapsedMs } from '../../functions/domain/sla-target';
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
  // critical runs 24×7; the others count Mon–Fri 09:00–17:00: hours as working time, whole days as working days.
  const cases: [Severity, string, string, string][] = [
    // 1h, 1h, 1d: on 24×7 a day is 24 h
    ['critical', '2026-03-02T11:00:00.000Z', '2026-03-02T11:00:00.000Z', '2026-03-03T10:00:00.000Z'],
    // 4h → 14:00; 3 working days → Thu 5 Mar 10:00 (72 h of working time would be Fri 13 Mar)
    ['high', '2026-03-02T14:00:00.000Z', '2026-03-02T14:00:00.000Z', '2026-03-05T10:00:00.000Z'],
    // 1 working day → Tue 10:00; 7 working days → Wed 11 Mar 10:00 (not 168 working hours, Tue 31 Mar)
    ['medium', '2026-03-03T10:00:00.000Z', '2026-03-03T10:00:00.000Z', '2026-03-11T10:00:00.000Z'],
    // 2 working days → Wed 4 Mar 10:00; 14 working days → Fri 20 Mar 10:00
    ['low', '2026-03-04T10:00:00.000Z', '2026-03-04T10:00:00.000Z', '2026-03-20T10:00:00.000Z'],
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

  it('the follow-up comes one working day after resolution, at the same time or the next working moment; 24 h on 24×7', () => {
    const clock = intakeClock(NOW);
    expect(computeDeadlines('high', clock, DEFAULT).followUpAt).toBeUndefined();
    // Resolved Tuesday 08:30 UTC, before opening: the day counts from 09:00 → Wednesday 09:00.
    expect(computeDeadlines('high', clock, DEFAULT, '2026-03-03T08:30:00.000Z').followUpAt).toBe('2026-03-04T09:00:00.000Z');
    // Resolved Friday 15:00: the next working day is Monday → Monday 15:00.
    const friday = explainDeadlines('high', clock, DEFAULT, '2026-03-06T15:00:00.000Z').followUpAt!;
    expect(friday).toMatchObject({
      at: '2026-03-09T15:00:00.000Z',
      method: 'working_days',
      target: '1d',
      countedFrom: '2026-03-06T15:00:00.000Z',
      workingDays: { days: 1, day: '2026-03-09', sameTimeLocal: '2026-03-09T15:00:00Z' },
    });
    expect(friday.summary).toContain('1 working day on calendar "business" (Mon–Fri 09:00–17:00, UTC) from the resolution, Fri 6 Mar 2026 15:00');
    expect(computeDeadlines('critical', clock, DEFAULT, '2026-03-06T15:00:00.000Z').followUpAt).toBe('2026-03-07T15:00:00.000Z');
  });

  it('reads the targets from the policy, not from constants', () => {
    const custom = policyFor(undefined, { severities: { high: { acknowledgeWithin: '2h', resolveWithin: '5d' } }, followUp: { after: '2d' }, severityCalendars: { high: '24x7' } });
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

  it('on the wall clock, every deadline at intake is exactly intake + the severity target', () => {
    fc.assert(
      fc.property(severityArb, intakeArb, (severity, at) => {
        const d = computeDeadlines(severity, intakeClock(at), WALL);
        const t = WALL.targets[severity];
        expect(ms(d.acknowledgeBy) - at.getTime()).toBe(elapsedMs(t.acknowledgeWithin));
        expect(ms(d.nextUpdateBy) - at.getTime()).toBe(elapsedMs(t.updateEvery));
        expect(ms(d.resolveBy) - at.getTime()).toBe(elapsedMs(t.resolveWithin));
      }),
    );
  });

  it('in working time, every deadline is at least its working time away, falls in working hours (or at a closing time), and its explanation adds up', () => {
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
          expect(instant - at.getTime()).toBeGreaterThanOrEqual(explanation.targetMs);
          const target = policy.targets[severity][name === 'acknowledgeBy' ? 'acknowledgeWithin' : name === 'nextUpdateBy' ? 'updateEvery' : 'resolveWithin'];
          if (countsWorkingDays(target, calendar)) {
            // Whole days land on a working moment: where the counting stopped, or the next opening after it.
            expect(explanation.method).toBe('working_days');
            expect(nextOpenInstant(calendar, ms(explanation.counted.at(-1)!.to))).toBe(instant);
            expect(isOpenAt(calendar, instant)).toBe(true);
          } else {
            expect(explanation.method).toBe('working_time');
            expect(ms(explanation.counted.at(-1)!.to)).toBe(instant);
            expect(isOpenAt(calendar, instant) || isOpenAt(calendar, instant - 1)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('whole-day targets count working days on a business calendar (known answers)', () => {
  const weekdays = (hours: [string, string][]) => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });
  const at = (instant: string) => intakeClock(new Date(instant));

  it('acceptance: a medium case opened Monday 10:00 on the default calendar is to be resolved on the 7th working day at 10:00', () => {
    const clock = at('2026-03-02T10:00:00Z');
    expect(computeDeadlines('medium', clock, DEFAULT).resolveBy).toBe('2026-03-11T10:00:00.000Z');
    const why = explainDeadlines('medium', clock, DEFAULT).resolveBy;
    expect(why).toMatchObject({
      method: 'working_days',
      target: '7d',
      targetMs: 56 * HOUR, // what those seven days hold: 7 h on Monday, six full days, 1 h on Wednesday
      workingDays: { days: 7, countedFromLocal: '2026-03-02T10:00:00Z', day: '2026-03-11', sameTimeLocal: '2026-03-11T10:00:00Z' },
      holidaysSkipped: [],
      pausesSkipped: [],
    });
    expect(why.summary).toBe(
      '7 working days on calendar "business" (Mon–Fri 09:00–17:00, UTC) from Mon 2 Mar 2026 10:00: ' +
        'the same time on the 7th working day, Wed 11 Mar 2026 → Wed 11 Mar 2026 10:00 UTC (2026-03-11T10:00:00.000Z)',
    );
    // The same case's hour targets still say they count working time.
    expect(explainDeadlines('high', clock, DEFAULT).acknowledgeBy.summary).toMatch(/^4h of working time on calendar "business"/);
  });

  it('New York: over the spring-forward weekend the same wall time, 10:00 EDT', () => {
    const policy = policyFor('America/New_York');
    const clock = at('2026-03-06T15:00:00Z'); // Fri 10:00 EST
    const d = computeDeadlines('medium', clock, policy);
    expect(d.acknowledgeBy).toBe('2026-03-09T14:00:00.000Z'); // Mon 10:00 EDT
    expect(d.resolveBy).toBe('2026-03-17T14:00:00.000Z'); // Tue 17 Mar 10:00 EDT, the 7th working day
    expect(explainDeadlines('medium', clock, policy).resolveBy.atLocal).toBe('2026-03-17T10:00:00-04:00');
  });

  it('Berlin: over the fall-back weekend the same wall time, 11:00 CET', () => {
    const policy = policyFor('Europe/Berlin');
    expect(computeDeadlines('low', at('2026-10-23T09:00:00Z'), policy).acknowledgeBy).toBe('2026-10-27T10:00:00.000Z'); // Fri 11:00 CEST → Tue 11:00 CET
  });

  it('Sydney: Good Friday and Easter Monday are not working days, and DST ends between them', () => {
    const policy = policyFor('Australia/Sydney', { calendars: { business: { holidays: ['2026-04-03', '2026-04-06'] } } });
    const clock = at('2026-04-02T04:00:00Z'); // Thu 15:00 AEDT
    const why = explainDeadlines('high', clock, policy).resolveBy;
    expect(why).toMatchObject({ at: '2026-04-09T05:00:00.000Z', atLocal: '2026-04-09T15:00:00+10:00', holidaysSkipped: ['2026-04-03', '2026-04-06'] });
    expect(why.summary).toContain('skipped holiday(s) 2026-04-03, 2026-04-06');
  });

  it('a holiday on the Nth day moves it to the next working day', () => {
    const policy = policyFor('Europe/Berlin', { calendars: { business: { holidays: ['2026-12-24', '2026-12-25'] } } });
    const why = explainDeadlines('high', at('2026-12-21T09:00:00Z'), policy).resolveBy; // Mon 21 Dec 10:00 CET
    expect(why).toMatchObject({ at: '2026-12-28T09:00:00.000Z', workingDays: { day: '2026-12-28' }, holidaysSkipped: ['2026-12-24', '2026-12-25'] });
  });

  it('lunch-split calendar: reported during lunch, the day counts from 13:00', () => {
    const policy = policyFor('Europe/Berlin', { calendars: { business: { week: weekdays([['09:00', '12:00'], ['13:00', '17:00']]) } } });
    const why = explainDeadlines('medium', at('2026-03-02T11:30:00Z'), policy).acknowledgeBy; // Mon 12:30 CET
    expect(why.at).toBe('2026-03-03T12:00:00.000Z'); // Tue 13:00 CET
    expect(why.summary).toContain('counted from the next working moment, Mon 2 Mar 2026 13:00');
  });

  it('reported outside working hours or on a holiday: the day counts from the next opening', () => {
    expect(explainDeadlines('medium', at('2026-03-02T18:00:00Z'), DEFAULT).acknowledgeBy).toMatchObject({
      at: '2026-03-04T09:00:00.000Z',
      workingDays: { countedFromLocal: '2026-03-03T09:00:00Z', day: '2026-03-04' },
    });
    const christmas = policyFor('Europe/Berlin', { calendars: { business: { holidays: ['2026-12-25'] } } });
    expect(computeDeadlines('medium', at('2026-12-25T09:00:00Z'), christmas).acknowledgeBy).toBe('2026-12-29T08:00:00.000Z'); // Tue 09:00 CET
  });

  it('the same time on the Nth day outside its hours: the next working moment, and the explanation says so', () => {
    const shortFriday = policyFor(undefined, { calendars: { business: { week: { fri: [['09:00', '13:00']] } } } });
    const why = explainDeadlines('medium', at('2026-03-05T15:00:00Z'), shortFriday).acknowledgeBy; // Thu 15:00
    expect(why).toMatchObject({ at: '2026-03-09T09:00:00.000Z', workingDays: { day: '2026-03-06', sameTimeLocal: '2026-03-06T15:00:00Z' } });
    expect(why.summary).toContain('(Fri 6 Mar 2026 15:00 is not working time: the next working moment)');
  });

  describe('a pause gives back the working time it covered', () => {
    const berlin = policyFor('Europe/Berlin');
    const opened = at('2026-03-02T09:00:00Z'); // Mon 10:00 CET; 7 working days → Wed 11 Mar 10:00 CET
    const withPause = (from: string, to: string): SlaClock => ({ ...opened, pauses: [{ from, to, by: 'sam', reason: 'waiting for logs' }] });

    it('two working hours paused: two working hours later the same day', () => {
      const clock = withPause('2026-03-03T13:00:00Z', '2026-03-03T15:00:00Z'); // Tue 14:00–16:00 CET
      const why = explainDeadlines('medium', clock, berlin).resolveBy;
      expect(computeDeadlines('medium', opened, berlin).resolveBy).toBe('2026-03-11T09:00:00.000Z');
      expect(why.at).toBe('2026-03-11T11:00:00.000Z'); // Wed 12:00 CET
      expect(why.summary).toContain('1 pause(s) gave back 2h of working time');
    });

    it('three whole working days paused: three working days later, at the same time', () => {
      const clock = withPause('2026-03-04T09:00:00Z', '2026-03-09T09:00:00Z'); // Wed 10:00 → Mon 10:00 CET
      expect(computeDeadlines('medium', clock, berlin).resolveBy).toBe('2026-03-16T09:00:00.000Z'); // Mon 16 Mar 10:00 CET
    });

    it('a credit that ends exactly at a closing time lands on the next working moment', () => {
      const clock = withPause('2026-03-02T09:00:00Z', '2026-03-02T16:00:00Z'); // Mon 10:00–17:00 CET: 7 working hours
      expect(computeDeadlines('medium', clock, berlin).resolveBy).toBe('2026-03-12T08:00:00.000Z'); // Wed 17:00 is closing: Thu 09:00 CET
    });
  });

  it('on 24×7 nothing changes: a "7d" target is 168 h of working time', () => {
    const policy = policyFor(undefined, { severities: { critical: { resolveWithin: '7d' } } });
    const why = explainDeadlines('critical', at('2026-03-07T10:00:00Z'), policy).resolveBy;
    expect(why).toMatchObject({ at: '2026-03-14T10:00:00.000Z', method: 'working_time', target: '7d', targetMs: 168 * HOUR });
    expect(why.workingDays).toBeUndefined();
    expect(why.summary).toMatch(/^168h of working time on calendar "24x7"/);
  });

  it('an hour target keeps counting working time: 72h on office hours is nine working days', () => {
    const policy = policyFor(undefined, { severities: { high: { resolveWithin: '72h' } } });
    const why = explainDeadlines('high', at('2026-03-02T10:00:00Z'), policy).resolveBy;
    expect(why).toMatchObject({ at: '2026-03-13T10:00:00.000Z', method: 'working_time', target: '72h', targetMs: 72 * HOUR });
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

  it('known answer: high in Berlin, paused Mon 16:00 – Tue 10:00 CET: three working days move by only the working hours in between (2 h)', () => {
    const berlin = policyFor('Europe/Berlin');
    const start = intakeClock(new Date('2026-03-02T08:00:00Z')); // Mon 09:00 CET
    const paused = pauseClock(start, new Date('2026-03-02T15:00:00Z'), { by: 'sam', reason: 'waiting for logs' });
    const { clock } = resumeClock(paused, new Date('2026-03-03T09:00:00Z'));
    const before = computeDeadlines('high', start, berlin);
    const after = computeDeadlines('high', clock, berlin);
    // Thu 09:00 (the 3rd working day) → Thu 11:00 CET: 18 h of pause on the wall clock, 2 working hours given back.
    expect([before.resolveBy, after.resolveBy]).toEqual(['2026-03-05T08:00:00.000Z', '2026-03-05T10:00:00.000Z']);
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
