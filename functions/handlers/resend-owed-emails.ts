import * as z from 'zod';
import { container } from '../adapters/container';
import { eventBridgePublisher } from '../adapters/eventbridge-publisher';
import { httpsWebhookSender } from '../adapters/https-webhook-sender';
import { sesMailer } from '../adapters/ses-mailer';
import { webhookChat } from '../adapters/chat-webhooks';
import { resendOwedEmails } from '../usecases/outbox';
import { resendOwedDeliveries } from '../usecases/webhooks';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer, events: eventBridgePublisher, webhookSender: httpsWebhookSender, chat: webhookChat });

/**
 * Every minute (EventBridge Scheduler on AWS, a timer on the scaled clock locally): every
 * owed email and webhook delivery that is due (a retry whose time came, a claim whose lease ran
 * out) is sent again; so is every event owed to the bus (one it refused).
 */
export const handler = task(z.unknown(), async () => {
  const [emails, deliveries] = await Promise.all([resendOwedEmails(deps), resendOwedDeliveries(deps)]);
  return { ...emails, webhooks: deliveries };
});
