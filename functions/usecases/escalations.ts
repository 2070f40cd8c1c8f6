import { createHash } from 'node:crypto';
import type { Backoff } from '../domain/backoff';
import { needsRearm } from '../domain/deadline-checks';
import type { Change, Context, Escalation } from '../domain/escalation';
import { openEscalation } from '../domain/intake';
import { APPEND_ONLY_ACTIONS, applyAction, editEscalation, recordSatisfaction } from '../domain/lifecycle';
import { metricPoints } from '../domain/metric-points';
import { updateImprovementItem } from '../domain/review';
import { isEnrolled, withSponsorshipProposal } from '../domain/sponsorship';
import type { IdempotencyClaim, ListFilter, Written } from '../ports/escalation-repository';
import { VersionConflictError } from '../ports/errors';
import { ACTIVE_STATUSES, STATUSES, type Status } from '../domain/vocabulary';
import type { ActionInput, ActionName, EscalationEdits, NewEscalation } from '../domain/commands';
import type { ImprovementItemChanges, ListEscalationsParams } from '../schemas/escalation';
import { retrying } from '../support/retrying';
import type { Dependencies } from '../ports/dependencies';
import { CaseBusyError, NotFoundError, PreconditionFailedError } from './errors';

/** Who asks, and what they asked for: the precondition they saw and the key that makes a retry safe. */
export interface Caller {
  principal: string;
  /** The case version the caller decided against (If-Match); a mismatch is theirs to resolve (412). */
  ifMatch?: number;
  /** The client's Idempotency-Key: a retry gets the first answer and changes nothing more. */
  idempotencyKey?: string;
  /** Intake from an email: SES's id for the mail that opens the case (its raw MIME's key). */
  sesMessageId?: string;
}

/**
 * Writers without If-Match that collide on one case retry with full jitter: each round one
 * wins, and the spread keeps the others from colliding again. A request gives up (503, nothing
 * stored) only after this long, inside its function's timeout (lib/function-settings.ts: 25 s
 * for the writing API functions, under the HTTP API's 30 s).
 */
const CONTENTION_BACKOFF: Backoff = { baseMs: 20, capMs: 1_000, jitter: 'full' };
export const CONTENTION_BUDGET_MS = 20_000;

export async function createEscalation(deps: Dependencies, input: NewEscalation, caller: Caller): Promise<Written> {
  const claim = idempotencyClaim(deps, caller, 'create', input);
  if (claim) {
    const first = await deps.repository.replayed(claim);
    if (first) return { escalation: first, replayed: true };
  }
  // An account in the executive sponsorship programme routes its new escalations to its sponsor from intake.
  const profile = await deps.repository.accountProfile(input.customer.accountId);
  const sponsor = isEnrolled(profile) ? profile?.sponsorship?.sponsor : undefined;
  const change = openEscalation(deps.newId(), input, context(deps, caller.principal, deps.now()), { ...(sponsor && { sponsor }), ...(caller.sesMessageId && { sesMessageId: caller.sesMessageId }) });
  // The write is the whole request: the table's stream starts the workflow and sends the
  // emails the change queued (usecases/case-changes.ts, usecases/outbox.ts).
  const created = await deps.repository.create(change, claim);
  if (!created.replayed) recordMetrics(deps, change);
  return created;
}

export async function getEscalation(deps: Dependencies, id: string): Promise<Escalation> {
  const escalation = await deps.repository.get(id);
  if (!escalation) throw new NotFoundError(`no escalation with id ${id}`);
  return escalation;
}

/** A list as the API asks for it: `active` names statuses, instants are compared in UTC. */
export async function listEscalations(deps: Dependencies, query: ListEscalationsParams) {
  const { limit, cursor, sort, status, active, createdFrom, createdTo, updatedSince, ...rest } = query;
  const utc = (instant: string) => new Date(instant).toISOString();
  const statuses = status ?? (active === undefined ? undefined : STATUSES.filter((candidate) => (ACTIVE_STATUSES as readonly Status[]).includes(candidate) === active));
  const filter: ListFilter = {
    ...rest,
    ...(statuses && { statuses }),
    ...(createdFrom && { createdFrom: utc(createdFrom) }),
    ...(createdTo && { createdTo: utc(createdTo) }),
    ...(updatedSince && { updatedSince: utc(updatedSince) }),
  };
  return deps.repository.list(filter, { limit, ...(cursor && { cursor }), ...(sort && { order: sort }) }, deps.now());
}

