import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addWorkingDays,
  addWorkingTime,
  clearCalendarCaches,
  describeHours,
  holidaysBetween,
  isOpenAt,
  localIso,
  nextOpenInstant,
  openSpans,
  WEEKDAYS,
  workingTimeBetween,
  type Calendar,
  type DayHours,
  type Span,
  type WeekHours,
} from '../../functions/domain/business-calendar';
import { oracleAdd, oracleAddDays, oracleOpen, STEP_MS, wallClock } from './calendar-oracle';

const HOUR = 3_600_000;
const ms = (iso: string) => Date.parse(iso);
const iso = (instant: number) => new Date(instant).toISOString();

const weekdays = (hours: DayHours): WeekHours => ({ mon: hours, tue: hours, wed: hours, thu: hours, fri: hours });
const officeHours = weekdays([['09:00', '17:00']]);
const calendar = (timeZone: string, extra: Partial<Calendar> = {}): Calendar => ({ name: 'business', timeZone, week: officeHours, holidays: [], ...extra });
const due = (c: Calendar, from: string, hours: number, pauses: Span[] = []) => iso(addWorkingTime(c, ms(from), hours * HOUR, pauses).at);

describe('known answers (Mon–Fri 09:00–17:00 unless stated)', () => {
  // [what, calendar, reported at (UTC), working hours, expected deadline (UTC), same in local time]
  const table: [string, Calendar, string, number, string, string][] = [
    // The acceptance example: Friday 16:00 Berlin + 4 h → Monday 12:00 Berlin.
    ['Berlin, Friday 16:00 + 4h', calendar('Europe/Berlin'), '2026-03-06T15:00:00Z', 4, '2026-03-09T11:00:00.000Z', '2026-03-09T12:00:00+01:00'],
    // America/New_York: DST starts Sun 8 Mar 2026 (EST −5 → EDT −4), ends Sun 1 Nov 2026.
    ['New York, over the spring-forward weekend', calendar('America/New_York'), '2026-03-06T20:00:00Z', 4, '2026-03-09T15:00:00.000Z', '2026-03-09T11:00:00-04:00'],
    ['New York, over the fall-back weekend', calendar('America/New_York'), '2026-10-30T20:00:00Z', 4, '2026-11-02T17:00:00.000Z', '2026-11-02T12:00:00-05:00'],
    [
      'New York, a 00:00–24:00 Sunday is 25 hours long on fall-back day',
      calendar('America/New_York', { week: { sun: [['00:00', '24:00']], mon: [['00:00', '24:00']] } }),
      '2026-11-01T04:00:00Z',
      24,
      '2026-11-02T04:00:00.000Z',
      '2026-11-01T23:00:00-05:00',
    ],
    [
      'New York, a 00:00–24:00 Sunday is 23 hours long on spring-forward day',
      calendar('America/New_York', { week: { sun: [['00:00', '24:00']], mon: [['00:00', '24:00']] } }),
      '2026-03-08T05:00:00Z',
      24,
      '2026-03-09T05:00:00.000Z',
      '2026-03-09T01:00:00-04:00',
    ],
    // Europe/Berlin: DST starts Sun 29 Mar 2026 (CET +1 → CEST +2), ends Sun 25 Oct 2026.
    ['Berlin, over the spring-forward weekend', calendar('Europe/Berlin'), '2026-03-27T13:00:00Z', 4, '2026-03-30T08:00:00.000Z', '2026-03-30T10:00:00+02:00'],
    ['Berlin, 24h of working time over the fall-back weekend', calendar('Europe/Berlin'), '2026-10-22T10:00:00Z', 24, '2026-10-27T11:00:00.000Z', '2026-10-27T12:00:00+01:00'],
    // Australia/Sydney: DST ends Sun 5 Apr 2026 (AEDT +11 → AEST +10), starts Sun 4 Oct 2026.
    ['Sydney, over the autumn fall-back weekend', calendar('Australia/Sydney'), '2026-04-03T04:00:00Z', 4, '2026-04-06T01:00:00.000Z', '2026-04-06T11:00:00+10:00'],
    ['Sydney, over the spring-forward weekend', calendar('Australia/Sydney'), '2026-10-02T06:00:00Z', 4, '2026-10-05T01:00:00.000Z', '2026-10-05T12:00:00+11:00'],
    // Holidays.
    ['Berlin, Christmas Day on a Friday before the weekend', calendar('Europe/Berlin', { holidays: ['2026-12-25'] }), '2026-12-24T14:00:00Z', 4, '2026-12-28T10:00:00.000Z', '2026-12-28T11:00:00+01:00'],
    [
      'Sydney, Good Friday and Easter Monday around the weekend DST ends',
      calendar('Australia/Sydney', { holidays: ['2026-04-03', '2026-04-06'] }),
      '2026-04-02T05:00:00Z',
      4,
      '2026-04-07T02:00:00.000Z',
      '2026-04-07T12:00:00+10:00',
    ],
    // Working hours split by lunch.
    ['Berlin, lunch 12:00–13:00 is skipped', calendar('Europe/Berlin', { week: weekdays([['09:00', '12:00'], ['13:00', '17:00']]) }), '2026-03-02T10:00:00Z', 4, '2026-03-02T15:00:00.000Z', '2026-03-02T16:00:00+01:00'],
    ['Berlin, reported during lunch: the count starts at 13:00', calendar('Europe/Berlin', { week: weekdays([['09:00', '12:00'], ['13:00', '17:00']]) }), '2026-03-02T11:30:00Z', 1, '2026-03-02T13:00:00.000Z', '2026-03-02T14:00:00+01:00'],
    // Boundaries.
    ['Berlin, a deadline landing exactly on closing time stays at 17:00', calendar('Europe/Berlin'), '2026-03-02T08:00:00Z', 8, '2026-03-02T16:00:00.000Z', '2026-03-02T17:00:00+01:00'],
    ['Berlin, the morning half landing exactly at lunch stays at 12:00', calendar('Europe/Berlin', { week: weekdays([['09:00', '12:00'], ['13:00', '17:00']]) }), '2026-03-02T08:00:00Z', 3, '2026-03-02T11:00:00.000Z', '2026-03-02T12:00:00+01:00'],
    ['Berlin, reported at closing time: counted from the next opening', calendar('Europe/Berlin'), '2026-03-02T16:00:00Z', 1, '2026-03-03T09:00:00.000Z', '2026-03-03T10:00:00+01:00'],
    ['Berlin, reported on a Saturday: counted from Monday 09:00', calendar('Europe/Berlin'), '2026-03-07T10:00:00Z', 2, '2026-03-09T10:00:00.000Z', '2026-03-09T11:00:00+01:00'],
    ['UTC, 72h of working time is nine working days', calendar('UTC'), '2026-03-02T10:00:00Z', 72, '2026-03-13T10:00:00.000Z', '2026-03-13T10:00:00Z'],
    ['24×7 counts every hour, DST or not', { name: '24x7', alwaysOpen: true, timeZone: 'America/New_York', week: {}, holidays: [] }, '2026-03-07T17:00:00Z', 24, '2026-03-08T17:00:00.000Z', '2026-03-08T13:00:00-04:00'],
  ];

  it.each(table)('%s', (_what, cal, from, hours, expected, expectedLocal) => {
    expect(due(cal, from, hours)).toBe(expected);
    expect(localIso(ms(expected), cal.timeZone)).toBe(expectedLocal);
  });

  it.each(table)('%s: the brute-force reference agrees', (_what, cal, from, hours, expected) => {
    expect(iso(oracleAdd(cal, ms(from), hours * HOUR))).toBe(expected);
  });

  it('counts what it says: the acceptance example counted Fri 16:00–17:00 and Mon 09:00–12:00', () => {
    const { counted } = addWorkingTime(calendar('Europe/Berlin'), ms('2026-03-06T15:00:00Z'), 4 * HOUR);
    expect(counted.map((span) => [localIso(span.from, 'Europe/Berlin'), localIso(span.to, 'Europe/Berlin')])).toEqual([
      ['2026-03-06T16:00:00+01:00', '2026-03-06T17:00:00+01:00'],
      ['2026-03-09T09:00:00+01:00', '2026-03-09T12:00:00+01:00'],
    ]);
  });

  it('a pause during working hours moves the deadline by the working time it covered, one outside by nothing', () => {
    const cal = calendar('Europe/Berlin');
    const base = addWorkingTime(cal, ms('2026-03-02T08:00:00Z'), 4 * HOUR).at; // 13:00 CET
    const inHours = addWorkingTime(cal, ms('2026-03-02T08:00:00Z'), 4 * HOUR, [{ from: ms('2026-03-02T09:00:00Z'), to: ms('2026-03-02T10:30:00Z') }]).at;
    expect(inHours - base).toBe(1.5 * HOUR);
    const overnight = addWorkingTime(cal, ms('2026-03-02T15:00:00Z'), 4 * HOUR, [{ from: ms('2026-03-02T16:00:00Z'), to: ms('2026-03-03T08:00:00Z') }]).at;
    expect(overnight).toBe(addWorkingTime(cal, ms('2026-03-02T15:00:00Z'), 4 * HOUR).at);
  });

  it('an interval partly in the spring-forward gap lasts only the real time between opening and closing', () => {
    const cal = calendar('Europe/Berlin', { week: { sun: [['01:00', '04:00']] } });
    const [first] = openSpans(cal, ms('2026-03-28T00:00:00Z'));
    expect([iso(first!.from), iso(first!.to)]).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T02:00:00.000Z']);
  });

  it('an interval that spans the repeated fall-back hour lasts the real time from the first 01:00 to 04:00', () => {
    const cal = calendar('Europe/Berlin', { week: { sun: [['01:00', '04:00']] } });
    const [first] = openSpans(cal, ms('2026-10-24T00:00:00Z'));
    expect([iso(first!.from), iso(first!.to)]).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });

  it('an interval opening inside the repeated fall-back hour opens the first time the clock shows it', () => {
    const cal = calendar('America/New_York', { week: { sun: [['01:30', '05:00']] } });
    const [first] = openSpans(cal, ms('2026-10-31T00:00:00Z'));
    expect(iso(first!.from)).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT, not 01:30 EST an hour later
    expect(iso(first!.to)).toBe('2026-11-01T10:00:00.000Z');
  });

  it('an interval opening inside the spring-forward gap opens at the transition', () => {
    const cal = calendar('America/New_York', { week: { sun: [['02:30', '05:00']] } });
    const [first] = openSpans(cal, ms('2026-03-07T00:00:00Z'));
    expect(iso(first!.from)).toBe('2026-03-08T07:00:00.000Z'); // 03:00 EDT, the first wall time ≥ 02:30
    expect(iso(first!.to)).toBe('2026-03-08T09:00:00.000Z');
  });
});

