import * as z from 'zod';
import { EVENT_TYPE_NAMES } from './events';

// Each exported schema is a z.lazy, built on first use, as in functions/schemas/escalation.ts:
// the webhooks function's cold start builds none, and the response shapes are built only for
// the OpenAPI document.

/** The event types a webhook may subscribe to, or "*" for all of them. */
const eventSelection = () =>
  z
    .array(z.enum(['*', ...EVENT_TYPE_NAMES] as [string, ...string[]], { message: `expected "*" or one of ${EVENT_TYPE_NAMES.join(', ')}` }))
    .min(1, 'name at least one event type, or "*" for every one')
    .max(EVENT_TYPE_NAMES.length + 1)
    .refine((types) => new Set(types).size === types.length, 'each event type once');

export const RegisterWebhookRequest = z.lazy(() => z.strictObject({
  url: z
    .url({ protocol: /^https?$/, message: 'expected an http(s) URL (only https on AWS)' })
    .max(2_000)
    .describe('Where deliveries are posted. On AWS: https, resolving to a public address (checked again at every delivery)'),
  events: eventSelection().describe('The event types to receive (docs/events.md), or ["*"] for all'),
  description: z.string().trim().min(1).max(200).optional().describe('What it is for, for whoever reads the list later'),
}));
export type RegisterWebhookInput = z.output<typeof RegisterWebhookRequest>;

const attempt = () => z.object({
  at: z.string(),
  status: z.number().int().optional().describe("The receiver's HTTP status; absent when it did not answer"),
  durationMs: z.number().int(),
  outcome: z.string().describe('Why it failed, or the start of what the receiver answered'),
});

const webhookViewFields = () => ({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().optional(),
  status: z.enum(['active', 'disabled']),
  createdAt: z.string(),
  createdBy: z.string(),
  disabledAt: z.string().optional(),
  disabledReason: z.string().optional(),
  previousSecretValidUntil: z.string().optional().describe('After a rotation: until when the previous secret signs too'),
});

export const WebhookView = z.lazy(() => z.object(webhookViewFields()));

export const RegisteredWebhook = z.lazy(() => z.object({
  ...webhookViewFields(),
  secret: z.string().describe('The signing secret (whsec_…), shown this once: keep it where your receiver reads it'),
}));

export const RotatedSecret = z.lazy(() => z.object({
  id: z.uuid(),
  secret: z.string().describe('The new signing secret, shown this once'),
  previousSecretValidUntil: z.string().describe('The previous secret signs beside the new one until then'),
}));

export const DeliveriesQuery = z.lazy(() => z.object({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(2_000).optional().describe('the nextCursor of the previous page'),
}));

export const DeliveryList = z.lazy(() => z.object({
  items: z.array(
    z.object({
      eventId: z.string(),
      eventType: z.string(),
      status: z.enum(['pending', 'sending', 'sent', 'failed']).describe('sent: the receiver answered 2xx; pending: to be tried again at nextAttemptAt; failed: given up'),
      queuedAt: z.string(),
      attempts: z.number().int(),
      nextAttemptAt: z.string().optional(),
      deliveredAt: z.string().optional(),
      failedAt: z.string().optional(),
      lastError: z.string().optional(),
      history: z.array(attempt()).describe('The first attempts and the latest ones'),
    }),
  ),
  nextCursor: z.string().optional(),
}));