export async function getTimeline(deps: Dependencies, id: string, page: { limit: number; cursor?: string }) {
  await getEscalation(deps, id);
  return deps.repository.timeline(id, page);
}

/** Actions that may end an executive escalation, and so propose its account for executive sponsorship. */
const ENDING_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(['resolve', 'close']);

export async function actOnEscalation<A extends ActionName>(deps: Dependencies, id: string, action: A, input: ActionInput<A>, caller: Caller) {
  const idempotent = { operation: action, request: input };
  if (APPEND_ONLY_ACTIONS.has(action)) return appendToCase(deps, id, caller, (current, ctx) => applyAction(action, current, input, ctx), idempotent);
  // Whether the account is in the sponsorship programme already decides whether a resolution proposes it.
  const profile = ENDING_ACTIONS.has(action) ? await accountProfileOfCase(deps, id) : undefined;
  const decide = (current: Escalation, ctx: Context) => {
    const change = applyAction(action, current, input, ctx);
    return ENDING_ACTIONS.has(action) ? withSponsorshipProposal(current, change, profile, ctx) : change;
  };
  return writeWithLock(deps, id, caller, decide, idempotent);
}

async function accountProfileOfCase(deps: Dependencies, id: string) {
  const escalation = await deps.repository.get(id);
  return escalation ? deps.repository.accountProfile(escalation.customer.accountId) : undefined;
}

/**
 * An improvement item of the review changes. If-Match names the item's own version, so owners
 * of different items never refuse each other; a change to the same item since is a 412.
 */
export async function updateReviewItem(deps: Dependencies, id: string, itemId: string, changes: ImprovementItemChanges, caller: Omit<Caller, 'ifMatch'> & { itemIfMatch: number }) {
  const written = await writeWithLock(
    deps,
    id,
    { principal: caller.principal, ...(caller.idempotencyKey && { idempotencyKey: caller.idempotencyKey }) },
    (current, ctx) => {
      const item = current.review?.items.find((candidate) => candidate.id === itemId);
      if (!item) throw new NotFoundError(`escalation ${id} has no improvement item ${itemId}`);
      if (item.version !== caller.itemIfMatch) throw new PreconditionFailedError(`improvement item ${itemId} is at version ${item.version}, not ${caller.itemIfMatch}; fetch the escalation again`);
      return updateImprovementItem(current, itemId, changes, ctx);
    },
    { operation: `review-item ${itemId}`, request: changes },
  );
  const item = written.escalation.review?.items.find((candidate) => candidate.id === itemId);
  if (!item) throw new NotFoundError(`escalation ${id} has no improvement item ${itemId}`);
  return { ...written, item };
}

/**
 * An action that changes nothing about the case (a note) only appends its events to the
 * timeline: no version to take, so writers adding notes side by side never race. If-Match and
 * Idempotency-Key work as for every write.
 */
async function appendToCase(deps: Dependencies, id: string, caller: Caller, decide: (current: Escalation, ctx: Context) => Change, idempotent: { operation: string; request: unknown }): Promise<Written> {
  const claim = idempotencyClaim(deps, caller, `${idempotent.operation} ${id}`, idempotent.request);
  if (claim) {
    const first = await deps.repository.replayed(claim);
    if (first) return { escalation: first, replayed: true };
  }
  const current = await getEscalation(deps, id);
  if (caller.ifMatch !== undefined && caller.ifMatch !== current.version) {
    throw new PreconditionFailedError(`escalation ${id} is at version ${current.version}, not ${caller.ifMatch}; fetch it again`);
  }
  const { events } = decide(current, context(deps, caller.principal, deps.now()));
  try {
    return await deps.repository.append(current, events, caller.ifMatch, claim);
  } catch (error) {
    if (error instanceof VersionConflictError) throw new PreconditionFailedError(`escalation ${id} changed while this request was decided against version ${caller.ifMatch}; fetch it again`, { cause: error });
    throw error;
  }
}

