import { instantsOfWall, isKnownTimeZone, isoInZone, textInZone, upperBoundOfSkipped, wallClockAt } from './zoned-time';

// Working calendars: which instants an SLA clock counts. Every conversion between a wall
// time in a zone and an instant goes through ./zoned-time (the runtime's Intl zone data);
// this module only walks civil dates (plain day counting, no zone involved) and caches what
// those conversions answered.

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Working intervals of one day, wall times "HH:MM" (an end may be "24:00"), ordered, not overlapping. */
export type DayHours = [string, string][];
export type WeekHours = Partial<Record<Weekday, DayHours>>;

/** A calendar with its time zone settled: what a case's SLA clock counts in. */
export interface Calendar {
  /** The name the playbook gives it ("24x7", "business", …). */
  name: string;
  /** Every instant counts (24×7); week and holidays do not apply. */
  alwaysOpen?: true;
  /** IANA zone the wall times and holiday dates are read in. */
  timeZone: string;
  week: WeekHours;
  /** Whole days off, YYYY-MM-DD in the calendar's zone. */
  holidays: string[];
}

/** A stretch of time [from, to), epoch milliseconds. `to` may be Infinity for an always-open calendar. */
export interface Span {
  from: number;
  to: number;
}

export function isValidTimeZone(zone: string): boolean {
  return isKnownTimeZone(zone);
}

/** No working time for this many days in a row means the calendar can never reach a deadline. */
const MAX_CLOSED_DAYS = 3 * 366;
const DAY_MS = 86_400_000;

/** A civil date as a day number (days since 1970-01-01), stepping without any zone. */
const dayNumber = (year: number, month: number, day: number) => Math.round(Date.UTC(year, month - 1, day) / DAY_MS);
function civil(dayNo: number) {
  const date = new Date(dayNo * DAY_MS);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    iso: date.toISOString().slice(0, 10),
    weekday: WEEKDAYS[(date.getUTCDay() + 6) % 7]!,
  };
}

/** Wall "HH:MM" → minutes of the day; "24:00" is 1440. */
export function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number) as [number, number];
  return hours * 60 + minutes;
}

// Zone conversions are exact but not cheap (microseconds each, several per answer); calendars ask the same
// questions again and again, so answers are remembered. Bounded: cleared when full.
const wallCache = new Map<string, number>();
const WALL_CACHE_LIMIT = 50_000;

/**
 * The first instant at which the wall clock in `zone` shows `minutes` or later on that civil
 * date: the instant itself for ordinary times, the earlier one for a time the fall-back
 * transition repeats, and the transition for a time spring-forward skips.
 */
function wallInstant(zone: string, dayNo: number, minutes: number): number {
  const key = `${zone}|${dayNo}|${minutes}`;
  const known = wallCache.get(key);
  if (known !== undefined) return known;
  const { year, month, day } = civil(dayNo);
  let instant: number;
  if (minutes >= 1440) {
    instant = wallInstant(zone, dayNo + 1, 0);
  } else {
    const wanted = { year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
    // A repeated wall time has two instants: the clock first shows it at the earlier one.
    const [first] = instantsOfWall(wanted, zone);
    instant = first ?? firstInstantAtOrAfter(zone, dayNo, minutes, upperBoundOfSkipped(wanted, zone));
  }
  if (wallCache.size >= WALL_CACHE_LIMIT) wallCache.clear();
  wallCache.set(key, instant);
  return instant;
}

/** The wall time skipped by a spring-forward transition: find, to the minute, when the clock first passes it. */
function firstInstantAtOrAfter(zone: string, dayNo: number, minutes: number, upper: number): number {
  const { iso } = civil(dayNo);
  const reached = (instant: number) => {
    const local = wallClockAt(instant, zone);
    const date = civil(dayNumber(local.year, local.month, local.day)).iso;
    return date > iso || (date === iso && local.hour * 60 + local.minute >= minutes);
  };
  let lo = Math.floor((upper - DAY_MS) / 60_000);
  let hi = Math.floor(upper / 60_000);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (reached(mid * 60_000)) hi = mid;
    else lo = mid + 1;
  }
  return hi * 60_000;
}

/** The first instant of the day after the civil date `date` (YYYY-MM-DD) in `zone`: its midnight, or the first moment after it where a transition skips midnight. */
export function startOfDayAfter(date: string, zone: string): number {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return wallInstant(zone, dayNumber(year, month, day) + 1, 0);
}

function localDayNumber(instant: number, zone: string): number {
  const local = wallClockAt(instant, zone);
  return dayNumber(local.year, local.month, local.day);
}

/**
 * The working stretches of one civil date, in order. A holiday has none; neither has an
 * interval that a spring-forward transition swallows whole.
 */
function spansOfDay(calendar: Calendar, holidays: ReadonlySet<string>, dayNo: number): Span[] {
  const date = civil(dayNo);
  if (holidays.has(date.iso)) return [];
  const spans: Span[] = [];
  for (const [start, end] of calendar.week[date.weekday] ?? []) {
    const s = wallInstant(calendar.timeZone, dayNo, minutesOf(start));
    const e = wallInstant(calendar.timeZone, dayNo, minutesOf(end));
    if (e > s) spans.push({ from: s, to: e });
  }
  return spans;
}

