import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InboundMessageLog } from '../ports/escalation-repository';
import { inboundKey } from './table-design';
import { TableStore, conditionFailed } from './table-store';

// Inbound mail taken in once: a claim per SES message id, released when taking it in failed.

export class DynamoDbInboundMessages extends TableStore implements InboundMessageLog {
  async claimInboundMessage(messageId: string, expiresAt: Date) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: inboundKey(messageId),
          UpdateExpression: 'SET #status = :taken, expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(pk) OR #status = :released',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':taken': 'taken', ':released': 'released', ':expiresAt': Math.floor(expiresAt.getTime() / 1000) },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async releaseInboundMessage(messageId: string) {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: inboundKey(messageId),
        UpdateExpression: 'SET #status = :released',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':released': 'released' },
      }),
    );
  }
}
