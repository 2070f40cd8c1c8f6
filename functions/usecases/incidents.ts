import { RuleViolationError } from '../domain/errors';
import type { Backoff } from '../domain/backoff';
import { assertTakesUpdates, closeIncident, linkToIncident, receiveIncidentUpdate, type Incident, type IncidentStatus } from '../domain/incidents';
import type { CreateIncidentInput } from '../schemas/incident';
import { createHash } from 'node:crypto';
import { IdempotencyKeyReusedError, isVersionConflict } from '../ports/errors';
import { retrying } from '../support/retrying';
import { NotFoundError } from './errors';
import { writeWithLock } from './escalations';
import type { Dependencies } from '../ports/dependencies';

/** Two writers of one incident (a broadcast, a close) retry the loser after a short, jittered wait. */
const INCIDENT_WRITE_BACKOFF: Backoff = { baseMs: 20, capMs: 500, jitter: 'full' };
const INCIDENT_WRITE_ATTEMPTS = 8;

/**
 * Opens an incident and links every affected customer's escalation to it. With an
 * Idempotency-Key the incident's id follows from the key, so a retry (even after a failure
 * half-way through the linking) finds the same incident, links what is left, and answers the same.
 */
export async function openIncident(deps: Dependencies, input: CreateIncidentInput, caller: { principal: string; idempotencyKey?: string }): Promise<Incident> {
  const fingerprint = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  const id = caller.idempotencyKey ? idFromKey(caller.principal, caller.idempotencyKey) : deps.newId();
  const existing = caller.idempotencyKey ? await deps.repository.getIncident(id) : undefined;
  if (existing && existing.requestFingerprint !== fingerprint) {
    throw new IdempotencyKeyReusedError(`Idempotency-Key "${caller.idempotencyKey}" was already used with a different request`);
  }
  const cases = await Promise.all(input.escalationIds.map((caseId) => deps.repository.get(caseId)));
  const missing = input.escalationIds.filter((_, i) => !cases[i]);
  if (missing.length) throw new NotFoundError(`no escalation with id ${missing.join(', ')}`);
  const taken = cases.filter((escalation) => escalation?.incidentId && escalation.incidentId !== id).map((escalation) => `${escalation!.id} (incident ${escalation!.incidentId})`);
  if (taken.length) throw new RuleViolationError(`already part of another incident: ${taken.join(', ')}`, 'escalationIds');

  const fresh: Incident = {
    id,
    version: 1,
    status: 'open',
    title: input.title,
    ...(input.description && { description: input.description }),
    escalationIds: input.escalationIds,
    createdAt: deps.now().toISOString(),
    createdBy: caller.principal,
    updates: [],
    requestFingerprint: fingerprint,
  };
  // A concurrent retry with the same key may have made it meanwhile: then its answer is ours.
  const incident = existing ?? ((await deps.repository.createIncident(fresh)) ? fresh : await getIncident(deps, id));
  if (incident.requestFingerprint !== fingerprint) {
    throw new IdempotencyKeyReusedError(`Idempotency-Key "${caller.idempotencyKey}" was already used with a different request`);
  }
  for (const caseId of incident.escalationIds) {
    await writeWithLock(deps, caseId, { principal: caller.principal }, (current, ctx) => linkToIncident(current, incident, ctx));
  }
  return incident;
}

/** A UUID (version 8: custom) from the caller and their key, so one key always names one incident. */
function idFromKey(principal: string, key: string): string {
  const hex = createHash('sha256').update(`${principal}\u0000${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export async function getIncident(deps: Dependencies, id: string): Promise<Incident> {
  const incident = await deps.repository.getIncident(id);
  if (!incident) throw new NotFoundError(`no incident with id ${id}`);
  return incident;
}

/**
 * One update, approved once, to every affected customer: personalised per contact and
 * recorded on each case. The update id (the Idempotency-Key when given) makes a retried
 * broadcast skip every case that already has it: each customer hears it exactly once.
 */
export async function broadcastIncidentUpdate(deps: Dependencies, incidentId: string, message: string, caller: { principal: string; updateId?: string }) {
  const updateId = caller.updateId ?? deps.newId();
  const incident = await retrying(
    async () => {
      const current = await getIncident(deps, incidentId);
      const known = current.updates.find((update) => update.id === updateId);
      if (known) {
        if (known.message !== message) throw new IdempotencyKeyReusedError(`Idempotency-Key "${updateId}" was already used for another update of this incident`);
        return current;
      }
      assertTakesUpdates(current);
      const next = { ...current, version: current.version + 1, updates: [...current.updates, { id: updateId, at: deps.now().toISOString(), actor: caller.principal, message }] };
      await deps.repository.saveIncident(next, current.version);
      return next;
    },
    { backoff: INCIDENT_WRITE_BACKOFF, maxAttempts: INCIDENT_WRITE_ATTEMPTS, random: deps.random, retryable: isVersionConflict },
  );
  const approved = incident.updates.find((update) => update.id === updateId)!;
  const delivered: string[] = [];
  const alreadyDelivered: string[] = [];
  for (const id of incident.escalationIds) {
    const before = await deps.repository.get(id);
    const { escalation: after } = await writeWithLock(deps, id, { principal: caller.principal }, (current, ctx) => receiveIncidentUpdate(current, incident, approved, ctx));
    (after.version !== before?.version ? delivered : alreadyDelivered).push(id);
  }
  return { incidentId, updateId, delivered, alreadyDelivered };
}

export async function listIncidents(deps: Dependencies, status: IncidentStatus, page: { limit: number; cursor?: string }) {
  return deps.repository.listIncidents(status, page);
}

/** Closes an incident (a closed one answers as it is, so a retry is safe); its escalations are left to their own lifecycle. */
export async function closeIncidentById(deps: Dependencies, id: string, input: { note?: string | undefined }, caller: { principal: string }): Promise<Incident> {
  return retrying(
    async () => {
      const current = await getIncident(deps, id);
      const closed = closeIncident(current, input, { now: deps.now(), actor: caller.principal });
      if (closed !== current) await deps.repository.saveIncident(closed, current.version);
      return closed;
    },
    { backoff: INCIDENT_WRITE_BACKOFF, maxAttempts: INCIDENT_WRITE_ATTEMPTS, random: deps.random, retryable: isVersionConflict },
  );
}
