import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { METRIC_EVENT_TYPES } from '../domain/metric-facts';
import type { MetricEventLog, MetricEvent } from '../ports/escalation-repository';
import { TABLE_DESIGN, eventTypeMonthPartition } from './table-design';
import { metricEventFromItem } from './stored-items';
import { TableStore } from './table-store';

// The metric facts of timeline events, read by type and month from their index: they outlive
// the cases (no TTL) and hold nothing personal.

function monthsBetween(from: Date, to: Date): string[] {
  const months: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1));
  while (cursor <= to && months.length < 120) {
    months.push(cursor.toISOString().slice(0, 7));
    cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return months;
}

export class DynamoDbMetricEvents extends TableStore implements MetricEventLog {
  async metricEvents(range: { from: Date; to: Date }, severity?: string): Promise<MetricEvent[]> {
    const events: MetricEvent[] = [];
    const months = monthsBetween(range.from, range.to);
    const index = TABLE_DESIGN.indexes.byEventTypeAndMonth;
    await Promise.all(
      METRIC_EVENT_TYPES.flatMap((type) =>
        months.map(async (month) => {
          let startKey: Record<string, unknown> | undefined;
          do {
            const result = await this.db.send(
              new QueryCommand({
                TableName: this.table,
                IndexName: 'byEventTypeAndMonth',
                KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
                ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey, ...(severity && { '#severity': 'severity' }) },
                ExpressionAttributeValues: {
                  ':pk': eventTypeMonthPartition(type, month),
                  ':from': range.from.toISOString(),
                  ':to': `${range.to.toISOString()}~`,
                  ...(severity && { ':severity': severity }),
                },
                ...(severity && { FilterExpression: '#severity = :severity' }),
                ExclusiveStartKey: startKey,
              }),
            );
            for (const item of result.Items ?? []) {
              events.push(metricEventFromItem(item));
            }
            startKey = result.LastEvaluatedKey;
          } while (startKey);
        }),
      ),
    );
    return events;
  }
}
