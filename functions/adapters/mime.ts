import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import type { InboundMessage } from '../domain/inbound';

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value);

/** Raw MIME → the facts the rules need. Attachments are described, never stored. */
export async function parseMime(raw: Buffer, envelopeRecipients: string[]): Promise<InboundMessage> {
  const mail = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });
  const from = addresses(mail.from)[0];
  const references = [mail.inReplyTo ?? [], mail.references ?? []].flat();
  return {
    messageId: mail.messageId ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    from: { address: (from?.address ?? '').toLowerCase(), ...(from?.name && { name: from.name }) },
    recipients: [...new Set([...envelopeRecipients, ...addresses(mail.to).map((a) => a.address ?? ''), ...addresses(mail.cc).map((a) => a.address ?? '')])].filter(Boolean),
    subject: (mail.subject ?? '').replace(/[\r\n]+/g, ' ').trim(),
    inReplyTo: references.flatMap((reference) => reference.split(/\s+/)).filter(Boolean),
    text: mail.text ?? '',
    attachments: mail.attachments.map((attachment) => ({ filename: attachment.filename ?? '(unnamed)', size: attachment.size })),
  };
}
