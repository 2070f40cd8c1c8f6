import { addWorkingDays, addWorkingTime, nextOpenInstant, workingTimeBetween, type Calendar, type Span, type WorkingDaysResult } from './business-calendar';

// A playbook target keeps the unit it was written in, because the unit decides how it is
// counted (PLAYBOOK.md §2): on a business calendar "7d" means seven working days, while "4h"
// and "30m" count working time. Every deadline, reminder and wait reaches its target through
// `reachTarget`, so no two places can disagree on what a day is.

export const TARGET_UNITS = ['minutes', 'hours', 'days'] as const;
export type TargetUnit = (typeof TARGET_UNITS)[number];

/** A target as the playbook writes it ("30m", "4h", "7d"): a whole number and its unit. */
export interface SlaTarget {
  amount: number;
  unit: TargetUnit;
}

const UNIT_MS: Record<TargetUnit, number> = { minutes: 60_000, hours: 3_600_000, days: 86_400_000 };
export const UNIT_LETTER: Record<TargetUnit, string> = { minutes: 'm', hours: 'h', days: 'd' };

/** The playbook's own notation: "7d", "4h", "30m". */
export function formatTarget(target: SlaTarget): string {
  return `${target.amount}${UNIT_LETTER[target.unit]}`;
}

/** The target as elapsed time: what it lasts on a 24×7 calendar, and what an hour or minute target counts anywhere. */
export function elapsedMs(target: SlaTarget): number {
  return target.amount * UNIT_MS[target.unit];
}

/** Whole days count working days, except on a 24×7 calendar where a day is simply 24 hours. */
export function countsWorkingDays(target: SlaTarget, calendar: Pick<Calendar, 'alwaysOpen'>): boolean {
  return fixedWorkingMs(target, calendar) === undefined;
}

/**
 * The target's length in working time when that does not depend on where the count starts:
 * hours and minutes, and days on a 24×7 calendar. Absent for working days, which hold more or
 * less working time depending on the calendar, the holidays and the day the count starts.
 */
export function fixedWorkingMs(target: SlaTarget, calendar: Pick<Calendar, 'alwaysOpen'>): number | undefined {
  return target.unit === 'days' && !calendar.alwaysOpen ? undefined : elapsedMs(target);
}

/** 90 min → "1h 30m"; 72 h → "72h". Working time reads better in hours than in days. */
export function humanDuration(millis: number): string {
  const minutes = Math.round(millis / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest}m`;
  return rest ? `${hours}h ${rest}m` : `${hours}h`;
}

/** Which rule counts the target, in words: "7 working days", "4h of working time". */
export function describeTarget(target: SlaTarget, calendar: Calendar): string {
  if (countsWorkingDays(target, calendar)) return `${target.amount} working day${target.amount === 1 ? '' : 's'}`;
  return `${humanDuration(elapsedMs(target))} of working time`;
}

export interface ReachedTarget {
  /** The deadline. */
  at: number;
  /**
   * The working time the target stands for from this start, pauses aside: an hour or minute
   * target as written; N working days as much working time as those days hold from the start.
   */
  workingMs: number;
  /** The working stretches counted, pauses skipped; they add up to workingMs. */
  counted: Span[];
  /** How the working days were counted (absent when the target counts working time). */
  workingDays?: WorkingDaysResult;
}

/**
 * The instant a target is reached from `from` on `calendar`, with `pauses` given back.
 *
 * Hours and minutes count working time, and the deadline is the instant that much has been
 * counted (a target that uses up a working interval exactly lands on its closing time).
 *
 * Whole days on a business calendar are working days (`addWorkingDays`). A pause gives back
 * the working time it covered, as it does for an hour target: N working days stand for the
 * working time they hold from the start, that much is counted with the pauses skipped, and the
 * deadline is the next working moment from there. Without pauses this is exactly the Nth
 * working day at the start's wall time; a pause of two working hours makes it two working
 * hours later that day, and a pause over three whole working days moves it three working days.
 */
export function reachTarget(calendar: Calendar, from: number, target: SlaTarget, pauses: Span[] = []): ReachedTarget {
  if (!countsWorkingDays(target, calendar)) {
    const workingMs = elapsedMs(target);
    const { at, counted } = addWorkingTime(calendar, from, workingMs, pauses);
    return { at, workingMs, counted };
  }
  const workingDays = addWorkingDays(calendar, from, target.amount);
  const workingMs = workingTimeBetween(calendar, from, workingDays.at);
  const { at, counted } = addWorkingTime(calendar, from, workingMs, pauses);
  return { at: nextOpenInstant(calendar, at), workingMs, counted, workingDays };
}
