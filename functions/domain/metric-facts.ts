import type { TimelineEvent } from './escalation';

// What the metrics API keeps of the timeline. Each metric-relevant event is also written as a
// fact: its case, severity, type, instant and the few figures the metrics read, nothing a
// person wrote or a customer is named by. The case and its timeline are deleted when their
// retention ends, or redacted when the account is erased; the facts stay, so a month's figures
// read the same next year as they did then.

/** The event types the metrics API reads (functions/domain/playbook-metrics.ts). */
export const METRIC_EVENT_TYPES = [
  'acknowledged',
  'resolved',
  'customer_updated',
  'deadline_breached',
  'closed',
  'satisfaction_recorded',
  'follow_up_sent',
  'review_recorded',
  'reminder_sent',
] as const;

/**
 * The event data a fact keeps: durations, flags, scores, and the names of kinds and outcomes
 * from the product's own vocabulary. Free text (messages, notes, reasons, root causes) and
 * addresses never qualify.
 */
export const METRIC_DATA_FIELDS = [
  'onTime',
  'timeToAcknowledgeMs',
  'workingTimeToAcknowledgeMs',
  'timeToResolveMs',
  'workingTimeToResolveMs',
  'acknowledgeBy',
  'resolveBy',
  'dueBy',
  'deadline',
  'lagMs',
  'kind',
  'action',
  'tier',
  'score',
  'outcome',
] as const;

export interface MetricFact {
  type: string;
  at: string;
  data: Record<string, unknown>;
}

/** Whether the metrics read this event. */
export const isMetricEvent = (event: Pick<TimelineEvent, 'type'>) => (METRIC_EVENT_TYPES as readonly string[]).includes(event.type);

/** The data fields a fact may keep, taken from any event data: what is safe to keep after erasure too. */
export function metricData(data: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(METRIC_DATA_FIELDS.filter((field) => data?.[field] !== undefined).map((field) => [field, data![field]]));
}

/** The fact a metric event leaves, or none for an event the metrics do not read. */
export function metricFactOf(event: TimelineEvent): MetricFact | undefined {
  if (!isMetricEvent(event)) return undefined;
  return { type: event.type, at: event.at, data: metricData(event.data) };
}
