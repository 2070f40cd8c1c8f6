import { describe, expect, it } from 'vitest';
import { EmbeddedMetrics, METRICS_NAMESPACE } from '../../functions/adapters/emf-metrics';

describe('Embedded Metric Format', () => {
  it('writes one EMF document per point, dimensioned only by the bounded dimensions given', () => {
    const lines: string[] = [];
    new EmbeddedMetrics((line) => lines.push(line), 'create-escalation').record('TimeToAcknowledge', 1234, 'Milliseconds', { severity: 'high' });
    const document = JSON.parse(lines[0]!);
    expect(document._aws.CloudWatchMetrics).toEqual([{ Namespace: METRICS_NAMESPACE, Dimensions: [['severity']], Metrics: [{ Name: 'TimeToAcknowledge', Unit: 'Milliseconds' }] }]);
    expect(document).toMatchObject({ severity: 'high', TimeToAcknowledge: 1234, service: 'create-escalation' });
    expect(typeof document._aws.Timestamp).toBe('number');
  });

  it('a metric without dimensions has one empty dimension set', () => {
    const lines: string[] = [];
    new EmbeddedMetrics((line) => lines.push(line)).record('WorkflowFailures', 1, 'Count');
    expect(JSON.parse(lines[0]!)._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
  });
});