describe('working days: known answers (Mon–Fri 09:00–17:00 unless stated)', () => {
  const lunch = weekdays([['09:00', '12:00'], ['13:00', '17:00']]);
  const allDay = Object.fromEntries(WEEKDAYS.map((day) => [day, [['00:00', '24:00']]])) as WeekHours;
  // [what, calendar, start (UTC), working days, expected deadline (UTC), same in local time]
  const table: [string, Calendar, string, number, string, string][] = [
    // The acceptance example: a Monday 10:00 start and 7 working days is the next week's Wednesday 10:00.
    ['UTC, Monday 10:00 + 7 working days', calendar('UTC'), '2026-03-02T10:00:00Z', 7, '2026-03-11T10:00:00.000Z', '2026-03-11T10:00:00Z'],
    ['New York, Friday 10:00 + 1 over the spring-forward weekend: Monday 10:00 EDT', calendar('America/New_York'), '2026-03-06T15:00:00Z', 1, '2026-03-09T14:00:00.000Z', '2026-03-09T10:00:00-04:00'],
    ['New York, Friday 10:00 + 1 over the fall-back weekend: Monday 10:00 EST', calendar('America/New_York'), '2026-10-30T14:00:00Z', 1, '2026-11-02T15:00:00.000Z', '2026-11-02T10:00:00-05:00'],
    ['Berlin, Friday 14:00 + 1 over the spring-forward weekend', calendar('Europe/Berlin'), '2026-03-27T13:00:00Z', 1, '2026-03-30T12:00:00.000Z', '2026-03-30T14:00:00+02:00'],
    ['Berlin, Thursday 12:00 + 5 across the fall-back weekend', calendar('Europe/Berlin'), '2026-10-22T10:00:00Z', 5, '2026-10-29T11:00:00.000Z', '2026-10-29T12:00:00+01:00'],
    [
      'Sydney, Thursday 15:00 + 1 over Good Friday, Easter Monday and the end of DST',
      calendar('Australia/Sydney', { holidays: ['2026-04-03', '2026-04-06'] }),
      '2026-04-02T04:00:00Z',
      1,
      '2026-04-07T05:00:00.000Z',
      '2026-04-07T15:00:00+10:00',
    ],
    ['Sydney, Friday 16:00 + 1 over the spring-forward weekend', calendar('Australia/Sydney'), '2026-10-02T06:00:00Z', 1, '2026-10-05T05:00:00.000Z', '2026-10-05T16:00:00+11:00'],
    ['Berlin with lunch, Monday 11:30 + 1: Tuesday 11:30', calendar('Europe/Berlin', { week: lunch }), '2026-03-02T10:30:00Z', 1, '2026-03-03T10:30:00.000Z', '2026-03-03T11:30:00+01:00'],
    ['Berlin with lunch, started during lunch: counted from 13:00, Tuesday 13:00', calendar('Europe/Berlin', { week: lunch }), '2026-03-02T11:30:00Z', 1, '2026-03-03T12:00:00.000Z', '2026-03-03T13:00:00+01:00'],
    [
      'Berlin, Thursday 12:30 + 1 lands in Friday\'s lunch break: 13:00',
      calendar('Europe/Berlin', { week: { ...officeHours, fri: [['09:00', '12:00'], ['13:00', '17:00']] } }),
      '2026-03-05T11:30:00Z',
      1,
      '2026-03-06T12:00:00.000Z',
      '2026-03-06T13:00:00+01:00',
    ],
    ['Berlin, a holiday on the 2nd day: 24 and 25 Dec are skipped', calendar('Europe/Berlin', { holidays: ['2026-12-24', '2026-12-25'] }), '2026-12-22T09:00:00Z', 2, '2026-12-28T09:00:00.000Z', '2026-12-28T10:00:00+01:00'],
    ['UTC, started after closing time: counted from Tuesday 09:00', calendar('UTC'), '2026-03-02T18:00:00Z', 1, '2026-03-04T09:00:00.000Z', '2026-03-04T09:00:00Z'],
    ['UTC, started at closing time exactly: counted from Tuesday 09:00', calendar('UTC'), '2026-03-02T17:00:00Z', 1, '2026-03-04T09:00:00.000Z', '2026-03-04T09:00:00Z'],
    ['UTC, started before opening: counted from 09:00 that day', calendar('UTC'), '2026-03-02T07:00:00Z', 1, '2026-03-03T09:00:00.000Z', '2026-03-03T09:00:00Z'],
    ['UTC, started on a Saturday: counted from Monday 09:00', calendar('UTC'), '2026-03-07T10:00:00Z', 1, '2026-03-10T09:00:00.000Z', '2026-03-10T09:00:00Z'],
    ['Berlin, started on a holiday (Christmas Day): counted from Monday 09:00', calendar('Europe/Berlin', { holidays: ['2026-12-25'] }), '2026-12-25T09:00:00Z', 1, '2026-12-29T08:00:00.000Z', '2026-12-29T09:00:00+01:00'],
    [
      'UTC, the same time is after the Nth day\'s shorter hours: the next working moment',
      calendar('UTC', { week: { ...officeHours, fri: [['09:00', '13:00']] } }),
      '2026-03-05T15:00:00Z',
      1,
      '2026-03-09T09:00:00.000Z',
      '2026-03-09T09:00:00Z',
    ],
    ['24×7 in New York: a day is 24 h, even the 23-hour spring-forward Sunday', { name: '24x7', alwaysOpen: true, timeZone: 'America/New_York', week: {}, holidays: [] }, '2026-03-07T17:00:00Z', 1, '2026-03-08T17:00:00.000Z', '2026-03-08T13:00:00-04:00'],
    ['New York, open 00:00–24:00 daily (not 24×7): the same wall time, 23 h later', calendar('America/New_York', { week: allDay }), '2026-03-07T17:00:00Z', 1, '2026-03-08T16:00:00.000Z', '2026-03-08T12:00:00-04:00'],
    ['New York, 02:30 does not exist on the next day: the clock passes it at 03:00', calendar('America/New_York', { week: allDay }), '2026-03-07T07:30:00Z', 1, '2026-03-08T07:00:00.000Z', '2026-03-08T03:00:00-04:00'],
    ['New York, 01:30 happens twice on the next day: the first one', calendar('America/New_York', { week: allDay }), '2026-10-31T05:30:00Z', 1, '2026-11-01T05:30:00.000Z', '2026-11-01T01:30:00-04:00'],
  ];

  it.each(table)('%s', (_what, cal, from, days, expected, expectedLocal) => {
    expect(iso(addWorkingDays(cal, ms(from), days).at)).toBe(expected);
    expect(localIso(ms(expected), cal.timeZone)).toBe(expectedLocal);
  });

  it.each(table)('%s: the brute-force reference agrees', (_what, cal, from, days, expected) => {
    expect(iso(oracleAddDays(cal, ms(from), days).at)).toBe(expected);
  });

  it('says where the count started, which day was the Nth, and that day at the starting wall time', () => {
    const result = addWorkingDays(calendar('UTC', { week: { ...officeHours, fri: [['09:00', '13:00']] } }), ms('2026-03-04T19:00:00Z'), 1);
    expect(iso(result.countedFrom)).toBe('2026-03-05T09:00:00.000Z');
    expect(result.day).toBe('2026-03-06');
    expect(iso(result.sameTime)).toBe('2026-03-06T09:00:00.000Z');
    const late = addWorkingDays(calendar('UTC', { week: { ...officeHours, fri: [['09:00', '13:00']] } }), ms('2026-03-05T15:00:00Z'), 1);
    expect([late.day, iso(late.sameTime), iso(late.at)]).toEqual(['2026-03-06', '2026-03-06T15:00:00.000Z', '2026-03-09T09:00:00.000Z']);
  });

  it('keeps the seconds and milliseconds of the start, unless that wall time does not exist on the day', () => {
    expect(iso(addWorkingDays(calendar('Europe/Berlin'), ms('2026-03-02T09:00:30.250Z'), 1).at)).toBe('2026-03-03T09:00:30.250Z');
    // 02:30:45 is skipped on the spring-forward Sunday: the clock first shows it (or later) at 03:00:00 sharp.
    const allDay = Object.fromEntries(WEEKDAYS.map((day) => [day, [['00:00', '24:00']]])) as WeekHours;
    expect(iso(addWorkingDays(calendar('America/New_York', { week: allDay }), ms('2026-03-07T07:30:45Z'), 1).at)).toBe('2026-03-08T07:00:00.000Z');
  });

  it('refuses a calendar that is never open instead of looping', () => {
    expect(() => addWorkingDays(calendar('UTC', { week: {} }), ms('2026-03-02T10:00:00Z'), 1)).toThrow(/no working time/);
    // Open once, then never again: the first working day exists, the second does not.
    expect(() => addWorkingDays(calendar('UTC', { week: { mon: [['09:00', '17:00']] }, holidays: [] }), ms('2026-03-02T10:00:00Z'), 1)).not.toThrow();
  });
});

