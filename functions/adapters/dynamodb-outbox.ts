import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import type { Outbox, ClaimedEmail, OwedEmails } from '../ports/escalation-repository';
import { SETTLED_REMOVES, OWED_EMAIL_SHARDS, owedEmailAttributes, owedEmailPartition, caseKey, eventKey, outboxKey, sentMessageKey } from './table-design';
import { owedEntries } from './table-reads';
import { claimedEmailFromItem, owedEmailFromItem, readEach } from './stored-items';
import { TableStore, type TransactItem, expiryOf, conditionFailed, firstConditionFailed } from './table-store';

// The outbox: emails and chat messages a change queued, claimed with a lease, settled once
// (with their timeline entry), deferred with backoff or given up; the owed-email index the
// every-minute sweep reads; and the sent Message-IDs replies are matched by.

// Sorts after the change's own events ("n" follows the digits), unique per notification.
const notificationSeq = (version: number, notificationId: string) => `${String(version).padStart(10, '0')}#n:${notificationId}`;


export class DynamoDbOutbox extends TableStore implements Outbox {
  async claimEmail(caseId: string, id: string, claim: { as: 'first' } | { as: 'due'; now: Date; handoffBefore: Date }, leaseUntil: Date): Promise<ClaimedEmail | undefined> {
    const claimId = randomUUID();
    // `due` is functions/domain/email-delivery.ts `isDue` in DynamoDB's words (ISO instants compare as strings).
    const condition =
      claim.as === 'first'
        ? { ConditionExpression: '#status = :pending AND attribute_not_exists(nextAttemptAt)', values: {} }
        : {
            ConditionExpression:
              '(#status = :pending AND ((attribute_not_exists(nextAttemptAt) AND queuedAt <= :handoff) OR nextAttemptAt <= :now)) OR (#status = :sending AND leaseUntil <= :now)',
            values: { ':sending': 'sending', ':now': claim.now.toISOString(), ':handoff': claim.handoffBefore.toISOString() },
          };
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(caseId, id),
          UpdateExpression: 'SET #status = :claimed, leaseUntil = :lease, claimId = :claim, attempts = attempts + :one',
          ConditionExpression: condition.ConditionExpression,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'sending', ':pending': 'pending', ':one': 1, ':lease': leaseUntil.toISOString(), ':claim': claimId, ...condition.values },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return claimedEmailFromItem(Attributes ?? {});
    } catch (error) {
      if (conditionFailed(error)) return undefined;
      throw error;
    }
  }

  async settleSent(email: ClaimedEmail, messageId: string, at: Date): Promise<boolean> {
    const sentAt = at.toISOString();
    return this.#settle(
      email,
      { set: 'SET #status = :sent, messageId = :messageId, sentAt = :sentAt', values: { ':sent': 'sent', ':messageId': messageId, ':sentAt': sentAt } },
      {
        seq: notificationSeq(email.version, email.id),
        type: 'email_sent',
        at: sentAt,
        summary: `${email.template} sent to ${email.to.join(', ')}`,
        data: { template: email.template, to: email.to, messageId, notificationId: email.id, attempts: email.attempts },
      },
      // Replies quote our Message-ID: this finds their case again.
      [{ Put: { TableName: this.table, Item: { ...sentMessageKey(messageId), caseId: email.caseId } } }],
    );
  }

  async settlePosted(message: ClaimedEmail, at: Date): Promise<boolean> {
    const sentAt = at.toISOString();
    const channel = message.chat!;
    return this.#settle(
      message,
      { set: 'SET #status = :sent, sentAt = :sentAt', values: { ':sent': 'sent', ':sentAt': sentAt } },
      {
        seq: notificationSeq(message.version, message.id),
        type: 'chat_posted',
        at: sentAt,
        summary: `${message.template} posted to the ${channel.role} ${channel.kind === 'slack' ? 'Slack' : 'Teams'} channel`,
        data: { template: message.template, role: channel.role, kind: channel.kind, notificationId: message.id, attempts: message.attempts },
      },
    );
  }

  async deferEmail(email: ClaimedEmail, retryAt: string, error: string) {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: outboxKey(email.caseId, email.id),
          // The sweep looks at it again from its retry time on.
          UpdateExpression: 'SET #status = :pending, nextAttemptAt = :retryAt, lastError = :error, byOwedEmailSK = :sweepFrom REMOVE leaseUntil, claimId',
          ConditionExpression: 'claimId = :claim',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':pending': 'pending',
            ':retryAt': retryAt,
            ':error': error.slice(0, 1000),
            ':claim': email.claimId,
            ':sweepFrom': owedEmailAttributes(email.caseId, email.id, retryAt).byOwedEmailSK,
          },
        }),
      );
    } catch (failure) {
      // Our lease ran out and someone else holds the email now: it is theirs to settle.
      if (!conditionFailed(failure)) throw failure;
    }
  }

  async abandonEmail(email: ClaimedEmail, reason: string, at: Date) {
    const failedAt = at.toISOString();
    const entry = email.chat
      ? {
          type: 'chat_failed',
          summary: `${email.template} could not be posted to the ${email.chat.role} ${email.chat.kind === 'slack' ? 'Slack' : 'Teams'} channel: ${reason}`.slice(0, 2000),
          data: { template: email.template, role: email.chat.role, kind: email.chat.kind, notificationId: email.id, attempts: email.attempts, reason: reason.slice(0, 1000) },
        }
      : {
          type: 'email_failed',
          summary: `${email.template} to ${email.to.join(', ')} could not be sent: ${reason}`.slice(0, 2000),
          data: { template: email.template, to: email.to, notificationId: email.id, attempts: email.attempts, reason: reason.slice(0, 1000) },
        };
    // A lost claim (false) is someone else's to settle.
    await this.#settle(
      email,
      { set: 'SET #status = :failed, failedAt = :at, lastError = :reason', values: { ':failed': 'failed', ':at': failedAt, ':reason': reason.slice(0, 1000) } },
      { seq: `${notificationSeq(email.version, email.id)}#failed`, at: failedAt, ...entry },
    );
  }

  /**
   * Settles a claimed email or chat message and puts its timeline entry, in one transaction
   * conditioned on the claim: false when the claim had run out and someone else holds it now.
   */
  async #settle(
    email: ClaimedEmail,
    update: { set: string; values: Record<string, unknown> },
    entry: { seq: string; type: string; at: string; summary: string; data: Record<string, unknown> },
    also: TransactItem[] = [],
  ): Promise<boolean> {
    try {
      await this.transact([
        {
          Update: {
            TableName: this.table,
            Key: outboxKey(email.caseId, email.id),
            UpdateExpression: `${update.set} REMOVE ${SETTLED_REMOVES}`,
            ConditionExpression: 'claimId = :claim',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ...update.values, ':claim': email.claimId },
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: {
              ...eventKey(email.caseId, entry.seq),
              ...entry,
              actor: 'workflow',
              // An email of a closed case: its timeline entry goes when the case goes.
              ...(email.expiresAt !== undefined && { expiresAt: email.expiresAt }),
            },
          },
        },
        ...also,
      ]);
      if (email.expiresAt === undefined) await this.#expireWithClosedCase(email.caseId, eventKey(email.caseId, entry.seq));
      return true;
    } catch (error) {
      if (firstConditionFailed(error)) return false;
      throw error;
    }
  }

  /**
   * An email queued while the case was open and settled after it closed: the close's deletion
   * stamp (scheduleDeletion) may have read the partition before this entry existed. Reading the
   * case after writing the entry closes that gap: a close before the read is seen here, and a
   * close after it stamps the partition later, this entry included.
   */
  async #expireWithClosedCase(caseId: string, key: { pk: string; sk: string }) {
    const current = await this.item(caseKey(caseId), true);
    const expiry = current && typeof current.retainUntil === 'string' ? expiryOf({ retainUntil: current.retainUntil }).expiresAt : undefined;
    if (expiry === undefined) return;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'SET expiresAt = :expiresAt',
          // Never brings back an entry deleted meanwhile.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':expiresAt': expiry },
        }),
      );
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }

  async owedEmails(now: Date): Promise<OwedEmails> {
    const partitions = Array.from({ length: OWED_EMAIL_SHARDS }, (_, shard) => owedEmailPartition(shard));
    const { owed, oldestQueuedAt, due } = await owedEntries(this.db, this.table, partitions, now);
    const { readable: candidates, unreadable } = readEach(
      // Settled (or erased) meanwhile: the index entry was stale, nothing is owed.
      (await this.itemsByKey(due)).filter((item) => item.status === 'pending' || item.status === 'sending'),
      owedEmailFromItem,
    );
    return { owed, ...(oldestQueuedAt && { oldestQueuedAt }), candidates, unreadable };
  }

  async caseForSentMessage(sesMessageId: string) {
    const pointer = await this.item(sentMessageKey(sesMessageId));
    return typeof pointer?.caseId === 'string' ? pointer.caseId : undefined;
  }
}
