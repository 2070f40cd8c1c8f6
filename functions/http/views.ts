import type { Escalation } from '../domain/escalation';

/** What the API shows of a case: the workflow's bookkeeping stays inside. */
export function toView(escalation: Escalation) {
  const { generation: _generation, sla, ...rest } = escalation;
  return { ...rest, sla: { pausedMs: sla.pausedMs, ...(sla.pausedSince && { pausedSince: sla.pausedSince }) } };
}

export const etag = (escalation: Escalation) => `"${escalation.version}"`;

export const locationOf = (escalation: Escalation) => `/escalations/${encodeURIComponent(escalation.id)}`;
