import { createHash } from 'node:crypto';
import type { Change, Context, Escalation } from '../domain/escalation';
import { openEscalation } from '../domain/escalation';
import { applyAction, editEscalation } from '../domain/lifecycle';
import type { Playbook } from '../playbook/schema';
import type { EscalationRepository, ListFilter } from '../ports/escalation-repository';
import type { ActionInput, ActionName, CreateEscalationInput, PatchEscalationInput } from '../schemas/escalation';
import { NotFoundError, PreconditionFailedError, VersionConflictError } from './errors';

export interface Dependencies {
  repository: EscalationRepository;
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
        expiresAt: new Date(now.getTime() + deps.playbook.idempotencyWindow),
      }
    : undefined;
  return deps.repository.create(change, claim);
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

/**
 * Read, decide, write guarded by the version. With If-Match the caller decided against a
 * version it saw, so a mismatch is theirs to resolve (412); without it we retry on conflict.
 */
async function writeWithLock(
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
    try {
      await deps.repository.save(change, current.version);
      return change.next;
    } catch (error) {
      const retry = error instanceof VersionConflictError && caller.ifMatch === undefined && attempt < MAX_WRITE_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

function context(deps: Dependencies, actor: string, now: Date): Context {
  return { now, actor, playbook: deps.playbook };
}
