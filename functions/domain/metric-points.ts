import type { Escalation, TimelineEvent } from './escalation';

export interface MetricPoint {
  name: string;
  value: number;
  unit: 'Count' | 'Milliseconds' | 'None';
  /** Bounded dimensions only: severity, kind, outcome. Never a customer or a case. */
  dimensions: Record<string, string>;
}

/**
 * The playbook's numbers (PLAYBOOK §7) read off the timeline events a change wrote, so
 * every path that changes a case (API, workflow, inbound mail) counts the same way.
 */
export function metricPoints(escalation: Escalation, events: TimelineEvent[]): MetricPoint[] {
  const severity = escalation.severity;
  return events.flatMap((event): MetricPoint[] => {
    const data = event.data ?? {};
    switch (event.type) {
      case 'created':
        return [{ name: 'EscalationsOpened', value: 1, unit: 'Count', dimensions: { severity } }];
      case 'acknowledged':
        // Working time: what the severity targets are measured in.
        return [{ name: 'TimeToAcknowledge', value: Number(data.workingTimeToAcknowledgeMs ?? data.timeToAcknowledgeMs), unit: 'Milliseconds', dimensions: { severity } }];
      case 'resolved':
        return [{ name: 'TimeToResolution', value: Number(data.workingTimeToResolveMs ?? data.timeToResolveMs), unit: 'Milliseconds', dimensions: { severity } }];
      case 'customer_updated':
        return [{ name: 'CustomerUpdates', value: 1, unit: 'Count', dimensions: { onTime: String(Boolean(data.onTime)) } }];
      case 'escalated':
        return [{ name: 'TierReached', value: Number(data.tier), unit: 'None', dimensions: { severity } }];
      case 'deadline_breached':
        return [
          { name: 'DeadlineBreaches', value: 1, unit: 'Count', dimensions: { kind: String(data.kind), severity } },
          ...(data.tier !== undefined ? [{ name: 'TierReached', value: Number(data.tier), unit: 'None' as const, dimensions: { severity } }] : []),
        ];
      case 'closed':
        return escalation.outcome ? [{ name: 'EscalationOutcomes', value: 1, unit: 'Count', dimensions: { outcome: escalation.outcome } }] : [];
      case 'satisfaction_recorded':
        return [{ name: 'SatisfactionScore', value: Number(data.score), unit: 'None', dimensions: { severity } }];
      default:
        return [];
    }
  });
}