function neverOpen(calendar: Calendar, from: number): Error {
  return new Error(`calendar "${calendar.name}" has no working time for ${MAX_CLOSED_DAYS} days after ${new Date(from).toISOString()}`);
}

/** The calendar's open stretches from `from` on, in order, the first clipped to start at `from`. */
export function* openSpans(calendar: Calendar, from: number): Generator<Span> {
  if (calendar.alwaysOpen) {
    yield { from, to: Infinity };
    return;
  }
  const holidays = new Set(calendar.holidays);
  let closedDays = 0;
  for (let dayNo = localDayNumber(from, calendar.timeZone); ; dayNo++) {
    let yielded = false;
    for (const span of spansOfDay(calendar, holidays, dayNo)) {
      if (span.to <= from) continue;
      yielded = true;
      yield { from: Math.max(span.from, from), to: span.to };
    }
    closedDays = yielded ? 0 : closedDays + 1;
    if (closedDays > MAX_CLOSED_DAYS) throw neverOpen(calendar, from);
  }
}

/** Sorted, merged, non-empty spans. */
export function normaliseSpans(spans: Span[]): Span[] {
  const sorted = spans.filter((span) => span.to > span.from).sort((a, b) => a.from - b.from);
  const merged: Span[] = [];
  for (const span of sorted) {
    const last = merged.at(-1);
    if (last && span.from <= last.to) last.to = Math.max(last.to, span.to);
    else merged.push({ ...span });
  }
  return merged;
}

/** `span` with the (normalised) pauses taken out. */
function withoutPauses(span: Span, pauses: Span[]): Span[] {
  const pieces: Span[] = [];
  let cursor = span.from;
  for (const pause of pauses) {
    if (pause.to <= cursor) continue;
    if (pause.from >= span.to) break;
    if (pause.from > cursor) pieces.push({ from: cursor, to: pause.from });
    cursor = Math.max(cursor, pause.to);
    if (cursor >= span.to) break;
  }
  if (cursor < span.to) pieces.push({ from: cursor, to: span.to });
  return pieces;
}

export interface WorkingTimeResult {
  /** The deadline: the first instant by which `amountMs` of working time has passed. */
  at: number;
  /** The working stretches that were counted, in order (the last one ends at `at`). */
  counted: Span[];
}

/**
 * Adds `amountMs` of working time to `from`: counts only the calendar's open time and skips
 * the pauses. The answer is the earliest instant by which that much time has been counted,
 * so a deadline that uses up a working interval exactly lands on its closing time.
 */
export function addWorkingTime(calendar: Calendar, from: number, amountMs: number, pauses: Span[] = []): WorkingTimeResult {
  if (amountMs <= 0) return { at: from, counted: [] };
  const skipped = normaliseSpans(pauses.filter((pause) => pause.to > from));
  const counted: Span[] = [];
  let remaining = amountMs;
  for (const open of openSpans(calendar, from)) {
    for (const piece of withoutPauses(open, skipped)) {
      const length = piece.to - piece.from;
      if (remaining <= length) {
        counted.push({ from: piece.from, to: piece.from + remaining });
        return { at: piece.from + remaining, counted };
      }
      counted.push(piece);
      remaining -= length;
    }
  }
  /* c8 ignore next */
  throw new Error('unreachable: openSpans never ends');
}

/** Working time in [from, to), pauses skipped. */
export function workingTimeBetween(calendar: Calendar, from: number, to: number, pauses: Span[] = []): number {
  if (to <= from) return 0;
  const skipped = normaliseSpans(pauses);
  let total = 0;
  for (const open of openSpans(calendar, from)) {
    if (open.from >= to) break;
    for (const piece of withoutPauses({ from: open.from, to: Math.min(open.to, to) }, skipped)) total += piece.to - piece.from;
    if (open.to >= to) break;
  }
  return total;
}

/** `at` itself when the calendar is open then, otherwise the next opening. */
export function nextOpenInstant(calendar: Calendar, at: number): number {
  for (const open of openSpans(calendar, at)) return open.from;
  /* c8 ignore next */
  throw new Error('unreachable: openSpans never ends');
}

export interface WorkingDaysResult {
  /** Where the count started: the first working moment at or after the start. */
  countedFrom: number;
  /** The Nth next working day, YYYY-MM-DD in the calendar's zone. */
  day: string;
  /** That day at the wall time the count started at (the first instant its clock shows that time). */
  sameTime: number;
  /** The deadline: `sameTime` when that is working time, otherwise the next working moment. */
  at: number;
}