describe('helpers', () => {
  const cal = calendar('Europe/Berlin', { week: weekdays([['09:00', '12:00'], ['13:00', '17:00']]), holidays: ['2026-12-25', '2026-12-26'] });

  it('isOpenAt: opening time is open, closing time and lunch are closed', () => {
    expect(isOpenAt(cal, ms('2026-03-02T08:00:00Z'))).toBe(true);
    expect(isOpenAt(cal, ms('2026-03-02T11:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, ms('2026-03-02T11:30:00Z'))).toBe(false);
    expect(isOpenAt(cal, ms('2026-03-02T16:00:00Z'))).toBe(false);
    expect(isOpenAt(cal, ms('2026-12-25T10:00:00Z'))).toBe(false);
  });

  it('nextOpenInstant: itself when open, else the next opening (after lunch, after the weekend, after holidays)', () => {
    expect(iso(nextOpenInstant(cal, ms('2026-03-02T08:30:00Z')))).toBe('2026-03-02T08:30:00.000Z');
    expect(iso(nextOpenInstant(cal, ms('2026-03-02T11:30:00Z')))).toBe('2026-03-02T12:00:00.000Z');
    expect(iso(nextOpenInstant(cal, ms('2026-03-07T12:00:00Z')))).toBe('2026-03-09T08:00:00.000Z');
    expect(iso(nextOpenInstant(cal, ms('2026-12-24T17:00:00Z')))).toBe('2026-12-28T08:00:00.000Z');
  });

  it('workingTimeBetween counts working hours only, pauses skipped', () => {
    expect(workingTimeBetween(cal, ms('2026-03-06T15:00:00Z'), ms('2026-03-09T10:00:00Z'))).toBe(3 * HOUR);
    expect(workingTimeBetween(cal, ms('2026-03-02T08:00:00Z'), ms('2026-03-02T16:00:00Z'), [{ from: ms('2026-03-02T09:00:00Z'), to: ms('2026-03-02T10:00:00Z') }])).toBe(6 * HOUR);
    expect(workingTimeBetween(cal, ms('2026-03-02T16:00:00Z'), ms('2026-03-02T08:00:00Z'))).toBe(0);
  });

  it('holidaysBetween lists only holidays that took working hours away', () => {
    const saturdayHoliday = { ...cal, holidays: ['2026-12-25', '2026-12-26'] }; // 26 Dec 2026 is a Saturday
    expect(holidaysBetween(saturdayHoliday, ms('2026-12-24T10:00:00Z'), ms('2026-12-28T10:00:00Z'))).toEqual(['2026-12-25']);
  });

  it('describeHours groups equal days', () => {
    expect(describeHours(calendar('UTC'))).toBe('Mon–Fri 09:00–17:00');
    expect(describeHours(cal)).toBe('Mon–Fri 09:00–12:00, 13:00–17:00');
    expect(describeHours(calendar('UTC', { week: { ...officeHours, fri: [['09:00', '15:00']], sat: [['10:00', '14:00']] } }))).toBe(
      'Mon–Thu 09:00–17:00; Fri 09:00–15:00; Sat 10:00–14:00',
    );
    expect(describeHours({ name: '24x7', alwaysOpen: true, timeZone: 'UTC', week: {}, holidays: [] })).toBe('24×7');
  });

  it('refuses a calendar that is never open instead of looping', () => {
    expect(() => addWorkingTime(calendar('UTC', { week: {} }), ms('2026-03-02T10:00:00Z'), HOUR)).toThrow(/no working time/);
  });
});

// ---------------------------------------------------------------------------------------
// Properties, checked against the brute-force reference.

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Pacific/Auckland', 'America/St_Johns', 'Asia/Kolkata', 'Australia/Lord_Howe'];
const quarter = (n: number) => `${String(Math.floor(n / 4)).padStart(2, '0')}:${String((n % 4) * 15).padStart(2, '0')}`;
/** One day's hours on quarter-hour boundaries: up to two ordered, non-overlapping intervals (ends may be 24:00). */
const dayHoursArb: fc.Arbitrary<DayHours> = fc.uniqueArray(fc.integer({ min: 0, max: 96 }), { maxLength: 4 }).map((marks) => {
  const sorted = [...marks].sort((a, b) => a - b);
  const hours: DayHours = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) hours.push([quarter(sorted[i]!), sorted[i + 1] === 96 ? '24:00' : quarter(sorted[i + 1]!)]);
  return hours;
});
const weekArb: fc.Arbitrary<WeekHours> = fc
  .tuple(...WEEKDAYS.map(() => fc.oneof({ weight: 1, arbitrary: fc.constant<DayHours>([]) }, { weight: 3, arbitrary: dayHoursArb })))
  .map((days) => Object.fromEntries(WEEKDAYS.map((day, i) => [day, days[i]!])) as WeekHours)
  .filter((week) => Object.values(week).some((hours) => hours!.length > 0));
/** Instants on quarter hours through 2026, so DST changes in every zone are crossed. */
const instantArb = fc.integer({ min: 0, max: 365 * 96 }).map((n) => ms('2026-01-01T00:00:00Z') + n * STEP_MS);
const holidaysArb = (from: number) => fc.uniqueArray(fc.integer({ min: 0, max: 20 }).map((d) => iso(from + d * 86_400_000).slice(0, 10)), { maxLength: 4 });
const calendarArb = fc.record({ zone: fc.constantFrom(...ZONES), week: weekArb, from: instantArb }).chain(({ zone, week, from }) =>
  holidaysArb(from).map((holidays) => ({ calendar: { name: 'random', timeZone: zone, week, holidays } as Calendar, from })),
);
const amountArb = fc.integer({ min: 1, max: 120 }).map((n) => n * STEP_MS);
const pausesArb = (from: number) =>
  fc.array(fc.record({ start: fc.integer({ min: 0, max: 4 * 96 }), length: fc.integer({ min: 1, max: 96 }) }), { maxLength: 3 }).map((list) =>
    list.map(({ start, length }) => ({ from: from + start * STEP_MS, to: from + (start + length) * STEP_MS })),
  );

/** 2026 DST transitions (approximate instants are enough: the clock starts up to two days before). */
const TRANSITIONS: [string, string][] = [
  ['America/New_York', '2026-03-08T07:00:00Z'],
  ['America/New_York', '2026-11-01T06:00:00Z'],
  ['Europe/Berlin', '2026-03-29T01:00:00Z'],
  ['Europe/Berlin', '2026-10-25T01:00:00Z'],
  ['Australia/Sydney', '2026-04-04T16:00:00Z'],
  ['Australia/Sydney', '2026-10-03T16:00:00Z'],
  ['Pacific/Auckland', '2026-04-04T14:00:00Z'],
  ['Pacific/Auckland', '2026-09-26T14:00:00Z'],
  ['America/St_Johns', '2026-03-08T05:30:00Z'],
  ['America/St_Johns', '2026-11-01T04:30:00Z'],
  ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
  ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
];
/** Night hours (boundaries between 00:00 and 06:00, or 24:00) on every day: where DST transitions happen. */
const nightDayArb: fc.Arbitrary<DayHours> = fc.uniqueArray(fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(96)), { minLength: 2, maxLength: 4 }).map((marks) => {
  const sorted = [...marks].sort((a, b) => a - b);
  const hours: DayHours = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) hours.push([quarter(sorted[i]!), sorted[i + 1] === 96 ? '24:00' : quarter(sorted[i + 1]!)]);
  return hours;
});
const aroundTransitionArb = fc
  .record({
    transition: fc.constantFrom(...TRANSITIONS),
    before: fc.integer({ min: 0, max: 2 * 96 }),
    days: fc.tuple(...WEEKDAYS.map(() => nightDayArb)),
  })
  .map(({ transition: [zone, at], before, days }) => ({
    calendar: { name: 'night', timeZone: zone, week: Object.fromEntries(WEEKDAYS.map((day, i) => [day, days[i]!])), holidays: [] } as Calendar,
    from: ms(at) - (ms(at) % STEP_MS) - before * STEP_MS,
  }));

