import * as z from 'zod';
import { container } from '../adapters/container';
import { recordDeliveryProblem } from '../usecases/email-events';
import { task } from '../workflow/task';

const deps = container();

/** The SES configuration set's event destination (SNS) delivers bounce and complaint notices. */
const SesEvent = z.object({
  eventType: z.enum(['Bounce', 'Complaint']),
  mail: z.object({ messageId: z.string().min(1) }),
  bounce: z.object({ bounceType: z.string(), bounceSubType: z.string().optional(), bouncedRecipients: z.array(z.object({ emailAddress: z.string() })) }).optional(),
  complaint: z.object({ complainedRecipients: z.array(z.object({ emailAddress: z.string() })), complaintFeedbackType: z.string().optional() }).optional(),
});

const SnsEvent = z.object({
  Records: z.array(z.object({ Sns: z.object({ Message: z.string() }) })).min(1),
});

export const handler = task(SnsEvent, async (event) => {
  const results = [];
  for (const record of event.Records) {
    const ses = SesEvent.parse(JSON.parse(record.Sns.Message));
    const problem =
      ses.eventType === 'Bounce'
        ? { kind: 'bounce' as const, recipients: ses.bounce?.bouncedRecipients.map((r) => r.emailAddress) ?? [], detail: [ses.bounce?.bounceType, ses.bounce?.bounceSubType].filter(Boolean).join('/') }
        : { kind: 'complaint' as const, recipients: ses.complaint?.complainedRecipients.map((r) => r.emailAddress) ?? [], detail: ses.complaint?.complaintFeedbackType ?? 'complaint' };
    results.push(await recordDeliveryProblem(deps, { ...problem, sesMessageId: ses.mail.messageId }));
  }
  return { results };
});
