import { createHash } from 'node:crypto';
import { accountToOpenFor, caseHints, quarantineMessage, reasonsToQuarantine, recordCustomerReply, type InboundMessage, type ReceiptVerdicts } from '../domain/inbound';
import { CreateEscalationRequest } from '../schemas/escalation';
import { createEscalation, writeWithLock } from './escalations';
import type { Dependencies } from '../ports/dependencies';

/** Inbound dedupe records outlive any redelivery SES or a mail server would attempt. */
const DEDUPE_WINDOW_MS = 30 * 86_400_000;

export type InboundOutcome =
  | { outcome: 'appended'; caseId: string }
  | { outcome: 'quarantined'; caseId: string; reasons: string[] }
  | { outcome: 'opened'; caseId: string }
  | { outcome: 'duplicate' }
  | { outcome: 'refused'; reason: string };

/**
 * A customer email: onto its case (quarantined there when it is not the customer's to send), or
 * a new case for the one account its authenticated sender is a contact of, or refused. Stored once.
 */
export async function takeInEmail(deps: Dependencies, message: InboundMessage, verdicts: ReceiptVerdicts): Promise<InboundOutcome> {
  if (!(await deps.repository.claimInboundMessage(message.messageId, new Date(deps.now().getTime() + DEDUPE_WINDOW_MS)))) {
    deps.metrics.record('InboundEmails', 1, 'Count', { outcome: 'duplicate' });
    return { outcome: 'duplicate' };
  }
  try {
    const result = await routeEmail(deps, message, verdicts);
    deps.metrics.record('InboundEmails', 1, 'Count', { outcome: result.outcome });
    return result;
  } catch (error) {
    await deps.repository.releaseInboundMessage(message.messageId);
    throw error;
  }
}

async function routeEmail(deps: Dependencies, message: InboundMessage, verdicts: ReceiptVerdicts): Promise<InboundOutcome> {
  const caseId = await findCase(deps, message);
  if (caseId) {
    // Judged against the case as it is written, so a contact added a moment ago counts.
    let reasons: string[] = [];
    await writeWithLock(deps, caseId, { principal: message.from.address || 'inbound-email' }, (current, ctx) => {
      reasons = reasonsToQuarantine(current, message, verdicts, ctx.playbook);
      return reasons.length ? quarantineMessage(current, message, reasons, ctx) : recordCustomerReply(current, message, ctx);
    });
    return reasons.length ? { outcome: 'quarantined', caseId, reasons } : { outcome: 'appended', caseId };
  }
  const known = message.from.address ? await deps.repository.accountsForContact(message.from.address) : [];
  const decision = accountToOpenFor(message.from.address, verdicts, known);
  if ('refused' in decision) return { outcome: 'refused', reason: decision.refused };
  const { account } = decision;
  const input = CreateEscalationRequest.parse({
    customer: {
      accountId: account.accountId,
      name: account.accountName,
      ...(account.segment && { segment: account.segment }),
      contacts: [{ email: message.from.address, ...((message.from.name ?? account.name) && { name: message.from.name ?? account.name }) }],
    },
    title: message.subject.slice(0, 200) || '(no subject)',
    ...(message.text.trim() && { description: message.text.trim().slice(0, 10_000) }),
    severity: 'medium',
    channel: 'email',
  });
  const { escalation } = await createEscalation(deps, input, {
    principal: 'inbound-email',
    idempotencyKey: createHash('sha256').update(message.messageId).digest('hex').slice(0, 64),
    ...(message.sesMessageId && { sesMessageId: message.sesMessageId }),
  });
  return { outcome: 'opened', caseId: escalation.id };
}

async function findCase(deps: Dependencies, message: InboundMessage): Promise<string | undefined> {
  const hints = caseHints(message);
  if (hints.caseId && (await deps.repository.get(hints.caseId))) return hints.caseId;
  for (const reference of hints.repliesTo) {
    // "<0100018f...@email.amazonses.com>": SES's message id is the local part.
    const sesMessageId = reference.replace(/^<|>$/g, '').split('@')[0]!;
    const caseId = await deps.repository.caseForSentMessage(sesMessageId);
    if (caseId) return caseId;
  }
  return undefined;
}
