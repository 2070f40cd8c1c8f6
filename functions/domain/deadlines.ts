import {
  addWorkingTime,
  describeHours,
  holidaysBetween,
  localIso,
  localText,
  nextOpenInstant,
  workingTimeBetween,
  type Calendar,
  type Span,
} from './business-calendar';
import { calendarFor, type SlaPolicy } from './sla-policy';
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
  pauses?: PauseRecord[];
  /**
   * Paused time of a clock recorded before pauses were kept as records: the resolution
   * clock is credited with it as a lump. Absent on clocks that started with records.
   */
  legacyPausedMs?: number;
}

export interface Deadlines {
  acknowledgeBy: string;
  nextUpdateBy: string;
  resolveBy: string;
  followUpAt?: string;
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
  /** working_time: the target counted in the calendar's working time; promised: a sooner update promised to the customer; after_resolution: a fixed wait after resolving, moved to the next working moment. */
  method: 'working_time' | 'promised' | 'after_resolution';
  /** Where the count starts (intake, acknowledgement clock, last update, resolution). */
  countedFrom: string;
  countedFromLocal: string;
  /** The target: "4h", "72h", "24h". */
  target: string;
  targetMs: number;
  /** The working stretches counted, in the calendar's zone; they add up to the target. */
  counted: { from: string; to: string; ms: number }[];
  /** Pauses that fell in the counted window, and how much working time each took out. */
  pausesSkipped: { from: string; to: string; workingMs: number; by?: string; reason?: string }[];
  /** Holidays in the window that would have been working days. */
  holidaysSkipped: string[];
  /** Paused time recorded before pauses were kept as records, added to the target as a lump. */
  legacyPausedMs?: number;
  /** after_resolution: the wall-clock instant before it was moved into working hours. */
  dueBeforeWorkingHours?: string;
  summary: string;
}
export type DeadlineExplanations = Record<Exclude<DeadlineName, 'followUpAt'>, DeadlineExplanation> & { followUpAt?: DeadlineExplanation };

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (instant: string) => Date.parse(instant);

