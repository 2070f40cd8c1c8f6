import { addWorkingTime, describeHours, holidaysBetween, localIso, localText, workingTimeBetween, type Calendar, type Span } from './business-calendar';
import { calendarFor, reviewPolicyOf, type SlaPolicy } from './sla-policy';
import { describeTarget, formatTarget, humanDuration, reachTarget, type ReachedTarget, type SlaTarget } from './sla-target';
import type { Severity, Status } from './vocabulary';

/** One stretch of waiting on the customer: who stopped the clock, why, and when it ran again. */
export interface PauseRecord {
  from: string;
  /** Absent while the clock is still paused. */
  to?: string;
  by?: string;
  reason?: string;
  resumedBy?: string;
}

/**
 * What the SLA clock remembers. Deadlines are derived from it, never edited by hand,
 * so a severity change or a pause can always recompute them from first principles.
 */
export interface SlaClock {
  /** When the customer reported it (reportedAt): the resolution clock runs from here. */
  startedAt: string;
  /** The acknowledgement clock: intake, or the moment the case climbed to a new tier unacknowledged. */
  acknowledgeClockFrom?: string;
  /** The update clock runs from the last customer communication. */
  updateClockFrom: string;
  /** An update time promised to the customer that is sooner than the cadence. */
  promisedUpdateBy?: string;
  /** Total time spent paused (wall-clock). */
  pausedMs: number;
  /** Set while waiting on the customer. */
  pausedSince?: string;
  /** Every pause, oldest first; the open one (while paused) is last and has no `to`. */
  pauses: PauseRecord[];
}

export interface Deadlines {
  acknowledgeBy: string;
  nextUpdateBy: string;
  resolveBy: string;
  followUpAt?: string;
  /** After a resolution: when the blameless review is due (the playbook's review.within, in the review calendar). */
  reviewBy?: string;
}
export type DeadlineName = keyof Deadlines;

/** How one deadline was reached, in terms a person can check by hand. */
export interface DeadlineExplanation {
  /** The deadline, UTC. */
  at: string;
  /** The same instant in the account's time zone. */
  atLocal: string;
  timeZone: string;
  calendar: { name: string; timeZone: string; hours: string; alwaysOpen: boolean };
  /**
   * Which rule counted: working_time, an hour or minute target (or a day target on a 24×7
   * calendar) counted in working time; working_days, a whole-day target on a business calendar,
   * the same wall time on the Nth working day; promised, a sooner update promised to the customer.
   */
  method: 'working_time' | 'working_days' | 'promised';
  /** Where the count starts (intake, acknowledgement clock, last update, resolution). */
  countedFrom: string;
  countedFromLocal: string;
  /** The target as the playbook writes it: "4h", "7d". */
  target: string;
  /** The working time the target stood for from countedFrom: an hour target as written, N working days what those days held. */
  targetMs: number;
  /** working_days: where the day count started, the Nth working day, and that day at the starting wall time. */
  workingDays?: { days: number; countedFromLocal: string; day: string; sameTimeLocal: string };
  /** The working stretches counted, in the calendar's zone; they add up to targetMs. */
  counted: { from: string; to: string; ms: number }[];
  /** Pauses that fell in the counted window, and how much working time each took out. */
  pausesSkipped: { from: string; to: string; workingMs: number; by?: string; reason?: string }[];
  /** Holidays in the window that would have been working days. */
  holidaysSkipped: string[];
  summary: string;
}
export type DeadlineExplanations = Record<Exclude<DeadlineName, 'followUpAt' | 'reviewBy'>, DeadlineExplanation> & { followUpAt?: DeadlineExplanation; reviewBy?: DeadlineExplanation };

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => Date.parse(instant);

/** The closed pauses as spans; the open one does not count until the clock resumes. */
export function closedPauses(clock: SlaClock): Span[] {
  return clock.pauses.filter((pause) => pause.to !== undefined).map((pause) => ({ from: ms(pause.from), to: Math.max(ms(pause.from), ms(pause.to!)) }));
}

interface Computed {
  at: number;
  explain: () => DeadlineExplanation;
}

/** 1st, 2nd, 3rd, 4th, 11th, 21st… */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** "Mon 9 Mar 2026 12:00" without its time. */
const dayText = (instant: number, zone: string) => localText(instant, zone).slice(0, -6);

interface TargetCount {
  from: number;
  target: SlaTarget;
  pauses: Span[];
  records: PauseRecord[];
  /** Names the start in the summary when it is not the SLA clock's ("the resolution"). */
  fromLabel?: string;
}

