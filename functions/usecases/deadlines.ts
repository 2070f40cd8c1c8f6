import { performCheck, planNext, scheduledChecks, type CheckAction, type Phase, type ScheduledCheck } from '../domain/deadline-checks';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Status } from '../domain/vocabulary';
import { recordMetrics, type Dependencies } from './escalations';
import { executionName } from '../ports/workflow';
import { VersionConflictError } from './errors';
import { deliverPendingEmails } from './outbox';

// The workflow's tasks. Each is idempotent: run twice, it acts once and sends each email once.

/**
 * A Standard execution keeps at most 25,000 history events; one loop (review, wait, act)
 * writes about 15. Past this many loops the execution hands over to a fresh generation.
 */
export const MAX_ITERATIONS_PER_EXECUTION = 500;
const MAX_WRITE_ATTEMPTS = 5;

export interface ReviewInput {
  caseId: string;
  generation: number;
  iteration?: number;
}

export interface ReviewResult {
  phase: Phase | 'superseded';
  /** The check to act on when the Wait ends (or at once), or stop. */
  next: CheckAction | 'stop';
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
    await rearm(deps, escalation, 'execution history limit: continued in a new generation');
    return stop('superseded');
  }
  const plan = planNext(escalation, now, deps.playbook);
  const check = plan.due ?? plan.upcoming;
  if (!check) return stop(plan.phase);
  return { phase: plan.phase, next: check.action, wakeAt: plan.due ? now.toISOString() : check.at, check, iteration };
}

export interface ActInput {
  caseId: string;
  generation: number;
  checkKey: string;
  iteration?: number | undefined;
}

/**
 * Performs the named check if it is still due, sends what the case owes, and returns the
 * next plan from the case as written: no second read between a deadline and the next wait.
 */
export async function actOnDeadline(deps: Dependencies, input: ActInput): Promise<ReviewResult> {
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const escalation = await deps.repository.get(input.caseId);
    if (!escalation || escalation.generation !== input.generation) return nextStep(deps, escalation, input);
    const now = deps.now();
    const check = scheduledChecks(escalation, deps.playbook).find((candidate) => candidate.key === input.checkKey);
    // Gone (a retry after it ran, or the case changed) or not yet due: only owed emails are left to send.
    if (!check || Date.parse(check.at) > now.getTime()) {
      await deliverPendingEmails(deps, input.caseId);
      return nextStep(deps, escalation, input);
    }
    const outcome = performCheck(escalation, check, now, deps.playbook);
    for (const notification of outcome.notifications) {
      if (notification.template === 'satisfaction_follow_up') notification.data.surveyLinks = await deps.survey.linksFor(escalation.id, now);
    }
    try {
      await deps.repository.save(outcome, escalation.version);
    } catch (error) {
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
    recordCheckMetrics(deps, check, now, outcome);
    // The emails this act queued (the table's stream races to send them too; each goes once),
    // and any an earlier attempt left pending.
    await deliverPendingEmails(deps, input.caseId);
    return nextStep(deps, outcome.next, input);
  }
  throw new VersionConflictError(`escalation ${input.caseId} kept changing; the task will be retried`);
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

/** The workflow's Catch lands here: the case timeline says what failed, and the alarm counts it. */
export async function recordWorkflowFailure(deps: Dependencies, input: FailureInput) {
  deps.metrics.record('WorkflowFailures', 1, 'Count');
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const escalation = await deps.repository.get(input.caseId);
    if (!escalation) return;
    const now = deps.now().toISOString();
    const event: TimelineEvent = {
      type: 'workflow_failed',
      at: now,
      actor: 'workflow',
      summary: `deadline work failed after retries: ${input.failure?.Error ?? 'unknown error'}`,
      data: { generation: input.generation, error: input.failure?.Error, cause: input.failure?.Cause?.slice(0, 2000) },
    };
    try {
      await deps.repository.save({ next: { ...escalation, version: escalation.version + 1, updatedAt: now }, events: [event] }, escalation.version);
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

/**
 * Moves the case to its next generation; the table's stream starts that generation's
 * execution (and stops this one, which would find itself stale anyway).
 */
async function rearm(deps: Dependencies, escalation: Escalation, reason: string): Promise<Escalation> {
  const now = deps.now().toISOString();
  const next = { ...escalation, version: escalation.version + 1, generation: escalation.generation + 1, updatedAt: now };
  await deps.repository.save(
    { next, events: [{ type: 'workflow_rearmed', at: now, actor: 'workflow', summary: reason, data: { generation: next.generation } }] },
    escalation.version,
  );
  return next;
}

const WATCHED_STATUSES: Status[] = ['open', 'acknowledged', 'in_progress', 'resolved'];

/**
 * The daily sweep: every case with a deadline still pending must have a running workflow.
 * One listing of the running executions, one Query per status (no Scan, no call per case);
 * a case whose execution is gone gets a new generation.
 */
export async function reconcileWorkflows(deps: Dependencies): Promise<{ checked: number; rearmed: string[] }> {
  const rearmed: string[] = [];
  let checked = 0;
  const running = new Set<string>();
  for await (const name of deps.workflow.runningExecutions()) running.add(name);
  for (const status of WATCHED_STATUSES) {
    let cursor: string | undefined;
    do {
      const page = await deps.repository.list({ status }, { limit: 100, cursor }, deps.now());
      for (const escalation of page.items) {
        checked++;
        await deliverPendingEmails(deps, escalation.id).catch((error) => deps.log.warn('pending email still failing', { caseId: escalation.id, error: String(error) }));
        if (running.has(executionName(escalation.id, escalation.generation))) continue;
        try {
          const next = await rearm(deps, escalation, 'reconciliation: the workflow was missing');
          // Started here too (idempotent): the sweep must heal even when the stream is what failed.
          await deps.workflow.start(next.id, next.generation);
          rearmed.push(escalation.id);
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  if (rearmed.length) deps.metrics.record('WorkflowsRearmed', rearmed.length, 'Count');
  return { checked, rearmed };
}
