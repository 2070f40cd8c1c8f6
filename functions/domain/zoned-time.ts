// Wall clocks of IANA time zones, read through the runtime's own Intl (ICU) data: the
// conversions the working calendars need and nothing more. Luxon did this before; it reads
// the same Intl data the same way, but it weighed 70 KiB in every Lambda bundle, more than
// anything else this repository adds to the AWS SDK (docs/performance.md). tests/unit/
// zoned-time.test.ts holds these answers to Luxon's, which stays a development dependency.

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** A wall clock reading: calendar fields as the zone shows them. */
export interface WallClock {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  /** 0–23 */
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/**
 * A formatter per zone, made on first use and kept: making an Intl.DateTimeFormat costs about a
 * millisecond, using one microseconds, and there are a few hundred zones at most.
 */
export function formatterPerZone(locale: string, options: Omit<Intl.DateTimeFormatOptions, 'timeZone'>): (zone: string) => Intl.DateTimeFormat {
  const formatters = new Map<string, Intl.DateTimeFormat>();
  return (zone) => {
    let formatter = formatters.get(zone);
    if (!formatter) {
      formatter = new Intl.DateTimeFormat(locale, { ...options, timeZone: zone });
      formatters.set(zone, formatter);
    }
    return formatter;
  };
}

const formatterFor = formatterPerZone('en-US', { hourCycle: 'h23', era: 'short', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });

/** Whether the runtime knows the zone (an IANA name such as "Europe/Berlin", or "UTC"). */
export function isKnownTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** What the wall clock in `zone` shows at `instant` (epoch milliseconds). */
export function wallClockAt(instant: number, zone: string): WallClock {
  const fields: Record<string, string> = {};
  for (const part of formatterFor(zone).formatToParts(instant)) fields[part.type] = part.value;
  const year = Number(fields.year);
  return {
    year: fields.era === 'BC' ? 1 - year : year,
    month: Number(fields.month),
    day: Number(fields.day),
    // Some ICU versions still say 24 for midnight under h23.
    hour: Number(fields.hour) % 24,
    minute: Number(fields.minute),
    second: Number(fields.second),
    millisecond: ((instant % 1000) + 1000) % 1000,
  };
}

/** A wall clock reading read as if it were UTC: the "local timestamp" the offset is measured against. */
const asUtc = (wall: Omit<WallClock, 'millisecond'> & { millisecond?: number }) =>
  Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond ?? 0);

/** The zone's offset from UTC at `instant`, in minutes (east positive); fractional for old local mean times. */
export function offsetMinutesAt(instant: number, zone: string): number {
  const whole = instant - (((instant % 1000) + 1000) % 1000);
  return (asUtc({ ...wallClockAt(whole, zone), millisecond: 0 }) - whole) / MINUTE_MS;
}

/**
 * Every instant at which the wall clock in `zone` shows this date and time: one for an
 * ordinary time, two (earlier first) for a time a fall-back transition repeats, none for a
 * time a spring-forward transition skips. Offsets are looked up a day either side, so a
 * transition within a day of the time is seen, as no zone has two within two days.
 */
export function instantsOfWall(wall: { year: number; month: number; day: number; hour: number; minute: number }, zone: string): number[] {
  const local = asUtc({ ...wall, second: 0 });
  const offsets = [...new Set([offsetMinutesAt(local - DAY_MS, zone), offsetMinutesAt(local + DAY_MS, zone)])];
  const instants = offsets.map((offset) => local - offset * MINUTE_MS).filter((instant) => asUtc(wallClockAt(instant, zone)) === local);
  return [...new Set(instants)].sort((a, b) => a - b);
}

/** An instant the clock passes after any time skipped around this wall time: its local timestamp read at the smaller offset. */
export function upperBoundOfSkipped(wall: { year: number; month: number; day: number; hour: number; minute: number }, zone: string): number {
  const local = asUtc({ ...wall, second: 0 });
  return local - Math.min(offsetMinutesAt(local - DAY_MS, zone), offsetMinutesAt(local + DAY_MS, zone)) * MINUTE_MS;
}

const pad = (value: number, width = 2) => String(Math.trunc(value)).padStart(width, '0');

/** "UTC" and "GMT" themselves are fixed at zero and written "Z"; every other zone with its offset. */
const FIXED_UTC = /^(utc|gmt)$/i;

/** ISO 8601 with the zone's offset, milliseconds only when there are some: 2026-03-09T12:00:00+01:00. */
export function isoInZone(instant: number, zone: string): string {
  const wall = wallClockAt(instant, zone);
  const date = `${wall.year < 0 ? '-' : ''}${pad(Math.abs(wall.year), 4)}-${pad(wall.month)}-${pad(wall.day)}`;
  const time = `${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${wall.millisecond ? `.${pad(wall.millisecond, 3)}` : ''}`;
  if (FIXED_UTC.test(zone)) return `${date}T${time}Z`;
  const offset = offsetMinutesAt(instant, zone);
  const sign = offset < 0 ? '-' : '+';
  return `${date}T${time}${sign}${pad(Math.abs(offset) / 60)}:${pad(Math.abs(offset) % 60)}`;
}

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An instant as a person reads it, in English whatever the host's locale: "Mon 9 Mar 2026 12:00". */
export function textInZone(instant: number, zone: string): string {
  const wall = wallClockAt(instant, zone);
  const weekday = WEEKDAY_NAMES[new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay()];
  return `${weekday} ${wall.day} ${MONTH_NAMES[wall.month - 1]} ${pad(wall.year, 4)} ${pad(wall.hour)}:${pad(wall.minute)}`;
}