/** A deadline reached by counting a target (functions/domain/sla-target.ts), with its explanation. */
function targetDeadline(calendar: Calendar, policy: SlaPolicy, count: TargetCount): Computed {
  const { from, target, pauses } = count;
  const reached = reachTarget(calendar, from, target, pauses);
  return { at: reached.at, explain: () => explainTarget(calendar, policy, count, reached) };
}

function explainTarget(calendar: Calendar, policy: SlaPolicy, { from, target, records, fromLabel }: TargetCount, reached: ReachedTarget): DeadlineExplanation {
  const zone = calendar.timeZone;
  const countedUntil = reached.counted.at(-1)?.to ?? from;
  const counted = reached.counted.map((span) => ({ from: localIso(span.from, zone), to: localIso(span.to, zone), ms: span.to - span.from }));
  const pausesSkipped = pausesWithin(calendar, records, from, countedUntil);
  const holidaysSkipped = holidaysBetween(calendar, from, reached.at);
  const stretch = (span: Span) => {
    const [start, end] = [localText(span.from, zone), localText(span.to, zone)];
    return `${start}–${start.slice(0, -5) === end.slice(0, -5) ? end.slice(-5) : end} (${humanDuration(span.to - span.from)})`;
  };
  const all = reached.counted;
  const shown = all.length > 6 ? [...all.slice(0, 3).map(stretch), `… ${all.length - 5} more …`, ...all.slice(-2).map(stretch)] : all.map(stretch);
  const pausedWorkingMs = pausesSkipped.reduce((sum, pause) => sum + pause.workingMs, 0);
  const days = reached.workingDays;
  const opening = `${describeTarget(target, calendar)} on calendar "${calendar.name}" (${describeHours(calendar)}, ${zone}) from ${fromLabel ? `${fromLabel}, ` : ''}${localText(from, zone)}`;
  const holidays = holidaysSkipped.length ? `; skipped holiday(s) ${holidaysSkipped.join(', ')}` : '';
  const end = ` → ${localText(reached.at, policy.timeZone)} ${policy.timeZone} (${iso(reached.at)})`;
  const summary = days
    ? [
        opening,
        days.countedFrom !== from ? `, counted from the next working moment, ${localText(days.countedFrom, zone)}` : '',
        `: the same time on the ${ordinal(target.amount)} working day, ${dayText(days.sameTime, zone)}`,
        days.at !== days.sameTime ? ` (${localText(days.sameTime, zone)} is not working time: the next working moment)` : '',
        holidays,
        pausesSkipped.length ? `; ${pausesSkipped.length} pause(s) gave back ${humanDuration(pausedWorkingMs)} of working time` : '',
        end,
      ].join('')
    : [
        opening,
        `: counted ${shown.join(', ') || 'nothing'}`,
        pausesSkipped.length ? `; skipped ${pausesSkipped.length} pause(s) (${humanDuration(pausedWorkingMs)} of working time)` : '',
        holidays,
        end,
      ].join('');
  return {
    ...common(reached.at, calendar, policy, from),
    method: days ? 'working_days' : 'working_time',
    target: formatTarget(target),
    targetMs: reached.workingMs,
    ...(days && {
      workingDays: { days: target.amount, countedFromLocal: localIso(days.countedFrom, zone), day: days.day, sameTimeLocal: localIso(days.sameTime, zone) },
    }),
    counted,
    pausesSkipped,
    holidaysSkipped,
    summary,
  };
}

/** The closed pauses that fell between `from` and `until`, each with the working time it took out. */
function pausesWithin(calendar: Calendar, records: PauseRecord[], from: number, until: number): DeadlineExplanation['pausesSkipped'] {
  return records
    .filter((pause) => pause.to !== undefined && ms(pause.to) > from && ms(pause.from) < until)
    .map((pause) => {
      const span = { from: Math.max(from, ms(pause.from)), to: Math.min(until, ms(pause.to!)) };
      return {
        from: localIso(span.from, calendar.timeZone),
        to: localIso(span.to, calendar.timeZone),
        workingMs: workingTimeBetween(calendar, span.from, span.to),
        ...(pause.by && { by: pause.by }),
        ...(pause.reason && { reason: pause.reason }),
      };
    });
}

