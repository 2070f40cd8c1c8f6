import { RuleViolationError } from '../domain/errors';
import { linkToIncident, receiveIncidentUpdate, type Incident } from '../domain/incidents';
import type { CreateIncidentInput } from '../schemas/incident';
import { NotFoundError, VersionConflictError } from './errors';
import { writeWithLock, type Dependencies } from './escalations';

/** Opens an incident and links every affected customer's escalation to it. */
export async function openIncident(deps: Dependencies, input: CreateIncidentInput, principal: string): Promise<Incident> {
  const cases = await Promise.all(input.escalationIds.map((id) => deps.repository.get(id)));
  const missing = input.escalationIds.filter((_, i) => !cases[i]);
  if (missing.length) throw new NotFoundError(`no escalation with id ${missing.join(', ')}`);
  const taken = cases.filter((escalation) => escalation?.incidentId).map((escalation) => `${escalation!.id} (incident ${escalation!.incidentId})`);
  if (taken.length) throw new RuleViolationError(`already part of another incident: ${taken.join(', ')}`, 'escalationIds');

  const incident: Incident = {
    id: deps.newId(),
    version: 1,
    title: input.title,
    ...(input.description && { description: input.description }),
    escalationIds: input.escalationIds,
    createdAt: deps.now().toISOString(),
    createdBy: principal,
    updates: [],
  };
  await deps.repository.createIncident(incident);
  for (const id of incident.escalationIds) {
    await writeWithLock(deps, id, { principal }, (current, ctx) => linkToIncident(current, incident, ctx));
  }
  return incident;
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
  let incident = await getIncident(deps, incidentId);
  for (let attempt = 1; !incident.updates.some((update) => update.id === updateId); attempt++) {
    const next = { ...incident, version: incident.version + 1, updates: [...incident.updates, { id: updateId, at: deps.now().toISOString(), actor: caller.principal, message }] };
    try {
      await deps.repository.saveIncident(next, incident.version);
      incident = next;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 5) throw error;
      incident = await getIncident(deps, incidentId);
    }
  }
  const approved = incident.updates.find((update) => update.id === updateId)!;
  const delivered: string[] = [];
  const alreadyDelivered: string[] = [];
  for (const id of incident.escalationIds) {
    const before = await deps.repository.get(id);
    const after = await writeWithLock(deps, id, { principal: caller.principal }, (current, ctx) => receiveIncidentUpdate(current, incident, approved, ctx));
    (after.version !== before?.version ? delivered : alreadyDelivered).push(id);
  }
  return { incidentId, updateId, delivered, alreadyDelivered };
}
