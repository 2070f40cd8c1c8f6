import type { Playbook } from '../domain/playbook';
import { ownerAddresses, PLUS_ADDRESS_PATTERN, REFERENCE_PATTERN, toInternal } from './communications';
import { computeDeadlines, resumeClock } from './deadlines';
import type { Change, Context, Escalation } from './escalation';

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

/**
 * Whether SES could tie the message to the domain in its From address: SPF or DKIM passed, and
 * DMARC (which checks that the passing one is aligned with From) passed. A domain that publishes
 * no DMARC policy gets GRAY, and then anyone may write in its name: such mail is not authenticated.
 */
export function isAuthenticated(verdicts: ReceiptVerdicts): boolean {
  return (verdicts.spf === 'PASS' || verdicts.dkim === 'PASS') && verdicts.dmarc === 'PASS';
}

/**
 * Why a message that was not refused outright still cannot be taken at its word: its sender is
 * not authenticated, or the spam or virus scan could not clear it. Empty: nothing to doubt.
 */
export function doubtsAbout(verdicts: ReceiptVerdicts): string[] {
  const doubts: string[] = [];
  if (!isAuthenticated(verdicts)) {
    doubts.push(`the sender is not authenticated (spf=${verdicts.spf}, dkim=${verdicts.dkim}, dmarc=${verdicts.dmarc}): SPF or DKIM must pass and DMARC must align with them`);
  }
  if (verdicts.spam === 'GRAY' || verdicts.spam === 'PROCESSING_FAILED') doubts.push(`the spam check was inconclusive (spam=${verdicts.spam})`);
  if (verdicts.virus === 'GRAY') doubts.push('the virus check was inconclusive (virus=GRAY)');
  return doubts;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * Who the sender is to this case: one of its contacts, someone at a contact's domain (which
 * counts only when the playbook trusts contact domains), or a stranger.
 */
export function senderOf(escalation: Escalation, address: string, playbook: Playbook): 'contact' | 'contact_domain' | 'stranger' {
  const sender = address.trim().toLowerCase();
  if (!sender.includes('@')) return 'stranger';
  const contacts = escalation.customer.contacts.map((contact) => contact.email.toLowerCase());
  if (contacts.includes(sender)) return 'contact';
  if (playbook.inboundMail.trustContactDomains && contacts.some((contact) => domainOf(contact) === domainOf(sender))) return 'contact_domain';
  return 'stranger';
}

/** Whether a reply to this case is the customer's: empty when it is, else why not. */
export function reasonsToQuarantine(escalation: Escalation, message: InboundMessage, verdicts: ReceiptVerdicts, playbook: Playbook): string[] {
  const reasons: string[] = [];
  if (senderOf(escalation, message.from.address, playbook) === 'stranger') {
    reasons.push(
      playbook.inboundMail.trustContactDomains
        ? `${message.from.address || 'the sender'} is not a contact of this case, nor at a contact's domain`
        : `${message.from.address || 'the sender'} is not a contact of this case`,
    );
  }
  return [...reasons, ...doubtsAbout(verdicts)];
}

/** An account an address is a known contact of, as the contact directory has it. */
export interface ContactAccount {
  accountId: string;
  accountName: string;
  segment?: string;
  name?: string;
}

/**
 * Mail that matches no case: it opens one only when its sender is authenticated, clean, and a
 * contact of exactly one account. An address known in several accounts opens nothing by guessing.
 */
export function accountToOpenFor(sender: string, verdicts: ReceiptVerdicts, known: ContactAccount[]): { account: ContactAccount } | { refused: string } {
  const doubts = doubtsAbout(verdicts);
  if (doubts.length) return { refused: `no case matches, and mail opens a case only when nothing is in doubt: ${doubts.join('; ')}` };
  if (known.length === 0) return { refused: `no case matches and ${sender || 'the sender'} belongs to no known account` };
  if (known.length > 1) {
    const accounts = known.map((account) => `${account.accountName} (${account.accountId})`).sort().join(', ');
    return {
      refused: `no case matches and ${sender} is a contact of ${known.length} accounts (${accounts}), so no case is opened by guessing; reply to an email of the case it concerns (its reply address names the case) or open one through the API`,
    };
  }
  return { account: known[0]! };
}

export interface InboundMessage {
  /** RFC 5322 Message-ID, or a hash of the raw message when it has none. */
  messageId: string;
  /** SES's id for the message: the key of its raw MIME in the inbound bucket (what an erasure deletes). */
  sesMessageId?: string;
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

/**
 * A message on a case that is not the customer's to send (a stranger, or mail that could not be
 * authenticated): it is kept on the timeline for a person to judge, resumes nothing, and the
 * owner is told.
 */
export function quarantineMessage(current: Escalation, message: InboundMessage, reasons: string[], ctx: Context): Change {
  const now = ctx.now.toISOString();
  const next: Escalation = { ...current, version: current.version + 1, updatedAt: now };
  const text = newText(message.text);
  return {
    next,
    notifications: toInternal(next, 'message_quarantined', `v${next.version}`, ownerAddresses(current, ctx.playbook), {
      from: message.from.address || '(no sender)',
      subject: message.subject || '(no subject)',
      reasons: reasons.join('; '),
      excerpt: text.length > QUARANTINE_EXCERPT_CHARS ? `${text.slice(0, QUARANTINE_EXCERPT_CHARS)}…` : text,
      status: current.status.replace(/_/g, ' '),
    }),
    events: [
      {
        type: 'message_quarantined',
        at: now,
        actor: 'inbound-email',
        summary: `message from ${message.from.address || '(no sender)'} quarantined: ${reasons.join('; ')}`,
        data: { messageId: message.messageId, ...(message.sesMessageId && { sesMessageId: message.sesMessageId }), from: message.from, subject: message.subject, text, attachments: message.attachments, reasons },
      },
    ],
  };
}

/** How much of a quarantined message the owner's email quotes; the timeline keeps it whole. */
const QUARANTINE_EXCERPT_CHARS = 1_000;

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
        ...(message.sesMessageId && { sesMessageId: message.sesMessageId }),
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
    next.deadlines = computeDeadlines(next.severity, next.sla, next.policy, next.resolvedAt);
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