function common(at: number, calendar: Calendar, policy: SlaPolicy, from: number) {
  return {
    at: iso(at),
    atLocal: localIso(at, policy.timeZone),
    timeZone: policy.timeZone,
    calendar: { name: calendar.name, timeZone: calendar.timeZone, hours: describeHours(calendar), alwaysOpen: Boolean(calendar.alwaysOpen) },
    countedFrom: iso(from),
    countedFromLocal: localIso(from, policy.timeZone),
  };
}

/** The wall clock (a promise to a customer is a time, not an amount of working time). */
const wallClock = (timeZone: string): Calendar => ({ name: 'wall clock', alwaysOpen: true, timeZone, week: {}, holidays: [] });

/** A promised update time moves by the pauses that came after the promise was made. */
function promisedDeadline(clock: SlaClock, policy: SlaPolicy, calendar: Calendar, pauses: Span[]): Computed | undefined {
  if (!clock.promisedUpdateBy) return undefined;
  const madeAt = ms(clock.updateClockFrom);
  const promised = ms(clock.promisedUpdateBy);
  const wall = wallClock(policy.timeZone);
  const moved = promised <= madeAt ? undefined : addWorkingTime(wall, madeAt, promised - madeAt, pauses);
  const at = moved?.at ?? promised;
  return {
    at,
    explain: () => {
      const counted = moved?.counted ?? [];
      const shift = at !== promised ? `, moved by the pauses since to ${localText(at, policy.timeZone)}` : '';
      return {
        ...common(at, calendar, policy, madeAt),
        method: 'promised',
        target: humanDuration(Math.max(0, promised - madeAt)),
        targetMs: Math.max(0, promised - madeAt),
        counted: counted.map((span) => ({ from: localIso(span.from, policy.timeZone), to: localIso(span.to, policy.timeZone), ms: span.to - span.from })),
        pausesSkipped: pausesWithin(wall, clock.pauses, madeAt, counted.at(-1)?.to ?? madeAt),
        holidaysSkipped: [],
        summary: `the customer was promised an update by ${localText(promised, policy.timeZone)} ${policy.timeZone} (${iso(promised)}), sooner than the cadence${shift}`,
      };
    },
  };
}

/** When the follow-up work after a resolution falls due: each wait counted from the resolution like any target. */
export function followUpSchedule(policy: SlaPolicy, severity: Severity, resolvedAt: string) {
  const calendar = calendarFor(policy, severity);
  const due = (target: SlaTarget) => iso(reachTarget(calendar, ms(resolvedAt), target).at);
  return {
    followUpAt: due(policy.followUp.after),
    recoveryCallAt: due(policy.followUp.recoveryCallAfter),
    healthCheckAt: due(policy.followUp.healthCheckAfter),
  };
}

function evaluate(severity: Severity, clock: SlaClock, policy: SlaPolicy, resolvedAt?: string) {
  const targets = policy.targets[severity];
  const calendar = calendarFor(policy, severity);
  const pauses = closedPauses(clock);
  const records = clock.pauses;
  // The acknowledgement clock ignores pauses: a case can only be paused once acknowledged.
  const acknowledge = targetDeadline(calendar, policy, { from: ms(clock.acknowledgeClockFrom ?? clock.startedAt), target: targets.acknowledgeWithin, pauses: [], records: [] });
  const cadence = targetDeadline(calendar, policy, { from: ms(clock.updateClockFrom), target: targets.updateEvery, pauses, records });
  const promised = promisedDeadline(clock, policy, calendar, pauses);
  const update = promised && promised.at < cadence.at ? promised : cadence;
  const resolve = targetDeadline(calendar, policy, { from: ms(clock.startedAt), target: targets.resolveWithin, pauses, records });
  // After the resolution nothing pauses: the follow-up counts from it with the same rule as every target.
  const followUp = resolvedAt
    ? targetDeadline(calendar, policy, { from: ms(resolvedAt), target: policy.followUp.after, pauses: [], records: [], fromLabel: 'the resolution' })
    : undefined;
  const review = resolvedAt ? reviewPolicyOf(policy) : undefined;
  const reviewBy =
    resolvedAt && review ? targetDeadline(review.calendar, policy, { from: ms(resolvedAt), target: review.within, pauses: [], records: [], fromLabel: 'the resolution' }) : undefined;
  return { acknowledgeBy: acknowledge, nextUpdateBy: update, resolveBy: resolve, ...(followUp && { followUpAt: followUp }), ...(reviewBy && { reviewBy }) };
}

