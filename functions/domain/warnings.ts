import { addWorkingTime, workingTimeBetween } from './business-calendar';
import { closedPauses, type Deadlines, type SlaClock } from './deadlines';
import { calendarFor, type SlaPolicy } from './sla-policy';
import { reachTarget, type SlaTarget } from './sla-target';
import type { Severity } from './vocabulary';

// A breach should never be a surprise (PLAYBOOK.md §2): before a deadline passes, the people
// who can still meet it hear that it is near. What "75 %" means, for every unit of target:
//
//   A warning at P % comes when P % of the working time the target stands for has been counted
//   from the clock's start, pauses skipped as the deadline skips them. For an hour or minute
//   target that is P % of it as written ("4h" warns after 3 working hours, one before the
//   deadline). For whole working days it is P % of the working time those days hold from the
//   start: "7d" on Mon–Fri 09:00–17:00 holds 56 working hours, so 75 % warns 14 working hours
//   (a day and three quarters) before the deadline. Counting days instead ("after 5.25 days")
//   would need a fraction of a working day, which has no wall time of its own.
//
// A warning is due only on working time (it is reached by counting working time), only while
// its deadline is pending (an acknowledged case has no acknowledgement warning left, an update
// sent moves the update deadline and with it the warning), and only when it comes strictly
// before its deadline (a promised update sooner than the cadence can leave no room for one).

export const WARNED_KINDS = ['acknowledge', 'update', 'resolve'] as const;
export type WarnedKind = (typeof WARNED_KINDS)[number];

export interface DeadlineWarning {
  kind: WarnedKind;
  /** The share of the target spent when it is due, in percent. */
  percent: number;
  /** When it is due (UTC). */
  at: string;
  /** The deadline it warns of (UTC). */
  deadline: string;
}

export interface WarningClock {
  severity: Severity;
  sla: SlaClock;
  deadlines: Deadlines;
  policy: SlaPolicy;
}

interface Count {
  from: number;
  target: SlaTarget;
  paused: boolean;
  deadline: string;
}

function countOf(kind: WarnedKind, { severity, sla, deadlines, policy }: WarningClock): Count {
  const targets = policy.targets[severity];
  switch (kind) {
    case 'acknowledge':
      // As the deadline: the acknowledgement clock ignores pauses (only an acknowledged case can pause).
      return { from: Date.parse(sla.acknowledgeClockFrom ?? sla.startedAt), target: targets.acknowledgeWithin, paused: false, deadline: deadlines.acknowledgeBy };
    case 'update':
      return { from: Date.parse(sla.updateClockFrom), target: targets.updateEvery, paused: true, deadline: deadlines.nextUpdateBy };
    case 'resolve':
      return { from: Date.parse(sla.startedAt), target: targets.resolveWithin, paused: true, deadline: deadlines.resolveBy };
  }
}

/** What of the playbook the warnings read: per severity, the shares of each target to warn at. */
export interface WarningPolicy {
  severities: Record<Severity, { warnAtPercent: Record<WarnedKind, readonly number[]> }>;
}

/** The warnings of the given deadline kinds, at the playbook's percentages for the case's severity, earliest first. */
export function deadlineWarnings(clock: WarningClock, kinds: readonly WarnedKind[], playbook: WarningPolicy): DeadlineWarning[] {
  const calendar = calendarFor(clock.policy, clock.severity);
  const pauses = closedPauses(clock.sla);
  const shares = playbook.severities[clock.severity].warnAtPercent;
  const warnings: DeadlineWarning[] = [];
  for (const kind of kinds) {
    const count = countOf(kind, clock);
    // What the target stands for from this start, pauses aside: hours as written, working days as the working time they hold.
    const { workingMs } = reachTarget(calendar, count.from, count.target);
    for (const percent of shares[kind]) {
      const spent = Math.round((workingMs * percent) / 100);
      const at = addWorkingTime(calendar, count.from, spent, count.paused ? pauses : []).at;
      if (at < Date.parse(count.deadline)) warnings.push({ kind, percent, at: new Date(at).toISOString(), deadline: count.deadline });
    }
  }
  return warnings.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** The working time left from `now` until a deadline, in the case's calendar with its pauses skipped: what a warning tells. */
export function workingTimeLeft(clock: Pick<WarningClock, 'severity' | 'sla' | 'policy'>, now: Date, deadline: string): number {
  return workingTimeBetween(calendarFor(clock.policy, clock.severity), now.getTime(), Date.parse(deadline), closedPauses(clock.sla));
}
