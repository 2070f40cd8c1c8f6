import { performCheck, planNext, scheduledChecks, type CheckAction, type Phase, type ScheduledCheck } from '../domain/deadline-checks';
import type { Change, Escalation, TimelineEvent } from '../domain/escalation';
import type { Status } from '../domain/vocabulary';
import { recordMetrics, type Dependencies } from './escalations';
import { VersionConflictError } from './errors';
import { claimedBy, deliverPendingEmails, sendClaimed } from './outbox';

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
  /** The action the state machine routes to, or sleep / stop. */
  next: CheckAction | 'sleep' | 'stop';
  /** Always an instant, so the Wait state can read it; only meaningful with next = sleep. */
  wakeAt: string;
  check: ScheduledCheck | null;
  iteration: number;
}

export async function reviewDeadlines(deps: Dependencies, input: ReviewInput): Promise<ReviewResult> {
  const now = deps.now();
  const iteration = (input.iteration ?? 0) + 1;
  const stop = (phase: ReviewResult['phase']): ReviewResult => ({ phase, next: 'stop', wakeAt: now.toISOString(), check: null, iteration });
  const escalation = await deps.repository.get(input.caseId);
  if (!escalation || escalation.generation !== input.generation) return stop('superseded');
  if (iteration > MAX_ITERATIONS_PER_EXECUTION) {
    await rearm(deps, escalation, 'execution history limit: continued in a new generation');
    return stop('superseded');
  }
  const plan = planNext(escalation, now, deps.playbook);
  if (plan.due) return { phase: plan.phase, next: plan.due.action, wakeAt: now.toISOString(), check: plan.due, iteration };
  if (plan.wakeAt) return { phase: plan.phase, next: 'sleep', wakeAt: plan.wakeAt, check: null, iteration };
  return stop(plan.phase);
}

export interface ActInput {
  caseId: string;
  generation: number;
  checkKey: string;
}

/** Performs the named check if it is still due, then sends whatever emails the case still owes. */
export async function actOnDeadline(deps: Dependencies, input: ActInput): Promise<{ acted: boolean }> {
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const escalation = await deps.repository.get(input.caseId);
    if (!escalation || escalation.generation !== input.generation) return { acted: false };
    const now = deps.now();
    const check = scheduledChecks(escalation, deps.playbook).find((candidate) => candidate.key === input.checkKey);
    // Gone (a retry after it ran, or the case changed) or not yet due: only owed emails are left to send.
    if (!check || Date.parse(check.at) > now.getTime()) break;
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
    await sendClaimed(deps, input.caseId, claimedBy(outcome.notifications, outcome.next.version));
    // Also whatever an API request could not send (its change was stored, its email left pending).
    await deliverPendingEmails(deps, input.caseId);
    return { acted: true };
  }
  await deliverPendingEmails(deps, input.caseId);
  return { acted: false };
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

/** Starts the case's next generation: the current execution, if any, finds itself stale and ends. */
async function rearm(deps: Dependencies, escalation: Escalation, reason: string): Promise<Escalation> {
  const now = deps.now().toISOString();
  const next = { ...escalation, version: escalation.version + 1, generation: escalation.generation + 1, updatedAt: now };
  await deps.repository.save(
    { next, events: [{ type: 'workflow_rearmed', at: now, actor: 'workflow', summary: reason, data: { generation: next.generation } }] },
    escalation.version,
  );
  await deps.workflow.start(next.id, next.generation);
  return next;
}

const WATCHED_STATUSES: Status[] = ['open', 'acknowledged', 'in_progress', 'resolved'];

/**
 * The daily sweep: every case with a deadline still pending must have a running workflow.
 * Queries the status index (no Scan); a case whose execution is gone gets a new generation.
 */
export async function reconcileWorkflows(deps: Dependencies): Promise<{ checked: number; rearmed: string[] }> {
  const rearmed: string[] = [];
  let checked = 0;
  for (const status of WATCHED_STATUSES) {
    let cursor: string | undefined;
    do {
      const page = await deps.repository.list({ status }, { limit: 100, cursor }, deps.now());
      for (const escalation of page.items) {
        checked++;
        await deliverPendingEmails(deps, escalation.id).catch((error) => deps.log.warn('pending email still failing', { caseId: escalation.id, error: String(error) }));
        if (await deps.workflow.isRunning(escalation.id, escalation.generation)) continue;
        try {
          await rearm(deps, escalation, 'reconciliation: the workflow was missing');
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
