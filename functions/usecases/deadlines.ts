import type { Backoff } from '../domain/backoff';
import { performCheck, planNext, scheduledChecks, type CheckAction, type Phase, type ScheduledCheck } from '../domain/deadline-checks';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Status } from '../domain/vocabulary';
import { nextRecovery } from '../domain/workflow-recovery';
import { isVersionConflict } from '../ports/errors';
import { executionName, type ExecutionStatus } from '../ports/workflow';
import { retrying } from '../support/retrying';
import { recordMetrics } from './escalations';
import type { Dependencies } from '../ports/dependencies';

// The workflow's tasks and what keeps every open case's workflow alive. Each task is
// idempotent: run twice, it acts once. Emails are never sent here: a task writes what the
// case owes into the outbox with its change, and usecases/outbox.ts delivers it, so an SES
// outage can neither fail a deadline action nor end a workflow.

/**
 * A Standard execution keeps at most 25,000 history events; one loop (review, wait, act)
 * writes about 15. Past this many loops the execution hands over to a fresh generation.
 */
export const MAX_ITERATIONS_PER_EXECUTION = 500;

/** A task racing an API write on the same case re-reads and re-decides; after this many tries Step Functions retries the task. */
const TASK_WRITE_ATTEMPTS = 8;
const TASK_WRITE_BACKOFF: Backoff = { baseMs: 20, capMs: 500, jitter: 'full' };

/**
 * Step Functions reads a Wait state's timestamp to the second and drops the milliseconds, so
 * a Wait on 10:00:00.400 ends at 10:00:00.000, before the deadline: the act would find its
 * check not yet due and loop. Every instant a Wait reads is rounded up to the whole second.
 */
export const wakeInstant = (iso: string) => new Date(Math.ceil(Date.parse(iso) / 1000) * 1000).toISOString();

/** A re-armed execution that must wait before it acts (functions/domain/workflow-recovery.ts). */
export const WAIT_BEFORE_RETRYING = 'resume_after_backoff';

export interface ReviewInput {
  caseId: string;
  generation: number;
  iteration?: number;
}

export interface ReviewResult {
  phase: Phase | 'superseded';
  /** The check to act on when the Wait ends (or at once), a wait after a failure, or stop. */
  next: CheckAction | typeof WAIT_BEFORE_RETRYING | 'stop';
  /** When that check is due (now, if it already is): the Wait state reads it. */
  wakeAt: string;
  check: ScheduledCheck | null;
  iteration: number;
}

/** The workflow's first step: read the case and plan. Every act step returns the next plan too. */
export async function reviewDeadlines(deps: Dependencies, input: ReviewInput): Promise<ReviewResult> {
  return nextStep(deps, await deps.repository.get(input.caseId), input);
}

/**
 * What the workflow does next with this case: wait for its earliest check and go straight to
 * that check's state, or stop (paused, finished, or a newer generation owns the case).
 */
async function nextStep(deps: Dependencies, escalation: Escalation | undefined, input: { generation: number; iteration?: number | undefined }): Promise<ReviewResult> {
  const now = deps.now();
  const iteration = (input.iteration ?? 0) + 1;
  const stop = (phase: ReviewResult['phase']): ReviewResult => ({ phase, next: 'stop', wakeAt: now.toISOString(), check: null, iteration });
  if (!escalation || escalation.generation !== input.generation) return stop('superseded');
  if (iteration > MAX_ITERATIONS_PER_EXECUTION) {
    await rearm(deps, escalation.id, input.generation, () => ({ reason: 'execution history limit: continued in a new generation' }));
    return stop('superseded');
  }
  const plan = planNext(escalation, now, deps.playbook);
  const notBefore = escalation.workflowRecovery?.notBefore;
  if (notBefore && Date.parse(notBefore) > now.getTime() && plan.phase !== 'finished' && plan.phase !== 'paused') {
    return { phase: plan.phase, next: WAIT_BEFORE_RETRYING, wakeAt: wakeInstant(notBefore), check: null, iteration };
  }
  const check = plan.due ?? plan.upcoming;
  if (!check) return stop(plan.phase);
  return { phase: plan.phase, next: check.action, wakeAt: plan.due ? now.toISOString() : wakeInstant(check.at), check, iteration };
}

