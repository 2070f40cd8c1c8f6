export type MetricUnit = 'Count' | 'Milliseconds' | 'Seconds' | 'None';

/**
 * Business and engine metrics. Dimensions are bounded (severity, kind, template):
 * never a customer or a case id, so the metric count stays fixed.
 */
export interface Metrics {
  record(name: string, value: number, unit: MetricUnit, dimensions?: Record<string, string>): void;
}
