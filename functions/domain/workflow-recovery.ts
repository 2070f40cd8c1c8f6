import { backoffDelay, type Backoff } from './backoff';

// A case whose workflow execution failed, timed out or was stopped while deadlines were still
// pending gets a new execution (a new generation). If it fails again and again, each new one
// waits longer before it acts, so a persistent fault costs little and a passing one heals fast.

/** The first re-arm acts at once; the next ones wait 1 min, 2, 4, … up to an hour. */
export const REARM_BACKOFF: Backoff = { baseMs: 60_000, capMs: 3_600_000, jitter: 'equal' };

/** Re-arms more than this far apart start counting from one again. */
export const REARM_MEMORY_MS = 24 * 3_600_000;

export interface WorkflowRecovery {
  /** Re-arms in a row (none more than REARM_MEMORY_MS after the one before). */
  attempts: number;
  lastAt: string;
  /** The new execution waits until this instant before it acts (absent: at once). */
  notBefore?: string;
}

export function nextRecovery(previous: WorkflowRecovery | undefined, now: Date, random: number): WorkflowRecovery {
  const recent = previous !== undefined && now.getTime() - Date.parse(previous.lastAt) < REARM_MEMORY_MS;
  const attempts = recent ? previous.attempts + 1 : 1;
  const lastAt = now.toISOString();
  if (attempts === 1) return { attempts, lastAt };
  return { attempts, lastAt, notBefore: new Date(now.getTime() + backoffDelay(attempts - 1, REARM_BACKOFF, random)).toISOString() };
}
