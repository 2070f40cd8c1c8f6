import type { MetricUnit, Metrics } from '../ports/metrics';

export const METRICS_NAMESPACE = 'EscalationApi';

/** CloudWatch Embedded Metric Format: one JSON line on stdout per data point, no API call. */
export class EmbeddedMetrics implements Metrics {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    private readonly service = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'escalation-api',
  ) {}

  record(name: string, value: number, unit: MetricUnit, dimensions: Record<string, string> = {}) {
    // The function name travels as a property, not a dimension: dashboards and alarms
    // address a metric by name and bounded dimensions only.
    const dimensionNames = Object.keys(dimensions);
    this.write(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [dimensionNames], Metrics: [{ Name: name, Unit: unit }] }],
        },
        service: this.service,
        ...dimensions,
        [name]: value,
      }),
    );
  }
}
