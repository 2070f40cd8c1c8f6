import type { Playbook } from '../playbook/schema';
import type { Escalation } from './escalation';
import { SEVERITIES, type Severity } from './vocabulary';

// PLAYBOOK §7 as arithmetic: what /metrics reports, computed from timeline events.

export interface MetricEventInput {
  caseId: string;
  severity: Severity;
  type: string;
  at: string;
  data: Record<string, unknown>;
}

const HOUR = 3_600_000;
/** PLAYBOOK §7 targets that are not per-severity. */
export const TARGETS = { acknowledgeOverallMs: HOUR, updatesOnTimePercent: 100, satisfactionAverage: 7, churnRatePercent: 5 } as const;
export const AGE_BUCKETS = [
  { label: '< 1 h', upToMs: HOUR },
  { label: '1–24 h', upToMs: 24 * HOUR },
  { label: '1–7 d', upToMs: 7 * 24 * HOUR },
  { label: '> 7 d', upToMs: Number.POSITIVE_INFINITY },
] as const;

export interface Distribution {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  targetMs: number;
  /** Met when the 99th percentile is within the target: (almost) every case made it. */
  met: boolean | null;
}

export interface Ratio {
  onTime: number;
  total: number;
  percent: number | null;
  targetPercent: number;
  met: boolean | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function distribution(values: number[], targetMs: number): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const p99 = percentile(sorted, 0.99);
  return { count: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99, targetMs, met: p99 === null ? null : p99 <= targetMs };
}

function ratio(onTime: number, total: number, targetPercent: number): Ratio {
  const percent = total === 0 ? null : Math.round((onTime / total) * 10_000) / 100;
  return { onTime, total, percent, targetPercent, met: percent === null ? null : percent >= targetPercent };
}

const round2 = (value: number) => Math.round(value * 100) / 100;

function bySeverity<T>(make: (severity: Severity) => T): Record<Severity, T> {
  return Object.fromEntries(SEVERITIES.map((severity) => [severity, make(severity)])) as Record<Severity, T>;
}

/**
 * Compliance for one deadline kind: met on time, over every case whose deadline of that kind
 * came due in the range. A case counts once: late if it was ever late, or if its deadline
 * passed (a breach) without the action.
 */
function compliance(events: MetricEventInput[], actionType: string, kind: string) {
  const outcome = new Map<string, boolean>();
  for (const event of events) {
    if (event.type === actionType) outcome.set(event.caseId, (outcome.get(event.caseId) ?? true) && event.data.onTime === true);
    if (event.type === 'deadline_breached' && event.data.kind === kind) outcome.set(event.caseId, false);
  }
  const onTime = [...outcome.values()].filter(Boolean).length;
  return ratio(onTime, outcome.size, 100);
}

export function playbookMetrics(events: MetricEventInput[], openCases: Escalation[], now: Date, playbook: Playbook) {
  const ofType = (type: string) => events.filter((event) => event.type === type);
  const acknowledged = ofType('acknowledged');
  const resolved = ofType('resolved');
  const updates = ofType('customer_updated');
  const scores = ofType('satisfaction_recorded').map((event) => Number(event.data.score));
  const surveysSent = ofType('follow_up_sent').filter((event) => event.data.action === 'send_follow_up').length;
  const outcomes = ofType('closed').map((event) => event.data.outcome).filter((outcome) => outcome === 'retained' || outcome === 'churned');
  const churned = outcomes.filter((outcome) => outcome === 'churned').length;
  // Targets are in working time (a business-hours case is not late over a weekend): compare
  // like with like, falling back to wall-clock time for events written before calendars.
  const durations = (list: MetricEventInput[], kind: 'Acknowledge' | 'Resolve', severity?: Severity) =>
    list
      .filter((event) => !severity || event.severity === severity)
      .map((event) => Number(event.data[`workingTimeTo${kind}Ms`] ?? event.data[`timeTo${kind}Ms`]));

  const timeToAcknowledge = {
    all: distribution(durations(acknowledged, 'Acknowledge'), TARGETS.acknowledgeOverallMs),
    ...bySeverity((severity) => distribution(durations(acknowledged, 'Acknowledge', severity), playbook.severities[severity].acknowledgeWithin)),
  };
  const timeToResolution = bySeverity((severity) => distribution(durations(resolved, 'Resolve', severity), playbook.severities[severity].resolveWithin));
  const satisfactionAverage = scores.length ? round2(scores.reduce((a, b) => a + b, 0) / scores.length) : null;
  const churnRate = outcomes.length ? round2((churned / outcomes.length) * 100) : null;

  const open = bySeverity(() => ({ count: 0, byAge: Object.fromEntries(AGE_BUCKETS.map((bucket) => [bucket.label, 0])) as Record<string, number> }));
  for (const escalation of openCases) {
    const age = now.getTime() - Date.parse(escalation.reportedAt ?? escalation.createdAt);
    const bucket = AGE_BUCKETS.find((candidate) => age < candidate.upToMs)!;
    open[escalation.severity].count++;
    open[escalation.severity].byAge[bucket.label]!++;
  }

  return {
    timeToAcknowledge,
    timeToResolution,
    compliance: {
      acknowledge: compliance(events, 'acknowledged', 'acknowledge'),
      update: compliance(events, 'customer_updated', 'update'),
      resolve: compliance(events, 'resolved', 'resolve'),
    },
    updatesOnTime: ratio(updates.filter((event) => event.data.onTime === true).length, updates.length, TARGETS.updatesOnTimePercent),
    satisfaction: {
      average: satisfactionAverage,
      responses: scores.length,
      surveysSent,
      responseRatePercent: surveysSent ? round2((scores.length / surveysSent) * 100) : null,
      target: TARGETS.satisfactionAverage,
      met: satisfactionAverage === null ? null : satisfactionAverage > TARGETS.satisfactionAverage,
    },
    churn: {
      churned,
      retained: outcomes.length - churned,
      ratePercent: churnRate,
      targetPercent: TARGETS.churnRatePercent,
      met: churnRate === null ? null : churnRate < TARGETS.churnRatePercent,
    },
    open: { total: openCases.length, bySeverity: open },
  };
}

export type PlaybookMetrics = ReturnType<typeof playbookMetrics>;
