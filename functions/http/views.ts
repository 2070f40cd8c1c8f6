import { explainDeadlines } from '../domain/deadlines';
import type { Escalation } from '../domain/escalation';
import { calendarFor } from '../domain/sla-policy';
import { formatTarget } from '../domain/sla-target';

/**
 * What the API shows of a case: the workflow's bookkeeping stays inside. Each deadline
 * comes with its explanation, computed from the case's own policy.
 */
export function toView(escalation: Escalation) {
  const { generation: _generation, policy, sla, ...rest } = escalation;
  const pauses = sla.pauses.map((pause) => ({
    ...pause,
    ...(pause.to && { pausedMs: Math.max(0, Date.parse(pause.to) - Date.parse(pause.from)) }),
  }));
  const targets = policy.targets[escalation.severity];
  return {
    ...rest,
    breaches: escalation.breaches ?? 0,
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
  };
}

export const etag = (escalation: Escalation) => `"${escalation.version}"`;

/** The answer to a write: the case as written, or (a retry with the same Idempotency-Key) as the first request wrote it. */
export function writtenResponse(status: number, written: { escalation: Escalation; replayed: boolean }) {
  return {
    status,
    headers: { etag: etag(written.escalation), ...(written.replayed && { 'idempotent-replayed': 'true' }) } as Record<string, string>,
    body: toView(written.escalation),
  };
}

export const locationOf = (escalation: Escalation) => `/escalations/${encodeURIComponent(escalation.id)}`;