export function editEscalationFacts(deps: Dependencies, id: string, patch: EscalationEdits, caller: Caller & { ifMatch: number }) {
  return writeWithLock(deps, id, caller, (current, ctx) => editEscalation(current, patch, ctx), { operation: 'edit', request: patch });
}

/**
 * What opening a survey link shows: the token names the case, and the score already on record,
 * if any. Reads only: mail scanners open links too. A tampered or expired token is refused.
 */
export async function surveyAnswer(deps: Dependencies, token: string): Promise<{ caseId: string; recordedScore?: number }> {
  const { caseId } = await deps.survey.verify(token, deps.now());
  const escalation = await getEscalation(deps, caseId);
  return { caseId, ...(escalation.satisfaction && { recordedScore: escalation.satisfaction.score }) };
}

/** The survey form's answer: the token names the case; a tampered, expired or second answer records nothing. */
export async function recordSatisfactionScore(deps: Dependencies, token: string, score: number) {
  const { caseId } = await deps.survey.verify(token, deps.now());
  return writeWithLock(deps, caseId, { principal: 'customer' }, (current, ctx) => recordSatisfaction(current, score, ctx));
}

/**
 * Read, decide, write guarded by the version. With If-Match the caller decided against a
 * version it saw, so a mismatch is theirs to resolve (412). Without it, a race with another
 * writer is ours: re-read, re-decide (the rules are checked again) and write, with backoff.
 * With an Idempotency-Key the first answer is replayed and nothing is decided again.
 */
export async function writeWithLock(
  deps: Dependencies,
  id: string,
  caller: Caller,
  decide: (current: Escalation, ctx: Context) => Change,
  idempotent?: { operation: string; request: unknown },
): Promise<Written> {
  const claim = idempotent && idempotencyClaim(deps, caller, `${idempotent.operation} ${id}`, idempotent.request);
  if (claim) {
    const first = await deps.repository.replayed(claim);
    if (first) return { escalation: first, replayed: true };
  }
  try {
    return await retrying(
      async () => {
        const current = await getEscalation(deps, id);
        if (caller.ifMatch !== undefined && caller.ifMatch !== current.version) {
          throw new PreconditionFailedError(`escalation ${id} is at version ${current.version}, not ${caller.ifMatch}; fetch it again`);
        }
        const change = decide(current, context(deps, caller.principal, deps.now()));
        if (change.next === current) return { escalation: current, replayed: false };
        // The running execution sleeps until the old earliest check; an earlier one needs a new
        // generation, which the table's stream starts (and stops the old one).
        if (needsRearm(current, change.next, deps.playbook)) change.next.generation = current.generation + 1;
        const written = await deps.repository.save(change, current.version, claim);
        if (!written.replayed) recordMetrics(deps, change);
        return written;
      },
      { backoff: CONTENTION_BACKOFF, budgetMs: CONTENTION_BUDGET_MS, random: deps.random, retryable: (error) => error instanceof VersionConflictError && caller.ifMatch === undefined },
    );
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    if (caller.ifMatch !== undefined) throw new PreconditionFailedError(`escalation ${id} changed while this request was decided against version ${caller.ifMatch}; fetch it again`, { cause: error });
    throw new CaseBusyError(`escalation ${id} is being changed by many writers at once; nothing was stored, try again`, { cause: error });
  }
}

/** An Idempotency-Key becomes a claim: scoped to the caller, bound to this operation on this request. */
function idempotencyClaim(deps: Dependencies, caller: Caller, operation: string, request: unknown): IdempotencyClaim | undefined {
  if (!caller.idempotencyKey) return undefined;
  const now = deps.now();
  return {
    principal: caller.principal,
    key: caller.idempotencyKey,
    fingerprint: createHash('sha256').update(JSON.stringify({ operation, request })).digest('hex'),
    now,
    expiresAt: new Date(now.getTime() + deps.playbook.idempotencyWindow),
  };
}

export function recordMetrics(deps: Dependencies, change: Change) {
  for (const point of metricPoints(change.next, change.events)) deps.metrics.record(point.name, point.value, point.unit, point.dimensions);
}

function context(deps: Dependencies, actor: string, now: Date): Context {
  return { now, actor, playbook: deps.playbook };
}
