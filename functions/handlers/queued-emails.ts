import { container } from '../adapters/container';
import { eventBridgePublisher } from '../adapters/eventbridge-publisher';
import { httpsWebhookSender } from '../adapters/https-webhook-sender';
import { sesMailer } from '../adapters/ses-mailer';
import { webhookChat } from '../adapters/chat-webhooks';
import { queuedEmailOf, recordedEventOf, recordsOf, StreamEvent } from '../adapters/stored-changes';
import { sendQueuedEmails } from '../usecases/outbox';
import { publishEvents } from '../usecases/webhooks';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer, events: eventBridgePublisher, webhookSender: httpsWebhookSender, chat: webhookChat });

/**
 * The outbox consumer, from the table's stream (it keeps the name it was deployed under: a new
 * name would be a new event source mapping, reading the stream again from its start). Emails
 * queued in the outbox: each claimed and sent once; a send that fails is scheduled for retry
 * (resend-owed-emails takes it from there). New timeline entries: their domain events go on
 * the event bus, and each webhook that wants one is owed a delivery, posted at once. Only a
 * failure to record an outcome, publish or queue fails the batch.
 */
export const handler = task(StreamEvent, async (event) => {
  const records = recordsOf(event);
  const emails = records.flatMap((record) => queuedEmailOf(record) ?? []);
  const recorded = records.flatMap((record) => recordedEventOf(record) ?? []);
  const [, published] = await Promise.all([sendQueuedEmails(deps, emails), publishEvents(deps, recorded)]);
  return { emails: emails.length, ...published };
});
