import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { EscalationRepository } from '../ports/escalation-repository';
import { DynamoDbAccountStore } from './dynamodb-accounts';
import { DynamoDbCaseStore } from './dynamodb-cases';
import { DynamoDbInboundMessages } from './dynamodb-inbound-messages';
import { DynamoDbIncidentStore } from './dynamodb-incidents';
import { DynamoDbMetricEvents } from './dynamodb-metric-events';
import { DynamoDbOutbox } from './dynamodb-outbox';
import type { TableStore } from './table-store';

// The use cases see one repository (functions/ports/escalation-repository.ts); the table holds
// it as one store per aggregate, each in its own file. This joins them.

/** A store's own public methods (its port), bound to it; what it inherits (table plumbing) and its #private helpers are not. */
function portOf<T extends TableStore>(store: T): Omit<T, keyof TableStore> {
  const prototype = Object.getPrototypeOf(store) as Record<string, unknown>;
  const names = Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor' && typeof prototype[name] === 'function');
  return Object.fromEntries(names.map((name) => [name, (prototype[name] as (...args: unknown[]) => unknown).bind(store)])) as Omit<T, keyof TableStore>;
}

export function dynamoDbRepository(db: DynamoDBDocumentClient, table: string, options: { owedEmailGraceMs: number }): EscalationRepository {
  const ports = [
    portOf(new DynamoDbCaseStore(db, table, options)),
    portOf(new DynamoDbOutbox(db, table)),
    portOf(new DynamoDbIncidentStore(db, table)),
    portOf(new DynamoDbAccountStore(db, table)),
    portOf(new DynamoDbInboundMessages(db, table)),
    portOf(new DynamoDbMetricEvents(db, table)),
  ] as const;
  const served = new Map<string, number>();
  ports.forEach((port, index) => {
    for (const name of Object.keys(port)) {
      // Two stores answering one name would leave one of them unreachable: a wiring mistake, caught at cold start.
      if (served.has(name)) throw new Error(`repository method ${name} is served by two stores (${served.get(name)} and ${index})`);
      served.set(name, index);
    }
  });
  const [cases, outbox, incidents, accounts, inbound, metricEvents] = ports;
  return { ...cases, ...outbox, ...incidents, ...accounts, ...inbound, ...metricEvents };
}
