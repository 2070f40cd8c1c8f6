import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ConfigurationError, type Config } from '../config';
import type { EventPublisher } from '../ports/webhooks';
import type { DomainEvent } from '../domain/domain-events';
import { awsClient, clientOptions } from './aws-clients';

/** What EventBridge rules match on: every event of this product has this source, and its type as the detail type. */
export const EVENT_SOURCE = 'escalation-api';
/** PutEvents takes at most ten entries a call. */
const ENTRIES_PER_CALL = 10;

/** The publisher a handler wires in its container() call: the stack's own bus, named by CDK. */
export function eventBridgePublisher(config: Config): EventPublisher {
  if (!config.EVENT_BUS_NAME) throw new ConfigurationError('no EVENT_BUS_NAME: this function publishes domain events, so CDK must call usePublisher on it');
  return new EventBridgePublisher(awsClient('events', new EventBridgeClient(clientOptions('events', config.EVENTBRIDGE_ENDPOINT))), config.EVENT_BUS_NAME);
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly events: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(events: DomainEvent[]) {
    const refused: { event: DomainEvent; reason: string }[] = [];
    for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
      const batch = events.slice(start, start + ENTRIES_PER_CALL);
      const result = await this.events.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({ EventBusName: this.busName, Source: EVENT_SOURCE, DetailType: event.type, Detail: JSON.stringify(event), Time: new Date(event.timestamp) })),
        }),
      );
      // PutEvents answers 200 with failed entries inside, in the order sent: each a throttled or refused event.
      if (result.FailedEntryCount) {
        (result.Entries ?? []).forEach((entry, index) => {
          if (entry.ErrorCode && batch[index]) refused.push({ event: batch[index], reason: `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` });
        });
      }
    }
    return { refused };
  }
}
