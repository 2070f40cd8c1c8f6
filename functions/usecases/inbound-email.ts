import { createHash } from 'node:crypto';
import { caseHints, recordCustomerReply, type InboundMessage } from '../domain/inbound';
import { CreateEscalationRequest } from '../schemas/escalation';
import { createEscalation, writeWithLock, type Dependencies } from './escalations';

/** Inbound dedupe records outlive any redelivery SES or a mail server would attempt. */
const DEDUPE_WINDOW_MS = 30 * 86_400_000;

export type InboundOutcome =
  | { outcome: 'appended'; caseId: string }
  | { outcome: 'opened'; caseId: string }
  | { outcome: 'duplicate' }
  | { outcome: 'refused'; reason: string };

/** A customer email: onto its case, or a new case for a known account, or refused. Stored once. */
export async function takeInEmail(deps: Dependencies, message: InboundMessage): Promise<InboundOutcome> {
  if (!(await deps.repository.claimInboundMessage(message.messageId, new Date(deps.now().getTime() + DEDUPE_WINDOW_MS)))) {
    deps.metrics.record('InboundEmails', 1, 'Count', { outcome: 'duplicate' });
    return { outcome: 'duplicate' };
  }
  try {
    const result = await routeEmail(deps, message);
    deps.metrics.record('InboundEmails', 1, 'Count', { outcome: result.outcome });
    return result;
  } catch (error) {
    await deps.repository.releaseInboundMessage(message.messageId);
    throw error;
  }
}

async function routeEmail(deps: Dependencies, message: InboundMessage): Promise<InboundOutcome> {
  const caseId = await findCase(deps, message);
  if (caseId) {
    await writeWithLock(deps, caseId, { principal: message.from.address }, (current, ctx) => recordCustomerReply(current, message, ctx));
    return { outcome: 'appended', caseId };
  }
  const known = message.from.address ? await deps.repository.accountForContact(message.from.address) : undefined;
  if (!known) return { outcome: 'refused', reason: `no case matches and ${message.from.address || 'the sender'} belongs to no known account` };
  const input = CreateEscalationRequest.parse({
    customer: {
      accountId: known.accountId,
      name: known.accountName,
      ...(known.segment && { segment: known.segment }),
      contacts: [{ email: message.from.address, ...((message.from.name ?? known.name) && { name: message.from.name ?? known.name }) }],
    },
    title: message.subject.slice(0, 200) || '(no subject)',
    ...(message.text.trim() && { description: message.text.trim().slice(0, 10_000) }),
    severity: 'medium',
    channel: 'email',
  });
  const { escalation } = await createEscalation(deps, input, {
    principal: 'inbound-email',
    idempotencyKey: createHash('sha256').update(message.messageId).digest('hex').slice(0, 64),
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
