import { explainDeadlines } from '../domain/deadlines';
import type { Escalation } from '../domain/escalation';
import type { ImprovementItem } from '../domain/review';
import { calendarFor } from '../domain/sla-policy';
import { formatTarget } from '../domain/sla-target';
import type { EscalationBody } from '../schemas/views';

/**
 * What the API shows of a case, field by field: the workflow's bookkeeping (generation, policy,
 * the checks acted on, recovery state, the incident updates received) stays inside, and a field
 * added to the case is shown only once the view, and with it the OpenAPI document, names it.
 * Each deadline comes with its explanation, computed from the case's own policy.
 */
export function toView(escalation: Escalation): EscalationBody {
  const { sla, policy } = escalation;
  const pauses = sla.pauses.map((pause) => ({
    ...pause,
    ...(pause.to && { pausedMs: Math.max(0, Date.parse(pause.to) - Date.parse(pause.from)) }),
  }));
  const targets = policy.targets[escalation.severity];
  return {
    id: escalation.id,
    version: escalation.version,
    status: escalation.status,
    severity: escalation.severity,
    tier: escalation.tier,
    breaches: escalation.breaches ?? 0,
    triggers: escalation.triggers,
    channel: escalation.channel,
    executiveInvolved: escalation.executiveInvolved,
    title: escalation.title,
    description: escalation.description,
    businessImpact: escalation.businessImpact,
    alreadyTried: escalation.alreadyTried,
    neededBy: escalation.neededBy,
    customer: escalation.customer,
    owner: escalation.owner,
    routedTo: escalation.routedTo,
    deadlines: escalation.deadlines,
    deadlineExplanations: explainDeadlines(escalation.severity, sla, policy, escalation.resolvedAt),
    sla: {
      pausedMs: sla.pausedMs,
      ...(sla.pausedSince && { pausedSince: sla.pausedSince }),
      pauses,
      calendar: calendarFor(policy, escalation.severity).name,
      timeZone: policy.timeZone,
      targets: { acknowledgeWithin: formatTarget(targets.acknowledgeWithin), updateEvery: formatTarget(targets.updateEvery), resolveWithin: formatTarget(targets.resolveWithin) },
      policyTakenAt: policy.takenAt,
    },
    reportedAt: escalation.reportedAt,
    createdAt: escalation.createdAt,
    updatedAt: escalation.updatedAt,
    acknowledgedAt: escalation.acknowledgedAt,
    resolvedAt: escalation.resolvedAt,
    closedAt: escalation.closedAt,
    resolution: escalation.resolution,
    outcome: escalation.outcome,
    reopenCount: escalation.reopenCount,
    incidentId: escalation.incidentId,
    satisfaction: escalation.satisfaction,
    review: escalation.review && { ...escalation.review, concessionOffered: escalation.review.concession !== undefined },
    sponsor: escalation.sponsor,
    retainUntil: escalation.retainUntil,
    erasedAt: escalation.erasedAt,
  };
}

export const etag = (escalation: Escalation) => `"${escalation.version}"`;

/** An improvement item as the API shows it; its ETag is its own version. */
export const itemView = (item: ImprovementItem) => item;

/** The answer to a write: the case as written, or (a retry with the same Idempotency-Key) as the first request wrote it. */
export function writtenResponse(status: number, written: { escalation: Escalation; replayed: boolean }) {
  return {
    status,
    headers: { etag: etag(written.escalation), ...(written.replayed && { 'idempotent-replayed': 'true' }) } as Record<string, string>,
    body: toView(written.escalation),
  };
}

export const locationOf = (escalation: Escalation) => `/escalations/${encodeURIComponent(escalation.id)}`;
