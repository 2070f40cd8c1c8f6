import { replyAddressFor } from '../domain/communications';
import type { StoredNotification } from '../ports/escalation-repository';
import type { Dependencies } from './escalations';

export class EmailDeliveryError extends Error {
  override name = 'EmailDeliveryError';
}

/**
 * Sends what a case owes: every change queues its emails as pending in the same write;
 * whoever claims one first (the table's stream, the workflow, the daily sweep) sends it.
 */
export async function deliverPendingEmails(deps: Dependencies, caseId: string) {
  const claimed: StoredNotification[] = [];
  for (const notification of await deps.repository.pendingNotifications(caseId)) {
    if (await deps.repository.claimNotification(caseId, notification.id)) claimed.push(notification);
  }
  await sendClaimed(deps, caseId, claimed);
}

/**
 * Each email is claimed before it is sent and settled after, so it goes out at most once.
 * A failed send goes back to pending and throws: the stream batch or the workflow task is
 * retried, and the case's next workflow step or the daily sweep sends it after that.
 */
export async function sendClaimed(deps: Dependencies, caseId: string, notifications: StoredNotification[]) {
  // Independent emails go out side by side: a case with five contacts waits for one send, not five.
  const outcomes = await Promise.allSettled(notifications.map((notification) => sendOne(deps, caseId, notification)));
  const failures = outcomes.flatMap((outcome, i) =>
    outcome.status === 'rejected' ? [`${notifications[i]!.template} to ${notifications[i]!.to.join(', ')}: ${String(outcome.reason)}`] : [],
  );
  if (failures.length) throw new EmailDeliveryError(`could not send ${failures.length} email(s): ${failures.join('; ')}`);
}

async function sendOne(deps: Dependencies, caseId: string, notification: StoredNotification) {
  try {
    const { messageId } = await deps.mailer.send({
      template: notification.template,
      to: notification.to,
      data: notification.data,
      ...(notification.audience === 'customer' && deps.inboundAddress && { replyTo: replyAddressFor(caseId, deps.inboundAddress) }),
    });
    await deps.repository.settleNotification(caseId, notification, { messageId }, deps.now());
    deps.metrics.record('EmailsSent', 1, 'Count', { template: notification.template });
  } catch (error) {
    await deps.repository.settleNotification(caseId, notification, { error: String(error) }, deps.now());
    deps.metrics.record('EmailsFailed', 1, 'Count', { template: notification.template });
    throw error;
  }
}
