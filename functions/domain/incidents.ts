import { toCustomer } from './communications';
import { computeDeadlines, restartUpdateClock } from './deadlines';
import { RuleViolationError } from './errors';
import type { Change, Context, Escalation } from './escalation';

export const INCIDENT_STATUSES = ['open', 'closed'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** A problem hitting many customers: their escalations are linked and hear one update together. */
export interface Incident {
  id: string;
  version: number;
  /** Open while the problem lasts; a closed incident takes no more updates. */
  status: IncidentStatus;
  title: string;
  description?: string;
  escalationIds: string[];
  createdAt: string;
  createdBy: string;
  updates: { id: string; at: string; actor: string; message: string }[];
  closedAt?: string;
  closedBy?: string;
  /** What the team says about the incident as it closes it. */
  closingNote?: string;
  /** Hash of the request that opened it: a retry with the same Idempotency-Key must match it. */
  requestFingerprint?: string;
}

const FINISHED = new Set(['closed', 'out_of_scope']);

export function linkToIncident(current: Escalation, incident: Pick<Incident, 'id' | 'title'>, ctx: Context): Change {
  if (current.incidentId === incident.id) return { next: current, events: [] };
  if (current.incidentId) throw new RuleViolationError(`escalation ${current.id} already belongs to incident ${current.incidentId}`);
  const now = ctx.now.toISOString();
  return {
    next: { ...current, incidentId: incident.id, version: current.version + 1, updatedAt: now },
    events: [{ type: 'linked_to_incident', at: now, actor: ctx.actor, summary: `linked to incident "${incident.title}"`, data: { incidentId: incident.id } }],
  };
}

/**
 * One incident update on one case: the customer gets it by email (personalised), the case
 * records it as a customer update, and a repeated broadcast of the same update does nothing.
 */
export function receiveIncidentUpdate(current: Escalation, incident: Pick<Incident, 'id' | 'title'>, update: { id: string; message: string }, ctx: Context): Change {
  const received = current.incidentUpdatesReceived ?? [];
  if (received.includes(update.id) || FINISHED.has(current.status)) return { next: current, events: [] };
  const now = ctx.now.toISOString();
  const running = current.status !== 'open' && current.status !== 'waiting_on_customer';
  const next: Escalation = {
    ...current,
    version: current.version + 1,
    updatedAt: now,
    incidentUpdatesReceived: [...received, update.id].slice(-50),
    // An update to the customer restarts the update cadence, as a direct one would.
    ...(running && { sla: restartUpdateClock(current.sla, ctx.now) }),
  };
  next.deadlines = computeDeadlines(next.severity, next.sla, next.policy, next.resolvedAt);
  return {
    next,
    notifications: toCustomer(next, 'incident_update', `incident:${incident.id}:${update.id}`, { incidentTitle: incident.title, message: update.message }),
    events: [
      {
        type: 'incident_update_sent',
        at: now,
        actor: ctx.actor,
        summary: `incident update for "${incident.title}" sent to the customer`,
        data: { incidentId: incident.id, updateId: update.id, message: update.message, nextUpdateBy: next.deadlines.nextUpdateBy },
      },
    ],
  };
}

/**
 * Closing an incident: it stops taking updates and leaves the open list. Its escalations stay as
 * they are (each is resolved on its own). Closing a closed one changes nothing: a retry is safe.
 */
export function closeIncident(incident: Incident, input: { note?: string | undefined }, ctx: { now: Date; actor: string }): Incident {
  if (incident.status === 'closed') return incident;
  return {
    ...incident,
    version: incident.version + 1,
    status: 'closed',
    closedAt: ctx.now.toISOString(),
    closedBy: ctx.actor,
    ...(input.note && { closingNote: input.note }),
  };
}

/** An update goes out only while the incident is open. */
export function assertTakesUpdates(incident: Incident) {
  if (incident.status === 'closed') throw new RuleViolationError(`incident ${incident.id} was closed at ${incident.closedAt}; it takes no more updates`);
}
