// An independent, slow reference for working-time arithmetic, used to check the real one
// (functions/domain/business-calendar.ts, on functions/domain/zoned-time.ts). It shares no code with it: it
// reads wall clocks through Intl.DateTimeFormat and walks time in fixed steps.
import type { Calendar, Span } from '../../functions/domain/business-calendar';

export const STEP_MS = 15 * 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The wall clock in `zone` at `instant`: date, minutes into the day, weekday ("mon"…). */
export function wallClock(instant: number, zone: string) {
  const parts = Object.fromEntries(formatter(zone).formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    weekday: parts.weekday!.toLowerCase().slice(0, 3) as keyof Calendar['week'],
  };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/**
 * Whether each step [t, t + STEP) is working time. A working interval of a date opens the
 * first time that date's wall clock shows its start (or later) and closes the first time it
 * shows its end: so a wall time repeated by a fall-back transition does not reopen a
 * stretch, and a wall time skipped by spring-forward opens (or closes) at the transition.
 */
function* steps(calendar: Calendar, from: number): Generator<{ at: number; open: boolean; date: string; highest: number }> {
  const holidays = new Set(calendar.holidays);
  let date = '';
  let highest = -1;
  // Start before the first date began (no date is longer than 25 h) so its state is known.
  for (let t = from - 27 * 3_600_000 - (from % STEP_MS); ; t += STEP_MS) {
    const wall = wallClock(t, calendar.timeZone);
    if (wall.date !== date) {
      date = wall.date;
      highest = -1;
    }
    highest = Math.max(highest, wall.minutes);
    const open =
      calendar.alwaysOpen === true ||
      (!holidays.has(wall.date) && (calendar.week[wall.weekday] ?? []).some(([start, end]) => highest >= minutes(start) && highest < minutes(end)));
    if (t >= from) yield { at: t, open, date, highest };
  }
}

/** Brute-force addWorkingTime: every boundary must be a multiple of STEP_MS (quarter hours). */
export function oracleAdd(calendar: Calendar, from: number, amountMs: number, pauses: Span[] = []): number {
  if (amountMs <= 0) return from;
  let counted = 0;
  for (const step of steps(calendar, from)) {
    const paused = pauses.some((pause) => step.at >= pause.from && step.at < pause.to);
    if (step.open && !paused) counted += STEP_MS;
    if (counted >= amountMs) return step.at + STEP_MS;
  }
  throw new Error('unreachable');
}

/** Brute-force isOpenAt for a quarter-hour instant. */
export function oracleOpen(calendar: Calendar, at: number): boolean {
  return steps(calendar, at).next().value!.open;
}

const DAY_MS = 86_400_000;

/**
 * Brute-force addWorkingDays, on quarter hours. The count starts at the first open step at or
 * after `from`; the Nth next working day is the Nth later date on which some step is open; the
 * deadline is the first step of that date whose wall clock has shown the starting wall time (or
 * later), moved on to the first open step from there. On 24×7 a day is 24 hours.
 */
export function oracleAddDays(calendar: Calendar, from: number, days: number): { countedFrom: number; day: string; at: number } {
  if (calendar.alwaysOpen) return { countedFrom: from, day: wallClock(from + days * DAY_MS, calendar.timeZone).date, at: from + days * DAY_MS };
  let start: { at: number; date: string; highest: number } | undefined;
  const workingDates: string[] = [];
  for (const step of steps(calendar, from)) {
    if (!start) {
      if (step.open) start = step;
      continue;
    }
    if (step.open && step.date > start.date && workingDates.at(-1) !== step.date) workingDates.push(step.date);
    if (workingDates.length === days) break;
  }
  const day = workingDates[days - 1]!;
  const wall = wallClock(start!.at, calendar.timeZone).minutes;
  let reached = false;
  for (const step of steps(calendar, start!.at)) {
    reached ||= step.date > day || (step.date === day && step.highest >= wall);
    if (reached && step.open) return { countedFrom: start!.at, day, at: step.at };
  }
  throw new Error('unreachable');
}
