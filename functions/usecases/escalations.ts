import { createHash } from 'node:crypto';
import { needsRearm, phaseOf } from '../domain/deadline-checks';
import type { Change, Context, Escalation } from '../domain/escalation';
import { openEscalation } from '../domain/escalation';
import { applyAction, editEscalation, recordSatisfaction } from '../domain/lifecycle';
import { metricPoints } from '../domain/metric-points';
import type { Playbook } from '../playbook/schema';
import type { EscalationRepository, ListFilter } from '../ports/escalation-repository';
import type { Log } from '../ports/log';
import type { Mailer } from '../ports/mailer';
import type { Metrics } from '../ports/metrics';
import type { RawMailStore } from '../ports/raw-mail-store';
import type { SurveyLinks } from '../ports/survey';
import type { WorkflowEngine } from '../ports/workflow';
import type { ActionInput, ActionName, CreateEscalationInput, PatchEscalationInput } from '../schemas/escalation';
import { NotFoundError, PreconditionFailedError, VersionConflictError } from './errors';
import { claimedBy, sendClaimed } from './outbox';

export interface Dependencies {
  repository: EscalationRepository;
  workflow: WorkflowEngine;
  mailer: Mailer;
  metrics: Metrics;
  log: Log;
  survey: SurveyLinks;
  rawMail: RawMailStore;
  /** Where customer replies arrive; each case gets its own plus-address of it. */
  inboundAddress?: string;
  playbook: Playbook;
  now: () => Date;
  newId: () => string;
}

/** Concurrent writers without If-Match re-read and re-apply; each attempt re-checks the rules. */
const MAX_WRITE_ATTEMPTS = 5;

export async function createEscalation(
  deps: Dependencies,
  input: CreateEscalationInput,
  caller: { principal: string; idempotencyKey?: string },
) {
  const now = deps.now();
  const change = openEscalation(deps.newId(), input, context(deps, caller.principal, now));
  const claim = caller.idempotencyKey
    ? {
        principal: caller.principal,
        key: caller.idempotencyKey,
        fingerprint: createHash('sha256').update(JSON.stringify(input)).digest('hex'),
        now,
        expiresAt: new Date(now.getTime() + deps.playbook.idempotencyWindow),
      }
    : undefined;
  const created = await deps.repository.create(change, claim);
  if (!created.replayed) recordMetrics(deps, change);
  // A replay starts the workflow too: harmless (same execution name), and it heals a start that failed before.
  await Promise.all([created.replayed ? undefined : sendAfterWrite(deps, change), startWorkflow(deps, created.escalation)]);
  return created;
}

/**
 * The case is already stored, so a failed start must not fail the request (a retry would
 * only replay it). It is logged and counted for the alarm, and the reconciliation sweep
 * re-arms any open case whose workflow is missing.
 */
async function startWorkflow(deps: Dependencies, escalation: Escalation) {
  try {
    await deps.workflow.start(escalation.id, escalation.generation);
  } catch (error) {
    deps.metrics.record('WorkflowStartFailures', 1, 'Count');
    deps.log.error('workflow start failed', { caseId: escalation.id, generation: escalation.generation, error: String(error) });
  }
}

export async function getEscalation(deps: Dependencies, id: string): Promise<Escalation> {
  const escalation = await deps.repository.get(id);
  if (!escalation) throw new NotFoundError(`no escalation with id ${id}`);
  return escalation;
}

export async function listEscalations(deps: Dependencies, filter: ListFilter, page: { limit: number; cursor?: string }) {
  return deps.repository.list(filter, page, deps.now());
}

export async function getTimeline(deps: Dependencies, id: string, page: { limit: number; cursor?: string }) {
  await getEscalation(deps, id);
  return deps.repository.timeline(id, page);
}

export function actOnEscalation<A extends ActionName>(
  deps: Dependencies,
  id: string,
  action: A,
  input: ActionInput<A>,
  caller: { principal: string; ifMatch?: number },
) {
  return writeWithLock(deps, id, caller, (current, ctx) => applyAction(action, current, input, ctx));
}

export function editEscalationFacts(
  deps: Dependencies,
  id: string,
  patch: PatchEscalationInput,
  caller: { principal: string; ifMatch: number },
) {
  return writeWithLock(deps, id, caller, (current, ctx) => editEscalation(current, patch, ctx));
}

/** The public survey link: the token names the case; a tampered, expired or reused one records nothing. */
export async function recordSatisfactionScore(deps: Dependencies, token: string, score: number) {
  const { caseId } = await deps.survey.verify(token, deps.now());
  return writeWithLock(deps, caseId, { principal: 'customer' }, (current, ctx) => recordSatisfaction(current, score, ctx));
}

/**
 * Read, decide, write guarded by the version. With If-Match the caller decided against a
 * version it saw, so a mismatch is theirs to resolve (412); without it we retry on conflict.
 */
export async function writeWithLock(
  deps: Dependencies,
  id: string,
  caller: { principal: string; ifMatch?: number },
  decide: (current: Escalation, ctx: Context) => Change,
): Promise<Escalation> {
  for (let attempt = 1; ; attempt++) {
    const current = await getEscalation(deps, id);
    if (caller.ifMatch !== undefined && caller.ifMatch !== current.version) {
      throw new PreconditionFailedError(`escalation ${id} is at version ${current.version}, not ${caller.ifMatch}; fetch it again`);
    }
    const change = decide(current, context(deps, caller.principal, deps.now()));
    if (change.next === current) return current;
    // The running execution sleeps until the old earliest check; an earlier one needs a new generation.
    const rearm = needsRearm(current, change.next, deps.playbook);
    if (rearm) change.next.generation = current.generation + 1;
    try {
      await deps.repository.save(change, current.version);
    } catch (error) {
      const retry = error instanceof VersionConflictError && caller.ifMatch === undefined && attempt < MAX_WRITE_ATTEMPTS;
      if (!retry) throw error;
      continue;
    }
    recordMetrics(deps, change);
    await Promise.all([sendAfterWrite(deps, change), rearrangeWorkflow(deps, current, change.next, rearm)]);
    return change.next;
  }
}

export function recordMetrics(deps: Dependencies, change: Change) {
  for (const point of metricPoints(change.next, change.events)) deps.metrics.record(point.name, point.value, point.unit, point.dimensions);
}

/** After a stored change: start the next generation if it needs an earlier wake-up, or stop a finished one. */
async function rearrangeWorkflow(deps: Dependencies, before: Escalation, after: Escalation, rearm: boolean) {
  if (rearm) {
    await startWorkflow(deps, after);
    await deps.workflow.stop(after.id, before.generation, `superseded by generation ${after.generation}`).catch(() => undefined);
  } else if (phaseOf(after) === 'finished' && phaseOf(before) !== 'finished') {
    await deps.workflow.stop(after.id, before.generation, `escalation ${after.status}`).catch(() => undefined);
  }
}

/** The change is stored; an email that fails now stays pending for the workflow or the sweep. */
async function sendAfterWrite(deps: Dependencies, change: Change) {
  try {
    await sendClaimed(deps, change.next.id, claimedBy(change.notifications, change.next.version));
  } catch (error) {
    deps.log.warn('email left pending', { caseId: change.next.id, error: String(error) });
  }
}

function context(deps: Dependencies, actor: string, now: Date): Context {
  return { now, actor, playbook: deps.playbook };
}
