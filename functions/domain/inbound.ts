import { PLUS_ADDRESS_PATTERN, REFERENCE_PATTERN } from './communications';
import { computeDeadlines, resumeClock } from './deadlines';
import type { Change, Context, Escalation } from './escalation';
import { policyOf } from './sla-policy';

// Customer email coming in: which case it belongs to, whether to trust it, what goes on the timeline.

export type Verdict = 'PASS' | 'FAIL' | 'GRAY' | 'PROCESSING_FAILED' | 'DISABLED';

export interface ReceiptVerdicts {
  spf: Verdict;
  dkim: Verdict;
  dmarc: Verdict;
  spam: Verdict;
  virus: Verdict;
}

/**
 * SES's checks on the message. FAIL is refused outright; so is a virus check that could not
 * run. GRAY (no policy published) and DISABLED (scanning turned off) are let through.
 */
export function refusedVerdicts(verdicts: ReceiptVerdicts): string[] {
  const refused = (Object.entries(verdicts) as [keyof ReceiptVerdicts, Verdict][]).filter(([, verdict]) => verdict === 'FAIL');
  if (verdicts.virus === 'PROCESSING_FAILED') refused.push(['virus', 'PROCESSING_FAILED']);
  return refused.map(([check, verdict]) => `${check}=${verdict}`);
}

export interface InboundMessage {
  /** RFC 5322 Message-ID, or a hash of the raw message when it has none. */
  messageId: string;
  from: { address: string; name?: string };
  recipients: string[];
  subject: string;
  inReplyTo: string[];
  text: string;
  attachments: { filename: string; size: number }[];
}

export interface CaseHints {
  /** Found in a plus-address or the subject's reference: decisive. */
  caseId?: string;
  /** Message-IDs of our own emails this one answers; the repository maps them to cases. */
  repliesTo: string[];
}

export function caseHints(message: InboundMessage): CaseHints {
  for (const recipient of message.recipients) {
    const match = PLUS_ADDRESS_PATTERN.exec(recipient.trim());
    if (match) return { caseId: match[1]!.toLowerCase(), repliesTo: message.inReplyTo };
  }
  const reference = REFERENCE_PATTERN.exec(message.subject);
  return { ...(reference && { caseId: reference[1]!.toLowerCase() }), repliesTo: message.inReplyTo };
}

const QUOTE_HEADER = /^On .{1,200}wrote:\s*$/m;
const MAX_REPLY_CHARS = 10_000;

/** The new part of a reply: what is above the quoted thread, trimmed to a sane length. */
export function newText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const quoteStart = lines.findIndex((line, i) => QUOTE_HEADER.test(line) || (line.startsWith('>') && lines.slice(i).every((rest) => rest.startsWith('>') || rest.trim() === '')));
  const kept = (quoteStart === -1 ? lines : lines.slice(0, quoteStart)).join('\n').trim();
  return kept.length > MAX_REPLY_CHARS ? `${kept.slice(0, MAX_REPLY_CHARS)}…` : kept;
}

/** A customer's reply goes on the timeline; if we were waiting on them, the SLA clock runs again. */
export function recordCustomerReply(current: Escalation, message: InboundMessage, ctx: Context): Change {
  const now = ctx.now.toISOString();
  const wasWaiting = current.status === 'waiting_on_customer';
  let next: Escalation = { ...current, version: current.version + 1, updatedAt: now };
  const events: Change['events'] = [
    {
      type: 'customer_replied',
      at: now,
      actor: message.from.address,
      summary: `reply from ${message.from.name ? `${message.from.name} <${message.from.address}>` : message.from.address}: ${message.subject}`,
      data: {
        messageId: message.messageId,
        from: message.from,
        subject: message.subject,
        text: newText(message.text),
        attachments: message.attachments,
      },
    },
  ];
  if (wasWaiting) {
    const { clock, pausedForMs, pause } = resumeClock(current.sla, ctx.now, message.from.address);
    next = { ...next, status: 'in_progress', sla: clock };
    next.deadlines = computeDeadlines(next.severity, next.sla, policyOf(next, ctx.playbook), next.resolvedAt);
    events.push({
      type: 'resumed',
      at: now,
      actor: message.from.address,
      summary: `SLA clock resumed by the customer's reply after ${Math.round(pausedForMs / 60_000)} min`,
      data: { from: current.sla.pausedSince, to: pause?.to ?? now, pausedForMs, ...(pause && { pause }), previousDeadlines: current.deadlines, deadlines: next.deadlines },
    });
  }
  return { next, events };
}