describe('properties of working time', () => {
  it('matches the brute-force reference across DST transitions, with working hours in the night when clocks change', () => {
    fc.assert(
      fc.property(aroundTransitionArb, fc.integer({ min: 1, max: 48 }).map((n) => n * STEP_MS), ({ calendar: cal, from }, amount) => {
        expect(iso(addWorkingTime(cal, from, amount).at)).toBe(iso(oracleAdd(cal, from, amount)));
        expect(isOpenAt(cal, from)).toBe(oracleOpen(cal, from));
      }),
      { numRuns: 300 },
    );
  });

  it('matches the brute-force reference, pauses included, in zones with and without DST', () => {
    fc.assert(
      fc.property(
        calendarArb.chain((c) => pausesArb(c.from).map((pauses) => ({ ...c, pauses }))),
        amountArb,
        ({ calendar: cal, from, pauses }, amount) => {
          expect(iso(addWorkingTime(cal, from, amount, pauses).at)).toBe(iso(oracleAdd(cal, from, amount, pauses)));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('isOpenAt matches the reference', () => {
    fc.assert(
      fc.property(calendarArb, ({ calendar: cal, from }) => {
        expect(isOpenAt(cal, from)).toBe(oracleOpen(cal, from));
      }),
      { numRuns: 300 },
    );
  });

  it('the counted stretches are ordered, open, outside every pause, add up to the amount and end at the deadline', () => {
    fc.assert(
      fc.property(
        calendarArb.chain((c) => pausesArb(c.from).map((pauses) => ({ ...c, pauses }))),
        amountArb,
        ({ calendar: cal, from, pauses }, amount) => {
          const { at, counted } = addWorkingTime(cal, from, amount, pauses);
          expect(counted.reduce((sum, span) => sum + span.to - span.from, 0)).toBe(amount);
          expect(counted.at(-1)!.to).toBe(at);
          expect(counted[0]!.from).toBeGreaterThanOrEqual(from);
          counted.forEach((span, i) => {
            expect(span.to).toBeGreaterThan(span.from);
            if (i) expect(span.from).toBeGreaterThanOrEqual(counted[i - 1]!.to);
            expect(isOpenAt(cal, span.from)).toBe(true);
            for (const pause of pauses) expect(span.to <= pause.from || span.from >= pause.to).toBe(true);
          });
          expect(workingTimeBetween(cal, from, at, pauses)).toBe(amount);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a deadline never moves earlier when a pause is added', () => {
    fc.assert(
      fc.property(
        calendarArb.chain((c) => fc.tuple(pausesArb(c.from), pausesArb(c.from)).map(([pauses, extra]) => ({ ...c, pauses, extra }))),
        amountArb,
        ({ calendar: cal, from, pauses, extra }, amount) => {
          const before = addWorkingTime(cal, from, amount, pauses).at;
          const after = addWorkingTime(cal, from, amount, [...pauses, ...extra]).at;
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('adding working time (another interval, a holiday given back) never moves a deadline later', () => {
    fc.assert(
      fc.property(calendarArb, fc.constantFrom(...WEEKDAYS), dayHoursArb, amountArb, ({ calendar: cal, from }, day, added, amount) => {
        const before = addWorkingTime(cal, from, amount).at;
        // More hours on one day: the union of that day's intervals with the added ones.
        const merged = mergeHours([...(cal.week[day] ?? []), ...added]);
        const wider: Calendar = { ...cal, week: { ...cal.week, [day]: merged } };
        expect(addWorkingTime(wider, from, amount).at).toBeLessThanOrEqual(before);
        const fewerHolidays: Calendar = { ...cal, holidays: cal.holidays.slice(1) };
        expect(addWorkingTime(fewerHolidays, from, amount).at).toBeLessThanOrEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('more working time to count never gives an earlier deadline', () => {
    fc.assert(
      fc.property(calendarArb, amountArb, amountArb, ({ calendar: cal, from }, a, b) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(addWorkingTime(cal, from, large).at).toBeGreaterThanOrEqual(addWorkingTime(cal, from, small).at);
      }),
    );
  });
});

describe('properties of working days', () => {
  const daysArb = fc.integer({ min: 1, max: 10 });

  it('matches the brute-force reference, in zones with and without DST, with holidays', () => {
    fc.assert(
      fc.property(calendarArb, daysArb, ({ calendar: cal, from }, days) => {
        const result = addWorkingDays(cal, from, days);
        const reference = oracleAddDays(cal, from, days);
        expect([iso(result.countedFrom), result.day, iso(result.at)]).toEqual([iso(reference.countedFrom), reference.day, iso(reference.at)]);
      }),
      { numRuns: 120 },
    );
  });

  it('matches the brute-force reference across DST transitions, with working hours in the night when clocks change', () => {
    fc.assert(
      fc.property(aroundTransitionArb, fc.integer({ min: 1, max: 3 }), ({ calendar: cal, from }, days) => {
        expect(iso(addWorkingDays(cal, from, days).at)).toBe(iso(oracleAddDays(cal, from, days).at));
      }),
      { numRuns: 200 },
    );
  });

  it('N working days later is always a working moment', () => {
    fc.assert(
      fc.property(calendarArb, daysArb, ({ calendar: cal, from }, days) => {
        expect(isOpenAt(cal, addWorkingDays(cal, from, days).at)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic in N: one more working day is a later day and never an earlier deadline', () => {
    fc.assert(
      fc.property(calendarArb, daysArb, ({ calendar: cal, from }, days) => {
        const fewer = addWorkingDays(cal, from, days);
        const more = addWorkingDays(cal, from, days + 1);
        expect(more.day > fewer.day).toBe(true);
        expect(more.at).toBeGreaterThanOrEqual(fewer.at);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotonic in the start: a later start never gives an earlier deadline', () => {
    fc.assert(
      fc.property(calendarArb, fc.integer({ min: 0, max: 4 * 96 }), daysArb, ({ calendar: cal, from }, later, days) => {
        expect(addWorkingDays(cal, from + later * STEP_MS, days).at).toBeGreaterThanOrEqual(addWorkingDays(cal, from, days).at);
      }),
      { numRuns: 200 },
    );
  });

  it('on 24×7 equals N × 24 h, in any zone, across DST changes, to the millisecond', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: ms('2026-01-01T00:00:00Z'), max: ms('2027-01-01T00:00:00Z') }), fc.integer({ min: 1, max: 400 }), (zone, from, days) => {
        const always: Calendar = { name: '24x7', alwaysOpen: true, timeZone: zone, week: {}, holidays: [] };
        expect(addWorkingDays(always, from, days).at).toBe(from + days * 86_400_000);
      }),
    );
  });

  it('holds as much working time as N full working days when the start is an opening and the hours are the same every working day', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instantArb, daysArb, (zone, from, days) => {
        const cal = calendar(zone);
        const opening = nextOpenInstant(cal, from);
        // Mon–Fri 09:00–17:00 without holidays: every working day holds 8 hours, DST or not.
        expect(workingTimeBetween(cal, opening, addWorkingDays(cal, opening, days).at)).toBe(days * 8 * HOUR);
      }),
      { numRuns: 100 },
    );
  });
});

/** Union of intervals on quarter-hour marks, as ordered, non-overlapping day hours. */
function mergeHours(hours: DayHours): DayHours {
  const mark = (hhmm: string) => Number(hhmm.slice(0, 2)) * 4 + Number(hhmm.slice(3)) / 15;
  const spans = hours.map(([s, e]) => [mark(s), mark(e)] as [number, number]).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push([...span]);
  }
  return merged.map(([s, e]) => [quarter(s), e === 96 ? '24:00' : quarter(e)]);
}

describe('independent of the host time zone', () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    if (originalTz === undefined) delete process.env.TZ;
    else process.env.TZ = originalTz;
    clearCalendarCaches();
  });

  it('gives the same deadlines (working time and working days) and local times whatever TZ the process runs in', () => {
    const samples = fc.sample(fc.tuple(calendarArb, amountArb), { numRuns: 40, seed: 42 });
    const answer = () => samples.map(([{ calendar: cal, from }, amount]) => {
      const { at, counted } = addWorkingTime(cal, from, amount);
      const days = addWorkingDays(cal, from, 1 + (amount % 7));
      return [at, localIso(at, cal.timeZone), counted.length, wallClock(at, cal.timeZone).date, days.at, days.day, days.sameTime];
    });
    clearCalendarCaches();
    const reference = answer();
    for (const hostZone of ['UTC', 'Pacific/Auckland', 'America/St_Johns', 'Asia/Kathmandu']) {
      process.env.TZ = hostZone;
      clearCalendarCaches();
      expect(new Date(0).getTimezoneOffset() === 0).toBe(hostZone === 'UTC'); // the host zone really changed
      expect(answer()).toEqual(reference);
    }
  });
});
