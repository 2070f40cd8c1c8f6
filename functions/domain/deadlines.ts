import type { Playbook } from '../playbook/schema';
import type { Severity, Status } from './vocabulary';

/**
 * What the SLA clock remembers. Deadlines are derived from it, never edited by hand,
 * so a severity change or a pause can always recompute them from first principles.
 */
export interface SlaClock {
  /** Intake: the resolution clock runs from here. */
  startedAt: string;
  /** The acknowledgement clock: intake, or the moment the case climbed to a new tier unacknowledged. */
  acknowledgeClockFrom?: string;
  /** The update clock runs from the last customer communication, moved on by pauses since. */
  updateClockFrom: string;
  /** An update time promised to the customer that is sooner than the cadence. */
  promisedUpdateBy?: string;
  /** Total paused time; the resolution deadline moves by exactly this much. */
  pausedMs: number;
  /** Set while waiting on the customer. */
  pausedSince?: string;
}

export interface Deadlines {
  acknowledgeBy: string;
  nextUpdateBy: string;
  resolveBy: string;
  followUpAt?: string;
}

const at = (iso: string, plusMs: number) => new Date(Date.parse(iso) + plusMs).toISOString();

export function computeDeadlines(severity: Severity, clock: SlaClock, playbook: Playbook, resolvedAt?: string): Deadlines {
  const targets = playbook.severities[severity];
  const deadlines: Deadlines = {
    acknowledgeBy: at(clock.acknowledgeClockFrom ?? clock.startedAt, targets.acknowledgeWithin),
    nextUpdateBy: earliest(at(clock.updateClockFrom, targets.updateEvery), ...(clock.promisedUpdateBy ? [clock.promisedUpdateBy] : [])),
    resolveBy: at(clock.startedAt, targets.resolveWithin + clock.pausedMs),
  };
  if (resolvedAt) deadlines.followUpAt = at(resolvedAt, playbook.followUp.after);
  return deadlines;
}

/** A customer update (or acknowledgement, or reopening) restarts the update cadence; an old promise is spent. */
export function restartUpdateClock(clock: SlaClock, now: Date, promisedUpdateBy?: string): SlaClock {
  const { promisedUpdateBy: _spent, ...rest } = clock;
  return { ...rest, updateClockFrom: now.toISOString(), ...(promisedUpdateBy && { promisedUpdateBy }) };
}

/** Stops the clock. Deadlines stay as they are until the clock resumes. */
export function pauseClock(clock: SlaClock, now: Date): SlaClock {
  if (clock.pausedSince) return clock;
  return { ...clock, pausedSince: now.toISOString() };
}

/** Restarts the clock; every running deadline moves later by the length of the pause. */
export function resumeClock(clock: SlaClock, now: Date): { clock: SlaClock; pausedForMs: number } {
  if (!clock.pausedSince) return { clock, pausedForMs: 0 };
  const pausedForMs = Math.max(0, now.getTime() - Date.parse(clock.pausedSince));
  const { pausedSince: _ended, ...running } = clock;
  return {
    clock: {
      ...running,
      pausedMs: clock.pausedMs + pausedForMs,
      updateClockFrom: at(clock.updateClockFrom, pausedForMs),
      ...(clock.promisedUpdateBy && { promisedUpdateBy: at(clock.promisedUpdateBy, pausedForMs) }),
    },
    pausedForMs,
  };
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