export interface ActInput {
  caseId: string;
  generation: number;
  checkKey: string;
  iteration?: number | undefined;
}

/**
 * Performs the named check if it is still due and returns the next plan from the case as
 * written: no second read between a deadline and the next wait. The emails the act owes are
 * written with it (the outbox); the table's stream sends them.
 */
export async function actOnDeadline(deps: Dependencies, input: ActInput): Promise<ReviewResult> {
  return retrying(
    async () => {
      const escalation = await deps.repository.get(input.caseId);
      if (!escalation || escalation.generation !== input.generation) return nextStep(deps, escalation, input);
      const now = deps.now();
      const check = scheduledChecks(escalation, deps.playbook).find((candidate) => candidate.key === input.checkKey);
      // Gone (a retry after it ran, or the case changed) or not yet due: plan again.
      if (!check || Date.parse(check.at) > now.getTime()) return nextStep(deps, escalation, input);
      const outcome = performCheck(escalation, check, now, deps.playbook);
      for (const notification of outcome.notifications) {
        if (notification.template === 'satisfaction_follow_up') notification.data.surveyLinks = await deps.survey.linksFor(escalation.id, now);
      }
      // Every item stored with the closed case gets its deletion date first; a retry after a crash
      // finds the check still due and sets the dates again, which is harmless.
      if (check.action === 'schedule_deletion' && escalation.retainUntil) await deps.repository.scheduleDeletion(escalation.id, escalation.retainUntil);
      await deps.repository.save(outcome, escalation.version);
      recordCheckMetrics(deps, check, now, outcome);
      return nextStep(deps, outcome.next, input);
    },
    { backoff: TASK_WRITE_BACKOFF, maxAttempts: TASK_WRITE_ATTEMPTS, random: deps.random, retryable: isVersionConflict },
  );
}

function recordCheckMetrics(deps: Dependencies, check: ScheduledCheck, now: Date, outcome: Change) {
  deps.metrics.record('DeadlineLag', now.getTime() - Date.parse(check.at), 'Milliseconds', { kind: check.kind });
  recordMetrics(deps, outcome);
}

export interface FailureInput {
  caseId: string;
  generation: number;
  failure?: { Error?: string; Cause?: string };
}

/**
 * The workflow's Catch lands here: the case timeline says what failed, and in the same write
 * the case moves to a new generation whose execution (started from the table's stream) picks
 * the deadlines up again, at once the first time and with growing waits if it keeps failing.
 */
export async function recordWorkflowFailure(deps: Dependencies, input: FailureInput) {
  deps.metrics.record('WorkflowFailures', 1, 'Count');
  const rearmed = await rearm(deps, input.caseId, input.generation, () => ({
    reason: `deadline work failed after retries: ${input.failure?.Error ?? 'unknown error'}`,
    failure: { error: input.failure?.Error, cause: input.failure?.Cause?.slice(0, 2000) },
  }));
  if (rearmed) deps.metrics.record('WorkflowsRearmed', 1, 'Count', { cause: 'task_failed' });
}

/** What an execution of ours ended as, from Step Functions' status-change event (EventBridge on AWS). */
export interface ExecutionEnded {
  caseId: string;
  generation: number;
  status: ExecutionStatus;
}

/**
 * An execution failed, timed out or was stopped. If it still owned an open case (same
 * generation, something still pending), the case is re-armed within minutes instead of
 * waiting for the daily sweep. Executions we stopped ourselves (superseded, finished) own
 * nothing any more and are left alone.
 */
export async function rearmAfterExecutionEnded(deps: Dependencies, ended: ExecutionEnded) {
  const rearmed = await rearm(deps, ended.caseId, ended.generation, () => ({ reason: `the workflow execution ended ${ended.status.toLowerCase()} with deadlines still pending` }));
  if (rearmed) deps.metrics.record('WorkflowsRearmed', 1, 'Count', { cause: ended.status.toLowerCase() });
  return { rearmed };
}

/**
 * Moves the case on from `generation` to the next one; the table's stream starts that
 * generation's execution (and stops the old one). Nothing happens when the case has moved on
 * already or has nothing left to watch. Returns whether it re-armed.
 */
