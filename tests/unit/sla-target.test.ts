import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingDays, addWorkingTime, isOpenAt, WEEKDAYS, workingTimeBetween, type Calendar, type DayHours, type Span } from '../../functions/domain/business-calendar';
import { countsWorkingDays, describeTarget, elapsedMs, fixedWorkingMs, formatTarget, reachTarget, type SlaTarget } from '../../functions/domain/sla-target';
import { STEP_MS } from './calendar-oracle';

// reachTarget is the one rule every deadline uses. These properties pin down how a day target
// and a pause work together; the day arithmetic itself is checked against the brute-force
// reference in business-calendar.test.ts.

const HOUR = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const days = (amount: number): SlaTarget => ({ amount, unit: 'days' });
const hours = (amount: number): SlaTarget => ({ amount, unit: 'hours' });

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Pacific/Auckland', 'Asia/Kolkata'];
const office: DayHours = [['09:00', '17:00']];
const lunch: DayHours = [['09:00', '12:00'], ['13:00', '17:00']];
const calendarArb: fc.Arbitrary<Calendar> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    hours: fc.constantFrom(office, lunch),
    workingDays: fc.uniqueArray(fc.constantFrom(...WEEKDAYS), { minLength: 1, maxLength: 7 }),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 40 }).map((d) => new Date(ms('2026-03-01T00:00:00Z') + d * 86_400_000).toISOString().slice(0, 10)), { maxLength: 5 }),
  })
  .map(({ zone, hours: dayHours, workingDays, holidays }) => ({
    name: 'random',
    timeZone: zone,
    week: Object.fromEntries(workingDays.map((day) => [day, dayHours])),
    holidays,
  }));
const alwaysOpenArb: fc.Arbitrary<Calendar> = fc.constantFrom(...ZONES).map((zone) => ({ name: '24x7', alwaysOpen: true, timeZone: zone, week: {}, holidays: [] }));
const fromArb = fc.integer({ min: 0, max: 30 * 96 }).map((n) => ms('2026-03-01T00:00:00Z') + n * STEP_MS);
const pausesArb = (from: number) =>
  fc.array(fc.record({ start: fc.integer({ min: 0, max: 10 * 96 }), length: fc.integer({ min: 1, max: 3 * 96 }) }), { maxLength: 3 }).map((list) =>
    list.map(({ start, length }): Span => ({ from: from + start * STEP_MS, to: from + (start + length) * STEP_MS })),
  );
const caseArb = fc.record({ calendar: calendarArb, from: fromArb, days: fc.integer({ min: 1, max: 8 }) }).chain((c) => pausesArb(c.from).map((pauses) => ({ ...c, pauses })));

describe('reachTarget: whole days on a business calendar', () => {
  it('without pauses lands exactly on the Nth working day at the starting wall time (or the next working moment)', () => {
    fc.assert(
      fc.property(calendarArb, fromArb, fc.integer({ min: 1, max: 10 }), (calendar, from, n) => {
        expect(reachTarget(calendar, from, days(n)).at).toBe(addWorkingDays(calendar, from, n).at);
      }),
      { numRuns: 200 },
    );
  });

  it('a pause moves the deadline by exactly the working time it covered, and never earlier', () => {
    fc.assert(
      fc.property(caseArb, ({ calendar, from, days: n, pauses }) => {
        const plain = reachTarget(calendar, from, days(n));
        const paused = reachTarget(calendar, from, days(n), pauses);
        expect(paused.at).toBeGreaterThanOrEqual(plain.at);
        // What the pauses took out of the counted window is exactly what the deadline moved by.
        const countedUntil = paused.counted.at(-1)!.to;
        const inPauses = workingTimeBetween(calendar, from, countedUntil) - workingTimeBetween(calendar, from, countedUntil, pauses);
        expect(workingTimeBetween(calendar, plain.at, paused.at)).toBe(inPauses);
      }),
      { numRuns: 200 },
    );
  });

  it('always lands on a working moment, pauses or not', () => {
    fc.assert(
      fc.property(caseArb, ({ calendar, from, days: n, pauses }) => {
        expect(isOpenAt(calendar, reachTarget(calendar, from, days(n), pauses).at)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic in N, pauses or not', () => {
    fc.assert(
      fc.property(caseArb, ({ calendar, from, days: n, pauses }) => {
        expect(reachTarget(calendar, from, days(n + 1), pauses).at).toBeGreaterThanOrEqual(reachTarget(calendar, from, days(n), pauses).at);
      }),
      { numRuns: 200 },
    );
  });

  it('the counted stretches add up to the working time the days held', () => {
    fc.assert(
      fc.property(caseArb, ({ calendar, from, days: n, pauses }) => {
        const reached = reachTarget(calendar, from, days(n), pauses);
        expect(reached.counted.reduce((sum, span) => sum + span.to - span.from, 0)).toBe(reached.workingMs);
        expect(reached.workingMs).toBe(workingTimeBetween(calendar, from, addWorkingDays(calendar, from, n).at));
        expect(reached.workingDays).toEqual(addWorkingDays(calendar, from, n));
      }),
      { numRuns: 100 },
    );
  });
});

describe('reachTarget: hours, minutes, and 24×7', () => {
  it('an hour target is working time, whatever the calendar', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 100 }), ({ calendar, from, pauses }, n) => {
        const reached = reachTarget(calendar, from, hours(n), pauses);
        expect(reached.at).toBe(addWorkingTime(calendar, from, n * HOUR, pauses).at);
        expect(reached.workingDays).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('on 24×7 N days and N × 24 hours are the same deadline, pauses included', () => {
    const startArb = fromArb.chain((from) => pausesArb(from).map((pauses) => ({ from, pauses })));
    fc.assert(
      fc.property(alwaysOpenArb, startArb, fc.integer({ min: 1, max: 60 }), (calendar, { from, pauses }, n) => {
        expect(reachTarget(calendar, from, days(n), pauses).at).toBe(reachTarget(calendar, from, hours(24 * n), pauses).at);
        expect(reachTarget(calendar, from, days(n)).at).toBe(from + n * 24 * HOUR);
      }),
      { numRuns: 200 },
    );
  });
});

describe('how a target reads', () => {
  const business: Calendar = { name: 'business', timeZone: 'UTC', week: { mon: office }, holidays: [] };
  const always: Calendar = { name: '24x7', alwaysOpen: true, timeZone: 'UTC', week: {}, holidays: [] };

  it('says which rule counts it', () => {
    expect(describeTarget(days(7), business)).toBe('7 working days');
    expect(describeTarget(days(1), business)).toBe('1 working day');
    expect(describeTarget(hours(4), business)).toBe('4h of working time');
    expect(describeTarget({ amount: 90, unit: 'minutes' }, business)).toBe('1h 30m of working time');
    expect(describeTarget(days(1), always)).toBe('24h of working time');
  });

  it('keeps the playbook notation, and a length in working time only where one exists', () => {
    expect([formatTarget(days(7)), formatTarget(hours(72)), formatTarget({ amount: 30, unit: 'minutes' })]).toEqual(['7d', '72h', '30m']);
    expect(elapsedMs(days(2))).toBe(48 * HOUR);
    expect(fixedWorkingMs(days(2), business)).toBeUndefined();
    expect(fixedWorkingMs(days(2), always)).toBe(48 * HOUR);
    expect(fixedWorkingMs(hours(4), business)).toBe(4 * HOUR);
    expect([countsWorkingDays(days(1), business), countsWorkingDays(days(1), always), countsWorkingDays(hours(24), business)]).toEqual([true, false, false]);
  });
});