/** Every deadline of the case, in UTC, counted in the severity's calendar with pauses skipped. */
export function computeDeadlines(severity: Severity, clock: SlaClock, policy: SlaPolicy, resolvedAt?: string): Deadlines {
  const computed = evaluate(severity, clock, policy, resolvedAt);
  return {
    acknowledgeBy: iso(computed.acknowledgeBy.at),
    nextUpdateBy: iso(computed.nextUpdateBy.at),
    resolveBy: iso(computed.resolveBy.at),
    ...(computed.followUpAt && { followUpAt: iso(computed.followUpAt.at) }),
    ...(computed.reviewBy && { reviewBy: iso(computed.reviewBy.at) }),
  };
}

/** Why each deadline is where it is: calendar, working stretches counted, pauses and holidays skipped. */
export function explainDeadlines(severity: Severity, clock: SlaClock, policy: SlaPolicy, resolvedAt?: string): DeadlineExplanations {
  const computed = evaluate(severity, clock, policy, resolvedAt);
  return {
    acknowledgeBy: computed.acknowledgeBy.explain(),
    nextUpdateBy: computed.nextUpdateBy.explain(),
    resolveBy: computed.resolveBy.explain(),
    ...(computed.followUpAt && { followUpAt: computed.followUpAt.explain() }),
    ...(computed.reviewBy && { reviewBy: computed.reviewBy.explain() }),
  };
}

/**
 * A target reached from `from` in the severity's calendar, pauses given back: the later checks
 * the workflow keeps (an escalation one update period after a missed update, a routing rule's
 * unresolvedFor) count exactly as the case's own deadlines do.
 */
export function afterTarget(policy: SlaPolicy, severity: Severity, clock: SlaClock, from: string, target: SlaTarget): string {
  return iso(reachTarget(calendarFor(policy, severity), ms(from), target, closedPauses(clock)).at);
}

/** Working time between two instants in the severity's calendar, pauses skipped: what the SLA clock counted. */
export function workingTimeSpent(policy: SlaPolicy, severity: Severity, clock: SlaClock, from: string, to: string): number {
  return workingTimeBetween(calendarFor(policy, severity), ms(from), ms(to), closedPauses(clock));
}

/** A customer update (or acknowledgement, or reopening) restarts the update cadence; an old promise is spent. */
export function restartUpdateClock(clock: SlaClock, now: Date, promisedUpdateBy?: string): SlaClock {
  const { promisedUpdateBy: _spent, ...rest } = clock;
  return { ...rest, updateClockFrom: now.toISOString(), ...(promisedUpdateBy && { promisedUpdateBy }) };
}

/** Stops the clock and opens a pause record. Deadlines stay as they are until the clock resumes. */
export function pauseClock(clock: SlaClock, now: Date, record: { by?: string; reason?: string } = {}): SlaClock {
  if (clock.pausedSince) return clock;
  const from = now.toISOString();
  return { ...clock, pausedSince: from, pauses: [...clock.pauses, { from, ...(record.by && { by: record.by }), ...(record.reason && { reason: record.reason }) }] };
}

/** Restarts the clock and closes the pause; running deadlines then skip it. */
export function resumeClock(clock: SlaClock, now: Date, resumedBy?: string): { clock: SlaClock; pausedForMs: number; pause?: PauseRecord } {
  if (!clock.pausedSince) return { clock, pausedForMs: 0 };
  const pausedForMs = Math.max(0, now.getTime() - ms(clock.pausedSince));
  const to = iso(ms(clock.pausedSince) + pausedForMs);
  const open = clock.pauses.at(-1);
  const pause: PauseRecord = { ...(open && !open.to ? open : { from: clock.pausedSince }), to, ...(resumedBy && { resumedBy }) };
  const pauses = open && !open.to ? [...clock.pauses.slice(0, -1), pause] : [...clock.pauses, pause];
  const { pausedSince: _ended, ...running } = clock;
  return { clock: { ...running, pauses, pausedMs: clock.pausedMs + pausedForMs }, pausedForMs, pause };
}

/** The deadline the workflow must act on next, or none when nothing is running. */
export function nextPendingDeadline(status: Status, deadlines: Deadlines): string | undefined {
  switch (status) {
    case 'open':
      return earliest(deadlines.acknowledgeBy, deadlines.resolveBy);
    case 'acknowledged':
    case 'in_progress':
      return earliest(deadlines.nextUpdateBy, deadlines.resolveBy);
    case 'resolved':
      return deadlines.followUpAt;
    default:
      return undefined;
  }
}

function earliest(...instants: string[]): string {
  return instants.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}
