import type { Playbook } from '../domain/playbook';
import type { Escalation } from './escalation';
import { openItems } from './review';
import { fixedWorkingMs, formatTarget, humanDuration, type SlaTarget } from './sla-target';
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
export type AgeBucketLabel = (typeof AGE_BUCKETS)[number]['label'];

export interface Distribution {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  /** The target as the playbook writes it: "4h", "3d". */
  target: string;
  /** The target in working time; absent for working days, whose working time differs from case to case. */
  targetMs?: number;
  /**
   * Met when (almost) every case made it: the 99th percentile within targetMs, or for a target
   * in working days, at least 99 % of the cases (nearest rank, as the percentile) by their own deadline.
   */
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

/** How a distribution is judged: against a fixed working time, or by whether each case met its own deadline. */
type Judged = { target: string; targetMs: number } | { target: string; onTime: boolean[] };

function distribution(values: number[], judged: Judged): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const p99 = percentile(sorted, 0.99);
  const figures = { count: sorted.length, p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99, target: judged.target };
  if ('targetMs' in judged) return { ...figures, targetMs: judged.targetMs, met: p99 === null ? null : p99 <= judged.targetMs };
  const { onTime } = judged;
  const needed = Math.ceil(0.99 * onTime.length);
  return { ...figures, met: onTime.length === 0 ? null : onTime.filter(Boolean).length >= needed };
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

  // A target in working days has no single length in working time: each case is judged by the
  // deadline it had (the `onTime` its event recorded).
  const judge = (list: MetricEventInput[], severity: Severity, target: SlaTarget): Judged => {
    const targetMs = fixedWorkingMs(target, playbook.calendars[playbook.severityCalendars[severity]] ?? {});
    if (targetMs !== undefined) return { target: formatTarget(target), targetMs };
    return { target: formatTarget(target), onTime: list.filter((event) => event.severity === severity).map((event) => event.data.onTime === true) };
  };

  const timeToAcknowledge = {
    all: distribution(durations(acknowledged, 'Acknowledge'), { target: humanDuration(TARGETS.acknowledgeOverallMs), targetMs: TARGETS.acknowledgeOverallMs }),
    ...bySeverity((severity) => distribution(durations(acknowledged, 'Acknowledge', severity), judge(acknowledged, severity, playbook.severities[severity].acknowledgeWithin))),
  };
  const timeToResolution = bySeverity((severity) => distribution(durations(resolved, 'Resolve', severity), judge(resolved, severity, playbook.severities[severity].resolveWithin)));
  const satisfactionAverage = scores.length ? round2(scores.reduce((a, b) => a + b, 0) / scores.length) : null;
  const churnRate = outcomes.length ? round2((churned / outcomes.length) * 100) : null;

  const open = bySeverity(() => ({ count: 0, byAge: Object.fromEntries(AGE_BUCKETS.map((bucket) => [bucket.label, 0])) as Record<AgeBucketLabel, number> }));
  for (const escalation of openCases) {
    const age = now.getTime() - Date.parse(escalation.reportedAt);
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

/**
 * The reviews after resolution (PLAYBOOK.md §5, step 9): reviews recorded in the range and how
 * many by their deadline, reviews whose owner had to be reminded, and the improvement items
 * still open now, by team, with how many of them are overdue. `reviewedCases` are the cases that
 * may hold open items (resolved, or closed with aftercare left); a case without a review adds nothing.
 */
export function reviewMetrics(events: MetricEventInput[], reviewedCases: Escalation[], now: Date) {
  const recorded = events.filter((event) => event.type === 'review_recorded');
  const remindersForMissingReviews = events.filter((event) => event.type === 'reminder_sent' && event.data.action === 'remind_review_due').length;
  const byTeam: Record<string, { open: number; overdue: number }> = {};
  let open = 0;
  let overdue = 0;
  for (const escalation of reviewedCases) {
    for (const item of openItems(escalation)) {
      const team = (byTeam[item.team] ??= { open: 0, overdue: 0 });
      const late = Date.parse(item.overdueAt) <= now.getTime();
      team.open++;
      open++;
      if (late) {
        team.overdue++;
        overdue++;
      }
    }
  }
  return {
    reviews: { recorded: recorded.length, onTime: ratio(recorded.filter((event) => event.data.onTime === true).length, recorded.length, 100), ownersReminded: remindersForMissingReviews },
    improvementItems: { open, overdue, byTeam },
  };
}

export type PlaybookMetrics = ReturnType<typeof playbookMetrics>;
