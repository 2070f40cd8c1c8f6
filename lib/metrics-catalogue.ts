import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../functions/adapters/emf-metrics';
import type { DeadlineKind } from '../functions/domain/deadline-checks';
import { OUTCOMES, SEVERITIES } from '../functions/domain/vocabulary';
import type { InboundOutcome } from '../functions/usecases/inbound-email';

// The EMF metrics the handlers write (functions/domain/metric-points.ts, functions/usecases/*),
// addressed exactly as they are published: namespace, name and the full set of dimensions.

export { METRICS_NAMESPACE, OUTCOMES, SEVERITIES };

/** The closed list of DeadlineBreaches/DeadlineLag `kind` values; the type check below keeps it complete. */
export const DEADLINE_KINDS = ['acknowledge', 'update', 'resolve', 'routing', 'follow_up', 'review', 'retention'] as const satisfies readonly DeadlineKind[];
/** The WorkflowsRearmed `cause` values: an execution's end (functions/usecases/deadlines.ts), or the daily sweep. */
export const REARM_CAUSES = ['task_failed', 'failed', 'timed_out', 'aborted', 'sweep'] as const;
/** The EmailsUndeliverable `kind` values: what SES accepted and then did not send (functions/usecases/email-events.ts). */
export const UNDELIVERABLE_KINDS = ['rendering_failure', 'reject'] as const;
/** The InboundEmails `outcome` values (the use case's outcomes). */
export const INBOUND_OUTCOMES = ['appended', 'quarantined', 'opened', 'duplicate', 'refused'] as const satisfies readonly InboundOutcome['outcome'][];

type Complete<Listed, All> = [Exclude<All, Listed>] extends [never] ? true : { missing: Exclude<All, Listed> };
const kindsComplete: Complete<(typeof DEADLINE_KINDS)[number], DeadlineKind> = true;
const outcomesComplete: Complete<(typeof INBOUND_OUTCOMES)[number], InboundOutcome['outcome']> = true;
void kindsComplete;
void outcomesComplete;

export interface EmfOptions {
  statistic?: string;
  period?: Duration;
  label?: string;
  color?: string;
}

/** One EMF metric with its exact dimension values (no dimension: the dimensionless series). */
export function emfMetric(metricName: string, dimensions: Record<string, string> = {}, options: EmfOptions = {}): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: dimensions,
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(5),
    ...(options.label && { label: options.label }),
    ...(options.color && { color: options.color }),
  });
}

/**
 * The sum of one metric over every value of one dimension (the other dimensions fixed):
 * an alarm cannot use SEARCH, so the series are named one by one. At most 10 per expression.
 */
export function sumOver(
  metricName: string,
  dimension: string,
  values: readonly string[],
  fixed: Record<string, string>,
  options: { period: Duration; label: string; idPrefix: string; color?: string },
): MathExpression {
  if (values.length > 10) throw new Error(`${metricName}: an alarm's math expression may use at most 10 metrics, not ${values.length}`);
  const usingMetrics: Record<string, IMetric> = {};
  values.forEach((value, index) => {
    usingMetrics[`${options.idPrefix}${index}`] = emfMetric(metricName, { ...fixed, [dimension]: value }, { period: options.period });
  });
  return new MathExpression({
    // FILL(…, 0): a series with no data point in a period counts as zero instead of blanking the sum.
    expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics,
    period: options.period,
    label: options.label,
    ...(options.color && { color: options.color }),
  });
}

/** Lines per severity share these colours across widgets. */
export const SEVERITY_COLORS: Record<(typeof SEVERITIES)[number], string> = {
  critical: '#d62728',
  high: '#ff7f0e',
  medium: '#1f77b4',
  low: '#2ca02c',
};