/**
 * Adds `days` working days to `from`, the way a team reads "7 days" on a business calendar
 * (PLAYBOOK.md §2, and day arithmetic in business-time libraries such as Zendesk's biz): the
 * same wall time on the Nth next working day, or the next working moment when that time is not
 * working time. A working day is a date with working time (hours that weekday, not a holiday).
 *
 * The count starts at the first working moment at or after `from`, as every working-time count
 * does: a case reported on Saturday gets its N full days from Monday's opening, not from
 * Saturday's wall time carried onto Monday. On a 24×7 calendar a day is 24 hours, so a day
 * target there means what it always did, even on the days a DST change makes 23 or 25 hours long.
 */
export function addWorkingDays(calendar: Calendar, from: number, days: number): WorkingDaysResult {
  if (calendar.alwaysOpen) {
    const at = from + days * DAY_MS;
    return { countedFrom: from, day: civil(localDayNumber(at, calendar.timeZone)).iso, sameTime: at, at };
  }
  const countedFrom = nextOpenInstant(calendar, from);
  const zone = calendar.timeZone;
  const local = wallClockAt(countedFrom, zone);
  const wallMinutes = local.hour * 60 + local.minute;
  const holidays = new Set(calendar.holidays);
  let dayNo = dayNumber(local.year, local.month, local.day);
  for (let found = 0, closedDays = 0; found < days; ) {
    dayNo++;
    if (spansOfDay(calendar, holidays, dayNo).length) {
      found++;
      closedDays = 0;
    } else if (++closedDays > MAX_CLOSED_DAYS) {
      throw neverOpen(calendar, from);
    }
  }
  // The minute is found through the zone; seconds and milliseconds carry over unless that
  // minute does not exist that day (skipped by spring-forward), when the clock first passes it.
  const minuteStart = wallInstant(zone, dayNo, wallMinutes);
  const shown = wallClockAt(minuteStart, zone);
  const exists = shown.hour * 60 + shown.minute === wallMinutes;
  const sameTime = exists ? minuteStart + local.second * 1000 + local.millisecond : minuteStart;
  return { countedFrom, day: civil(dayNo).iso, sameTime, at: nextOpenInstant(calendar, sameTime) };
}

/** Whether the calendar counts the instant (a closing time itself is closed). */
export function isOpenAt(calendar: Calendar, at: number): boolean {
  return nextOpenInstant(calendar, at) === at;
}

/** Holidays between two instants (inclusive of their dates) that took away working hours. */
export function holidaysBetween(calendar: Calendar, from: number, to: number): string[] {
  if (calendar.alwaysOpen || !calendar.holidays.length) return [];
  const first = civil(localDayNumber(from, calendar.timeZone)).iso;
  const last = civil(localDayNumber(to, calendar.timeZone)).iso;
  return calendar.holidays
    .filter((date) => date >= first && date <= last)
    .filter((date) => {
      const [y, m, d] = date.split('-').map(Number) as [number, number, number];
      return (calendar.week[civil(dayNumber(y, m, d)).weekday] ?? []).length > 0;
    })
    .sort();
}

// Explanations show the same few instants (opening and closing times) over and over.
const textCache = new Map<string, string>();

function remembered(key: string, make: () => string): string {
  const known = textCache.get(key);
  if (known !== undefined) return known;
  const made = make();
  if (textCache.size >= WALL_CACHE_LIMIT) textCache.clear();
  textCache.set(key, made);
  return made;
}

/** Forgets every remembered conversion (tests use it to prove answers do not depend on the host). */
export function clearCalendarCaches() {
  wallCache.clear();
  textCache.clear();
}

/** An instant as ISO 8601 with the zone's offset, e.g. 2026-03-09T12:00:00+01:00. */
export function localIso(instant: number, zone: string): string {
  return remembered(`iso|${zone}|${instant}`, () => isoInZone(instant, zone));
}

/** An instant as a person reads it: "Mon 9 Mar 2026 12:00". */
export function localText(instant: number, zone: string): string {
  return remembered(`text|${zone}|${instant}`, () => textInZone(instant, zone));
}

const DAY_NAMES: Record<Weekday, string> = { mon: 'Mon', tue: 'Tue', wed: 'Wed', thu: 'Thu', fri: 'Fri', sat: 'Sat', sun: 'Sun' };

/** "Mon–Fri 09:00–17:00", "Mon–Thu 09:00–12:00, 13:00–17:00; Fri 09:00–15:00", "24×7". */
export function describeHours(calendar: Calendar): string {
  if (calendar.alwaysOpen) return '24×7';
  const runs: { first: Weekday; last: Weekday; hours: string }[] = [];
  for (const day of WEEKDAYS) {
    const hours = (calendar.week[day] ?? []).map(([s, e]) => `${s}–${e}`).join(', ');
    if (!hours) continue;
    const last = runs.at(-1);
    if (last && last.hours === hours && WEEKDAYS.indexOf(last.last) === WEEKDAYS.indexOf(day) - 1) last.last = day;
    else runs.push({ first: day, last: day, hours });
  }
  if (!runs.length) return 'never open';
  return runs.map((run) => `${DAY_NAMES[run.first]}${run.first === run.last ? '' : `–${DAY_NAMES[run.last]}`} ${run.hours}`).join('; ');
}
