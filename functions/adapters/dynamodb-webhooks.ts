import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryState } from '../domain/webhook-delivery';
import { keepAttempts } from '../domain/webhook-delivery';
import { InvalidCursorError, VersionConflictError } from '../ports/errors';
import type { ClaimedDelivery, DeliveryOutcome, DeliveryRef, StoredDelivery, WebhookStore, WebhookSubscription } from '../ports/webhooks';
import {
  deliveryKey,
  DELIVERY_PREFIX,
  OWED_DELIVERY_SHARDS,
  SETTLED_REMOVES,
  owedDeliveryAttributes,
  owedDeliveryPartition,
  WEBHOOK_PREFIX,
  webhookKey,
  WEBHOOKS_PARTITION,
} from './table-design';
import { deliveryFromItem, readEach, subscriptionFromItem } from './stored-items';
import { itemsByKey, owedEntries } from './table-reads';
import { conditionFailed } from './table-store';

/** A settled delivery stays listable this long (GET /webhooks/{id}/deliveries), then the table's TTL removes it. */
const SETTLED_DELIVERY_TTL_S = 14 * 86_400;


/** Webhooks and their owed deliveries in the single table (functions/adapters/table-design.ts). */
export class DynamoDbWebhookStore implements WebhookStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async register(subscription: WebhookSubscription) {
    await this.db.send(new PutCommand({ TableName: this.table, Item: { ...webhookKey(subscription.id), ...subscription }, ConditionExpression: 'attribute_not_exists(pk)' }));
  }

  async get(id: string) {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: webhookKey(id), ConsistentRead: true }));
    return Item ? subscriptionFromItem(Item) : undefined;
  }

  async list() {
    const subscriptions: WebhookSubscription[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :webhook)',
          ExpressionAttributeValues: { ':pk': WEBHOOKS_PARTITION, ':webhook': WEBHOOK_PREFIX },
          ExclusiveStartKey: startKey,
        }),
      );
      subscriptions.push(...(page.Items ?? []).map(subscriptionFromItem));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return subscriptions;
  }

  async replaceSecrets(id: string, secrets: WebhookSubscription['secrets'], expectedCurrent: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: webhookKey(id),
          UpdateExpression: 'SET secrets = :secrets',
          // The current secret is the first: a rotation that raced ours and won changed it.
          ConditionExpression: 'secrets[0].secret = :expected',
          ExpressionAttributeValues: { ':secrets': secrets, ':expected': expectedCurrent },
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new VersionConflictError(`webhook ${id} was rotated or removed meanwhile`, { cause: error });
      throw error;
    }
  }

  async disable(id: string, reason: string, at: Date) {
    await this.setStatus(id, 'SET #status = :disabled, disabledAt = :at, disabledReason = :reason', { ':disabled': 'disabled', ':at': at.toISOString(), ':reason': reason });
  }

  async enable(id: string) {
    await this.setStatus(id, 'SET #status = :active REMOVE disabledAt, disabledReason', { ':active': 'active' });
  }

  private async setStatus(id: string, update: string, values: Record<string, string>) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: webhookKey(id),
          UpdateExpression: update,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }

  async queueDeliveries(deliveries: Omit<StoredDelivery, 'status' | 'attempts' | 'history'>[], claimId: string, leaseUntil: Date) {
    const lease = leaseUntil.toISOString();
    const written = await Promise.all(
      deliveries.map(async (delivery): Promise<ClaimedDelivery | undefined> => {
        const { webhookId, key, ...rest } = delivery;
        const stored = { ...rest, status: 'sending' as const, attempts: 1, history: [], leaseUntil: lease };
        try {
          await this.db.send(
            new PutCommand({
              TableName: this.table,
              // Claimed as written: the sweep may take it over only once the lease has run out (its claimer died).
              Item: { ...deliveryKey(webhookId, key), ...stored, claimId, ...owedDeliveryAttributes(webhookId, key, lease) },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
          return { ...stored, webhookId, key, claimId };
        } catch (error) {
          // A retried stream batch: queued before, it is its claimer's or the sweep's.
          if (conditionFailed(error)) return undefined;
          throw error;
        }
      }),
    );
    return written.filter((delivery): delivery is ClaimedDelivery => delivery !== undefined);
  }

  async claimDelivery(ref: DeliveryRef, now: Date, leaseUntil: Date) {
    const claimId = `${now.getTime()}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deliveryKey(ref.webhookId, ref.key),
          UpdateExpression: 'SET #status = :sending, leaseUntil = :lease, claimId = :claim, attempts = attempts + :one',
          // functions/domain/email-delivery.ts `isDue`, in DynamoDB's words (a delivery is queued claimed, so never "new").
          // Like an email's claim, it writes no index: the sweep reads the item and `isDue` decides.
          ConditionExpression: '(#status = :pending AND nextAttemptAt <= :now) OR (#status = :sending AND leaseUntil <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':pending': 'pending',
            ':now': now.toISOString(),
            ':lease': leaseUntil.toISOString(),
            ':claim': claimId,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { ...deliveryFromItem(Attributes ?? {}), claimId };
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async settleDelivery(delivery: ClaimedDelivery, outcome: DeliveryOutcome, at: Date) {
    const history = outcome.attempt ? keepAttempts(delivery.history, outcome.attempt) : delivery.history;
    const expiresAt = Math.floor(at.getTime() / 1000) + SETTLED_DELIVERY_TTL_S;
    const update =
      outcome.status === 'delivered'
        ? { expression: `SET #status = :sent, deliveredAt = :at, history = :history, expiresAt = :ttl REMOVE ${SETTLED_REMOVES}, lastError`, values: { ':sent': 'sent', ':at': at.toISOString(), ':ttl': expiresAt } }
        : outcome.status === 'failed'
          ? { expression: `SET #status = :failed, failedAt = :at, lastError = :error, history = :history, expiresAt = :ttl REMOVE ${SETTLED_REMOVES}`, values: { ':failed': 'failed', ':at': at.toISOString(), ':error': outcome.reason.slice(0, 1000), ':ttl': expiresAt } }
          : {
              // The sweep looks at it again from its retry time on.
              expression: 'SET #status = :pending, nextAttemptAt = :retryAt, lastError = :error, history = :history, byOwedEmailSK = :sweepFrom REMOVE leaseUntil, claimId',
              values: {
                ':pending': 'pending',
                ':retryAt': outcome.retryAt,
                ':error': outcome.attempt.outcome.slice(0, 1000),
                ':sweepFrom': owedDeliveryAttributes(delivery.webhookId, delivery.key, outcome.retryAt).byOwedEmailSK,
              },
            };
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: deliveryKey(delivery.webhookId, delivery.key),
          UpdateExpression: update.expression,
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...update.values, ':history': history, ':claim': delivery.claimId },
        }),
      );
      return true;
    } catch (error) {
      // Our lease ran out and someone else holds the delivery now: it is theirs to settle.
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async owedDeliveries(now: Date) {
    const partitions = Array.from({ length: OWED_DELIVERY_SHARDS }, (_, shard) => owedDeliveryPartition(shard));
    const { owed, oldestQueuedAt, due } = await owedEntries(this.db, this.table, partitions, now);
    const { readable, unreadable } = readEach(await this.itemsByKey(due), deliveryFromItem);
    const candidates = readable
      .filter((delivery) => delivery.status === 'pending' || delivery.status === 'sending')
      .map(({ webhookId, key, status, queuedAt, attempts, nextAttemptAt, leaseUntil }): DeliveryRef & DeliveryState => ({
        webhookId,
        key,
        status,
        queuedAt,
        attempts,
        ...(nextAttemptAt && { nextAttemptAt }),
        ...(leaseUntil && { leaseUntil }),
      }));
    return { owed, ...(oldestQueuedAt && { oldestQueuedAt }), candidates, unreadable };
  }

  async deliveries(webhookId: string, page: { limit: number; cursor?: string }) {
    const partition = deliveryKey(webhookId, '').pk;
    let startKey: Record<string, unknown> | undefined;
    if (page.cursor !== undefined) {
      try {
        const sk = Buffer.from(page.cursor, 'base64url').toString('utf8');
        if (!sk.startsWith(DELIVERY_PREFIX)) throw new Error('not a delivery key');
        startKey = { pk: partition, sk };
      } catch (cause) {
        throw new InvalidCursorError('the cursor was not handed out by this list', { cause });
      }
    }
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :delivery)',
        ExpressionAttributeValues: { ':pk': partition, ':delivery': DELIVERY_PREFIX },
        ScanIndexForward: false,
        Limit: page.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    const last = result.LastEvaluatedKey?.sk;
    return { items: (result.Items ?? []).map(deliveryFromItem), ...(typeof last === 'string' && { nextCursor: Buffer.from(last).toString('base64url') }) };
  }

  private itemsByKey(keys: { pk: string; sk: string }[]) {
    return itemsByKey(this.db, this.table, keys);
  }
}