async function rearm(deps: Dependencies, caseId: string, generation: number, why: () => { reason: string; failure?: Record<string, unknown> }): Promise<boolean> {
  return retrying(
    async () => {
      const escalation = await deps.repository.get(caseId);
      const now = deps.now();
      const { reason, failure } = why();
      if (!escalation || escalation.generation !== generation) return false;
      const watched = hasPendingCheck(deps, escalation, now);
      const at = now.toISOString();
      const events: TimelineEvent[] = [];
      if (failure) {
        events.push({ type: 'workflow_failed', at, actor: 'workflow', summary: reason, data: { generation, ...failure } });
      }
      if (!watched) {
        if (!events.length) return false;
        await deps.repository.save({ next: { ...escalation, version: escalation.version + 1, updatedAt: at }, events }, escalation.version);
        return false;
      }
      const workflowRecovery = nextRecovery(escalation.workflowRecovery, now, deps.random());
      const next: Escalation = { ...escalation, version: escalation.version + 1, generation: generation + 1, updatedAt: at, workflowRecovery };
      const resumes = workflowRecovery.notBefore ? `; it acts from ${workflowRecovery.notBefore} (re-arm ${workflowRecovery.attempts} in a row)` : '';
      events.push({
        type: 'workflow_rearmed',
        at,
        actor: 'workflow',
        summary: `${failure ? 're-armed' : reason}: generation ${next.generation} takes over${resumes}`,
        data: { generation: next.generation, previousGeneration: generation, attempts: workflowRecovery.attempts, ...(workflowRecovery.notBefore && { notBefore: workflowRecovery.notBefore }) },
      });
      await deps.repository.save({ next, events }, escalation.version);
      return true;
    },
    { backoff: TASK_WRITE_BACKOFF, maxAttempts: TASK_WRITE_ATTEMPTS, random: deps.random, retryable: isVersionConflict },
  );
}

/** Whether the case's workflow has anything left to wait for (a paused clock waits for the resume instead). */
function hasPendingCheck(deps: Dependencies, escalation: Escalation, now: Date): boolean {
  const plan = planNext(escalation, now, deps.playbook);
  return plan.phase !== 'paused' && (plan.due !== undefined || plan.upcoming !== undefined);
}

const WATCHED_STATUSES: Status[] = ['open', 'acknowledged', 'in_progress', 'resolved'];

/**
 * The daily sweep, the last line behind the stream and the re-arm on failed executions: every
 * case with a deadline still pending must have its execution. One listing of the running
 * executions, one Query per status (no Scan). A case whose current execution is not running
 * is looked at alone: never started (a start lost, or still in flight) → started under the
 * same name, which is idempotent; ended → re-armed in a new generation.
 */
export async function reconcileWorkflows(deps: Dependencies): Promise<{ checked: number; started: string[]; rearmed: string[] }> {
  const started: string[] = [];
  const rearmed: string[] = [];
  let checked = 0;
  const running = new Set<string>();
  for await (const name of deps.workflow.runningExecutions()) running.add(name);
  for (const status of WATCHED_STATUSES) {
    let cursor: string | undefined;
    do {
      const page = await deps.repository.list({ statuses: [status] }, { limit: 100, cursor }, deps.now());
      for (const escalation of page.items) {
        checked++;
        if (running.has(executionName(escalation.id, escalation.generation))) continue;
        if (!hasPendingCheck(deps, escalation, deps.now())) continue;
        const state = await deps.workflow.describe(escalation.id, escalation.generation);
        // Started after the listing (a new case, a change): running now, nothing to do.
        if (state === 'RUNNING' || state === 'PENDING_REDRIVE') continue;
        if (state === undefined) {
          // Same name, same input: if the stream is starting it this very moment, both starts are one.
          await deps.workflow.start(escalation.id, escalation.generation);
          started.push(escalation.id);
          continue;
        }
        if (await rearm(deps, escalation.id, escalation.generation, () => ({ reason: `reconciliation: the workflow had ended (${state.toLowerCase()})` }))) {
          rearmed.push(escalation.id);
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  if (started.length) deps.metrics.record('WorkflowsStartedBySweep', started.length, 'Count');
  if (rearmed.length) deps.metrics.record('WorkflowsRearmed', rearmed.length, 'Count', { cause: 'sweep' });
  return { checked, started, rearmed };
}
