import * as z from 'zod';
import { container } from '../adapters/container';
import { recordDeliveryProblem, type DeliveryProblem } from '../usecases/email-events';
import { task } from '../workflow/task';

const deps = container();

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
/** The SES configuration set's event destination (SNS) delivers the events lib/email.ts subscribes to. */
const Recipients = z.lazy(() => z.array(z.object({ emailAddress: z.string() })));
const SesEvent = z.lazy(() =>
  z.discriminatedUnion('eventType', [
    z.object({
      eventType: z.literal('Bounce'),
      mail: z.object({ messageId: z.string().min(1) }),
      bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().optional(), bouncedRecipients: Recipients }),
    }),
    z.object({
      eventType: z.literal('Complaint'),
      mail: z.object({ messageId: z.string().min(1) }),
      complaint: z.object({ complainedRecipients: Recipients, complaintFeedbackType: z.string().optional() }),
    }),
    z.object({
      eventType: z.literal('Rendering Failure'),
      mail: z.object({ messageId: z.string().min(1), destination: z.array(z.string()).optional() }),
      failure: z.object({ errorMessage: z.string(), templateName: z.string().optional() }),
    }),
    z.object({
      eventType: z.literal('Reject'),
      mail: z.object({ messageId: z.string().min(1), destination: z.array(z.string()).optional() }),
      reject: z.object({ reason: z.string() }),
    }),
    z.object({
      eventType: z.literal('DeliveryDelay'),
      mail: z.object({ messageId: z.string().min(1) }),
      deliveryDelay: z.object({ delayType: z.string(), expirationTime: z.string().optional(), delayedRecipients: z.array(z.object({ emailAddress: z.string(), diagnosticCode: z.string().optional() })) }),
    }),
  ]),
);
type SesEvent = z.infer<typeof SesEvent>;

const SnsEvent = z.lazy(() =>
  z.object({
    Records: z.array(z.object({ Sns: z.object({ Message: z.string() }) })).min(1),
  }),
);

/** One SES event as the problem the case records. */
function problemOf(ses: SesEvent): DeliveryProblem {
  const sesMessageId = ses.mail.messageId;
  switch (ses.eventType) {
    case 'Bounce':
      return { kind: 'bounce', sesMessageId, recipients: ses.bounce.bouncedRecipients.map((r) => r.emailAddress), detail: [ses.bounce.bounceType, ses.bounce.bounceSubType].filter(Boolean).join('/') };
    case 'Complaint':
      return { kind: 'complaint', sesMessageId, recipients: ses.complaint.complainedRecipients.map((r) => r.emailAddress), detail: ses.complaint.complaintFeedbackType ?? 'complaint' };
    case 'Rendering Failure':
      return { kind: 'rendering_failure', sesMessageId, recipients: ses.mail.destination ?? [], detail: `${ses.failure.templateName ? `${ses.failure.templateName}: ` : ''}${ses.failure.errorMessage}` };
    case 'Reject':
      return { kind: 'reject', sesMessageId, recipients: ses.mail.destination ?? [], detail: ses.reject.reason };
    case 'DeliveryDelay':
      return {
        kind: 'delivery_delay',
        sesMessageId,
        recipients: ses.deliveryDelay.delayedRecipients.map((r) => r.emailAddress),
        detail: `${ses.deliveryDelay.delayType}${ses.deliveryDelay.expirationTime ? `, SES keeps trying until ${ses.deliveryDelay.expirationTime}` : ''}`,
      };
  }
}

export const handler = task(SnsEvent, async (event) => {
  const results = [];
  for (const record of event.Records) results.push(await recordDeliveryProblem(deps, problemOf(SesEvent.parse(JSON.parse(record.Sns.Message)))));
  return { results };
});
