import * as z from 'zod';
import { container } from '../adapters/container';
import { s3RawMailStore } from '../adapters/s3-raw-mail-store';
import { parseMime } from '../adapters/mime';
import { refusedVerdicts, type ReceiptVerdicts } from '../domain/inbound';
import { takeInEmail } from '../usecases/inbound-email';
import { task } from '../workflow/task';

const deps = container({ rawMail: s3RawMailStore });

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
const VerdictStatus = z.lazy(() => z.object({ status: z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED']) }));

/** The event an SES receipt rule's Lambda action delivers (the raw message is already in S3). */
export const SesReceiptEvent = z.lazy(() =>
  z.object({
    Records: z
      .array(
        z.object({
          eventSource: z.literal('aws:ses'),
          ses: z.object({
            mail: z.object({ messageId: z.string().min(1), source: z.string() }),
            receipt: z.object({
              recipients: z.array(z.string()),
              spfVerdict: VerdictStatus,
              dkimVerdict: VerdictStatus,
              dmarcVerdict: VerdictStatus,
              spamVerdict: VerdictStatus,
              virusVerdict: VerdictStatus,
            }),
          }),
        }),
      )
      .min(1),
  }),
);
export type SesReceiptEvent = z.infer<typeof SesReceiptEvent>;

export const handler = task(SesReceiptEvent, async (event) => {
  const results = [];
  for (const { ses } of event.Records) {
    const { receipt, mail } = ses;
    const verdicts: ReceiptVerdicts = {
      spf: receipt.spfVerdict.status,
      dkim: receipt.dkimVerdict.status,
      dmarc: receipt.dmarcVerdict.status,
      spam: receipt.spamVerdict.status,
      virus: receipt.virusVerdict.status,
    };
    const refused = refusedVerdicts(verdicts);
    if (refused.length) {
      deps.metrics.record('InboundEmails', 1, 'Count', { outcome: 'refused' });
      deps.log.warn('inbound email refused', { sesMessageId: mail.messageId, source: mail.source, refused });
      results.push({ outcome: 'refused', reason: `failed checks: ${refused.join(', ')}` });
      continue;
    }
    const message = { ...(await parseMime(await deps.rawMail.get(mail.messageId), receipt.recipients)), sesMessageId: mail.messageId };
    const result = await takeInEmail(deps, message, verdicts);
    if (result.outcome === 'refused') deps.log.warn('inbound email refused', { sesMessageId: mail.messageId, reason: result.reason });
    if (result.outcome === 'quarantined') deps.log.warn('inbound email quarantined on its case', { sesMessageId: mail.messageId, caseId: result.caseId, reasons: result.reasons });
    results.push(result);
  }
  return { results };
});
