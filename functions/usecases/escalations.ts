import { createHash } from 'node:crypto';
import { needsRearm } from '../domain/deadline-checks';
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
  // The write is the whole request: the table's stream starts the workflow and sends the
  // emails the change queued (usecases/case-changes.ts), so neither waits on SES or Step Functions.
  const created = await deps.repository.create(change, claim);
  if (!created.replayed) recordMetrics(deps, change);
  return created;
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
    // The running execution sleeps until the old earliest check; an earlier one needs a new
    // generation, which the table's stream starts (and stops the old one).
    if (needsRearm(current, change.next, deps.playbook)) change.next.generation = current.generation + 1;
    try {
      await deps.repository.save(change, current.version);
    } catch (error) {
      const retry = error instanceof VersionConflictError && caller.ifMatch === undefined && attempt < MAX_WRITE_ATTEMPTS;
      if (!retry) throw error;
      continue;
    }
    recordMetrics(deps, change);
    return change.next;
  }
}

export function recordMetrics(deps: Dependencies, change: Change) {
  for (const point of metricPoints(change.next, change.events)) deps.metrics.record(point.name, point.value, point.unit, point.dimensions);
}

function context(deps: Dependencies, actor: string, now: Date): Context {
  return { now, actor, playbook: deps.playbook };
}
