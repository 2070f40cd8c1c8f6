import { METRIC_EVENT_TYPES } from '../domain/metric-facts';
import type { MetricEventLog, MetricEvent } from '../ports/escalation-repository';
import { TABLE_DESIGN, eventTypeMonthPartition } from './table-design';
import { metricEventFromItem } from './stored-items';
import { queryAll } from './table-reads';
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
          const items = await queryAll(this.db, {
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
          });
          events.push(...items.map(metricEventFromItem));
        }),
      ),
    );
    return events;
  }
}
