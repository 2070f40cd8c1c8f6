import { explainDeadlines } from '../domain/deadlines';
import type { Escalation } from '../domain/escalation';
import type { ImprovementItem } from '../domain/review';
import { calendarFor, policyOf } from '../domain/sla-policy';
import { formatTarget } from '../domain/sla-target';
import type { Playbook } from '../playbook/schema';

/**
 * What the API shows of a case: the workflow's bookkeeping stays inside. Each deadline
 * comes with its explanation, computed from the case's own policy (a case stored before
 * policies were kept is explained with the current playbook).
 */
export function toView(escalation: Escalation, playbook: Playbook) {
  const { generation: _generation, policy: _policy, sla, review, sponsorshipProposedAt: _proposed, ...rest } = escalation;
  const policy = escalation.policy ?? policyOf(escalation, playbook);
  const pauses = (sla.pauses ?? []).map((pause) => ({
    ...pause,
    ...(pause.to && { pausedMs: Math.max(0, Date.parse(pause.to) - Date.parse(pause.from)) }),
  }));
  const targets = policy?.targets[escalation.severity];
  return {
    ...rest,
    ...(review && { review: { ...review, concessionOffered: review.concession !== undefined } }),
    breaches: escalation.breaches ?? 0,
    reportedAt: escalation.reportedAt ?? sla.startedAt,
    ...(policy && { deadlineExplanations: explainDeadlines(escalation.severity, sla, policy, escalation.resolvedAt) }),
    sla: {
      pausedMs: sla.pausedMs,
      ...(sla.pausedSince && { pausedSince: sla.pausedSince }),
      pauses,
      ...(policy &&
        targets && {
          calendar: calendarFor(policy, escalation.severity).name,
          timeZone: policy.timeZone,
          targets: { acknowledgeWithin: formatTarget(targets.acknowledgeWithin), updateEvery: formatTarget(targets.updateEvery), resolveWithin: formatTarget(targets.resolveWithin) },
          ...(!policy.live && { policyTakenAt: policy.takenAt }),
        }),
    },
  };
}

export const etag = (escalation: Escalation) => `"${escalation.version}"`;

/** An improvement item as the API shows it; its ETag is its own version. */
export const itemView = (item: ImprovementItem) => item;

/** The answer to a write: the case as written, or (a retry with the same Idempotency-Key) as the first request wrote it. */
export function writtenResponse(status: number, written: { escalation: Escalation; replayed: boolean }, playbook: Playbook) {
  return {
    status,
    headers: { etag: etag(written.escalation), ...(written.replayed && { 'idempotent-replayed': 'true' }) } as Record<string, string>,
    body: toView(written.escalation, playbook),
  };
}

export const locationOf = (escalation: Escalation) => `/escalations/${encodeURIComponent(escalation.id)}`;
