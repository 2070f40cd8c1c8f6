import type { Playbook } from '../domain/playbook';
import type { Calendar } from './business-calendar';
import type { SlaTarget } from './sla-target';
import { SEVERITIES, type Severity } from './vocabulary';

/** What an SLA clock must reach, per severity, counted in the severity's calendar (functions/domain/sla-target.ts). */
export interface SeverityTargets {
  acknowledgeWithin: SlaTarget;
  updateEvery: SlaTarget;
  resolveWithin: SlaTarget;
}

/** The waits after a resolution, counted from it in the severity's calendar like every target. */
export interface FollowUpWaits {
  after: SlaTarget;
  recoveryCallAfter: SlaTarget;
  healthCheckAfter: SlaTarget;
}

/**
 * The targets and calendars a case runs on, taken from the playbook at intake and kept on
 * the case: a later change to the playbook applies to new escalations, and reaches an open
 * one only when it is re-evaluated through the API (which records the change).
 */
export interface SlaPolicy {
  /** When the policy was taken from the playbook (intake or re-evaluation). */
  takenAt: string;
  /** The account's time zone: instants are shown in it; calendars without a zone of their own count in it. */
  timeZone: string;
  /** Where that zone came from: the intake's customer.timezone, or the playbook's teamTimeZone. */
  timeZoneSource: 'account' | 'team';
  targets: Record<Severity, SeverityTargets>;
  /** The calendar each severity counts in (after the account's overrides). */
  calendarOf: Record<Severity, string>;
  /** Those calendars, zones resolved; holidays before the clock started are left out. */
  calendars: Record<string, Calendar>;
  followUp: FollowUpWaits;
  /**
   * When the blameless review is due after a resolution, and the calendar it and the improvement
   * items' reminders count in.
   */
  review: { within: SlaTarget; calendar: string };
  /**
   * The calendars whose hours are read in the account's zone (the playbook gave them no zone of
   * their own): they follow when the account's zone changes.
   */
  calendarsInAccountZone: string[];
}

const DAY_MS = 86_400_000;
/** How far ahead a case keeps holidays: beyond any resolution target, follow-up or likely reopening. */
const HOLIDAY_HORIZON_MS = 2 * 366 * DAY_MS;

/** Takes the policy for one account from the playbook as it is now. */
export function snapshotPolicy(playbook: Playbook, customer: { accountId: string; timezone?: string }, now: Date, clockStart: number): SlaPolicy {
  const timeZone = customer.timezone ?? playbook.teamTimeZone;
  // No clock of the case counts before its start (a two-day margin covers every zone's date line),
  // and none reaches years ahead: the case keeps only the holidays it can meet.
  const firstHoliday = new Date(clockStart - 2 * DAY_MS).toISOString().slice(0, 10);
  const lastHoliday = new Date(Math.max(clockStart, now.getTime()) + HOLIDAY_HORIZON_MS).toISOString().slice(0, 10);
  const overrides = playbook.accountCalendars[customer.accountId] ?? {};
  const calendarOf = Object.fromEntries(SEVERITIES.map((severity) => [severity, overrides[severity] ?? playbook.severityCalendars[severity]])) as Record<Severity, string>;
  const calendars: Record<string, Calendar> = {};
  const calendarsInAccountZone: string[] = [];
  for (const name of new Set([...Object.values(calendarOf), playbook.review.calendar])) {
    const config = playbook.calendars[name];
    if (!config) throw new Error(`playbook has no calendar named "${name}"`);
    if (config.timeZone === undefined) calendarsInAccountZone.push(name);
    calendars[name] = {
      name,
      ...(config.alwaysOpen && { alwaysOpen: true }),
      timeZone: config.timeZone ?? timeZone,
      week: config.week ?? {},
      holidays: config.holidays.filter((date) => date >= firstHoliday && date <= lastHoliday),
    };
  }
  const targets = Object.fromEntries(
    SEVERITIES.map((severity) => {
      const { acknowledgeWithin, updateEvery, resolveWithin } = playbook.severities[severity];
      return [severity, { acknowledgeWithin, updateEvery, resolveWithin }];
    }),
  ) as Record<Severity, SeverityTargets>;
  return {
    takenAt: now.toISOString(),
    timeZone,
    timeZoneSource: customer.timezone ? 'account' : 'team',
    targets,
    calendarOf,
    calendars,
    followUp: { ...playbook.followUp },
    review: { within: playbook.review.within, calendar: playbook.review.calendar },
    calendarsInAccountZone,
  };
}

/**
 * The same policy for an account that moved to another time zone: the targets and calendars
 * stay as the case took them, and the calendars read in the account's zone are read in the new
 * one.
 */
export function withAccountTimeZone(policy: SlaPolicy, timeZone: string): SlaPolicy {
  const calendars = Object.fromEntries(
    Object.entries(policy.calendars).map(([name, calendar]) => [name, policy.calendarsInAccountZone.includes(name) ? { ...calendar, timeZone } : calendar]),
  );
  return { ...policy, timeZone, timeZoneSource: 'account', calendars };
}

export function calendarFor(policy: SlaPolicy, severity: Severity): Calendar {
  const calendar = policy.calendars[policy.calendarOf[severity]];
  if (!calendar) throw new Error(`policy has no calendar for ${severity}`);
  return calendar;
}

/** When a review is due and the calendar it counts in, for this policy. */
export function reviewPolicyOf(policy: SlaPolicy): { within: SlaTarget; calendar: Calendar } {
  const calendar = policy.calendars[policy.review.calendar];
  if (!calendar) throw new Error(`policy has no calendar ${policy.review.calendar} for reviews`);
  return { within: policy.review.within, calendar };
}