/** 90 min → "1h 30m"; 72 h → "72h". Working time reads better in hours than in days. */
export function humanDuration(millis: number): string {
  const minutes = Math.round(millis / 60_000);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest}m`;
  return rest ? `${hours}h ${rest}m` : `${hours}h`;
}

/** The closed pauses as spans; the open one does not count until the clock resumes. */
export function closedPauses(clock: SlaClock): Span[] {
  return (clock.pauses ?? []).filter((pause) => pause.to !== undefined).map((pause) => ({ from: ms(pause.from), to: Math.max(ms(pause.from), ms(pause.to!)) }));
}

/** Paused time of a clock recorded before pause records, credited to the resolution clock. */
export function legacyCredit(clock: SlaClock): number {
  return clock.legacyPausedMs ?? (clock.pauses ? 0 : clock.pausedMs);
}

/** The wall clock (a promise to a customer is a time, not an amount of working time). */
const wallClock = (timeZone: string): Calendar => ({ name: 'wall clock', alwaysOpen: true, timeZone, week: {}, holidays: [] });

interface Computed {
  at: number;
  explain: () => DeadlineExplanation;
}

function workingTimeDeadline(
  calendar: Calendar,
  policy: SlaPolicy,
  from: number,
  target: number,
  pauses: Span[],
  records: PauseRecord[],
  extra: number = 0,
): Computed {
  const result = addWorkingTime(calendar, from, target + extra, pauses);
  return {
    at: result.at,
    explain: () => {
      const counted = result.counted.map((span) => ({ from: localIso(span.from, calendar.timeZone), to: localIso(span.to, calendar.timeZone), ms: span.to - span.from }));
      const pausesSkipped = records
        .filter((pause) => pause.to !== undefined && ms(pause.to) > from && ms(pause.from) < result.at)
        .map((pause) => {
          const span = { from: Math.max(from, ms(pause.from)), to: Math.min(result.at, ms(pause.to!)) };
          return {
            from: localIso(span.from, calendar.timeZone),
            to: localIso(span.to, calendar.timeZone),
            workingMs: workingTimeBetween(calendar, span.from, span.to),
            ...(pause.by && { by: pause.by }),
            ...(pause.reason && { reason: pause.reason }),
          };
        });
      const holidaysSkipped = holidaysBetween(calendar, from, result.at);
      const stretch = (span: Span) => {
        const [start, end] = [localText(span.from, calendar.timeZone), localText(span.to, calendar.timeZone)];
        return `${start}–${start.slice(0, -5) === end.slice(0, -5) ? end.slice(-5) : end} (${humanDuration(span.to - span.from)})`;
      };
      const all = result.counted;
      const shown = all.length > 6 ? [...all.slice(0, 3).map(stretch), `… ${all.length - 5} more …`, ...all.slice(-2).map(stretch)] : all.map(stretch);
      const summary = [
        `${humanDuration(target)} of working time on calendar "${calendar.name}" (${describeHours(calendar)}, ${calendar.timeZone}) from ${localText(from, calendar.timeZone)}`,
        extra ? `, plus ${humanDuration(extra)} paused before pauses were recorded` : '',
        `: counted ${shown.join(', ') || 'nothing'}`,
        pausesSkipped.length ? `; skipped ${pausesSkipped.length} pause(s) (${humanDuration(pausesSkipped.reduce((sum, pause) => sum + pause.workingMs, 0))} of working time)` : '',
        holidaysSkipped.length ? `; skipped holiday(s) ${holidaysSkipped.join(', ')}` : '',
        ` → ${localText(result.at, policy.timeZone)} ${policy.timeZone} (${iso(result.at)})`,
      ].join('');
      return {
        ...common(result.at, calendar, policy, from),
        method: 'working_time',
        target: humanDuration(target),
        targetMs: target,
        counted,
        pausesSkipped,
        holidaysSkipped,
        ...(extra > 0 ? { legacyPausedMs: extra } : {}),
        summary,
      };
    },
  };
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

/** A promised update time moves by the pauses that came after the promise was made. */
function promisedDeadline(clock: SlaClock, policy: SlaPolicy, calendar: Calendar, pauses: Span[]): Computed | undefined {
  if (!clock.promisedUpdateBy) return undefined;
  const madeAt = ms(clock.updateClockFrom);
  const promised = ms(clock.promisedUpdateBy);
  const wall = wallClock(policy.timeZone);
  const inner = promised <= madeAt ? undefined : workingTimeDeadline(wall, policy, madeAt, promised - madeAt, pauses, clock.pauses ?? []);
  const at = inner?.at ?? promised;
  return {
    at,
    explain: () => {
      const detail = inner?.explain();
      const moved = at !== promised ? `, moved by the pauses since to ${localText(at, policy.timeZone)}` : '';
      return {
        ...common(at, calendar, policy, madeAt),
        method: 'promised',
        target: humanDuration(Math.max(0, promised - madeAt)),
        targetMs: Math.max(0, promised - madeAt),
        counted: detail?.counted ?? [],
        pausesSkipped: detail?.pausesSkipped ?? [],
        holidaysSkipped: [],
        summary: `the customer was promised an update by ${localText(promised, policy.timeZone)} ${policy.timeZone} (${iso(promised)}), sooner than the cadence${moved}`,
      };
    },
  };
}

/** When the follow-up work after a resolution falls due: a wait, then the next working moment. */
export function followUpSchedule(policy: SlaPolicy, severity: Severity, resolvedAt: string) {
  const calendar = calendarFor(policy, severity);
  const resolved = ms(resolvedAt);
  const due = (after: number) => iso(nextOpenInstant(calendar, resolved + after));
  return {
    followUpAt: due(policy.followUp.after),
    recoveryCallAt: due(policy.followUp.recoveryCallAfter),
    healthCheckAt: due(policy.followUp.healthCheckAfter),
  };
}

function followUpDeadline(policy: SlaPolicy, calendar: Calendar, resolvedAt: string): Computed {
  const resolved = ms(resolvedAt);
  const wallDue = resolved + policy.followUp.after;
  const at = nextOpenInstant(calendar, wallDue);
  return {
    at,
    explain: () => ({
      ...common(at, calendar, policy, resolved),
      method: 'after_resolution',
      target: humanDuration(policy.followUp.after),
      targetMs: policy.followUp.after,
      counted: [],
      pausesSkipped: [],
      holidaysSkipped: [],
      ...(at !== wallDue && { dueBeforeWorkingHours: iso(wallDue) }),
      summary:
        `${humanDuration(policy.followUp.after)} after the resolution (${localText(resolved, policy.timeZone)})` +
        (at !== wallDue ? `, moved to the next working moment of calendar "${calendar.name}" (${describeHours(calendar)}, ${calendar.timeZone})` : '') +
        ` → ${localText(at, policy.timeZone)} ${policy.timeZone} (${iso(at)})`,
    }),
  };
}

function evaluate(severity: Severity, clock: SlaClock, policy: SlaPolicy, resolvedAt?: string) {
  const targets = policy.targets[severity];
  const calendar = calendarFor(policy, severity);
  const pauses = closedPauses(clock);
  const records = clock.pauses ?? [];
  // The acknowledgement clock ignores pauses: a case can only be paused once acknowledged.
  const acknowledge = workingTimeDeadline(calendar, policy, ms(clock.acknowledgeClockFrom ?? clock.startedAt), targets.acknowledgeWithin, [], []);
  const cadence = workingTimeDeadline(calendar, policy, ms(clock.updateClockFrom), targets.updateEvery, pauses, records);
  const promised = promisedDeadline(clock, policy, calendar, pauses);
  const update = promised && promised.at < cadence.at ? promised : cadence;
  const resolve = workingTimeDeadline(calendar, policy, ms(clock.startedAt), targets.resolveWithin, pauses, records, legacyCredit(clock));
  const followUp = resolvedAt ? followUpDeadline(policy, calendar, resolvedAt) : undefined;
  return { acknowledgeBy: acknowledge, nextUpdateBy: update, resolveBy: resolve, ...(followUp && { followUpAt: followUp }) };
}

/** Every deadline of the case, in UTC, counted in the severity's calendar with pauses skipped. */
export function computeDeadlines(severity: Severity, clock: SlaClock, policy: SlaPolicy, resolvedAt?: string): Deadlines {
  const computed = evaluate(severity, clock, policy, resolvedAt);
  return {
    acknowledgeBy: iso(computed.acknowledgeBy.at),
    nextUpdateBy: iso(computed.nextUpdateBy.at),
    resolveBy: iso(computed.resolveBy.at),
    ...(computed.followUpAt && { followUpAt: iso(computed.followUpAt.at) }),
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
  };
}

/** `amountMs` of the severity's working time after `from`, pauses skipped (later deadlines the workflow keeps). */
export function afterWorkingTime(policy: SlaPolicy, severity: Severity, clock: SlaClock, from: string, amountMs: number): string {
  return iso(addWorkingTime(calendarFor(policy, severity), ms(from), amountMs, closedPauses(clock)).at);
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

/** A clock stored before pauses were records gets a list; its earlier paused time stays credited as a lump. */
function withRecords(clock: SlaClock): SlaClock & { pauses: PauseRecord[] } {
  if (clock.pauses) return clock as SlaClock & { pauses: PauseRecord[] };
  return { ...clock, pauses: clock.pausedSince ? [{ from: clock.pausedSince }] : [], legacyPausedMs: clock.pausedMs };
}

/** Stops the clock and opens a pause record. Deadlines stay as they are until the clock resumes. */
export function pauseClock(clock: SlaClock, now: Date, record: { by?: string; reason?: string } = {}): SlaClock {
  if (clock.pausedSince) return clock;
  const from = now.toISOString();
  const recorded = withRecords(clock);
  return { ...recorded, pausedSince: from, pauses: [...recorded.pauses, { from, ...(record.by && { by: record.by }), ...(record.reason && { reason: record.reason }) }] };
}

/** Restarts the clock and closes the pause; running deadlines then skip it. */
export function resumeClock(clock: SlaClock, now: Date, resumedBy?: string): { clock: SlaClock; pausedForMs: number; pause?: PauseRecord } {
  if (!clock.pausedSince) return { clock, pausedForMs: 0 };
  const pausedForMs = Math.max(0, now.getTime() - ms(clock.pausedSince));
  const recorded = withRecords(clock);
  const to = iso(ms(clock.pausedSince) + pausedForMs);
  const open = recorded.pauses.at(-1);
  const pause: PauseRecord = { ...(open && !open.to ? open : { from: clock.pausedSince }), to, ...(resumedBy && { resumedBy }) };
  const pauses = open && !open.to ? [...recorded.pauses.slice(0, -1), pause] : [...recorded.pauses, pause];
  const { pausedSince: _ended, ...running } = recorded;
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
