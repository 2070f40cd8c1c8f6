import { chatMessage, caseUrl } from '../domain/chat-messages';
import { replyAddressFor } from '../domain/communications';
import type { ChatChannel, ChatTemplate } from '../domain/notification';
import { afterFailedAttempt, isDue } from '../domain/email-delivery';
import { CHAT_RETRY_POLICY, delivered } from '../domain/webhook-delivery';
import { WebhookTargetRefusedError } from '../domain/webhook-targets';
import type { ClaimedEmail } from '../ports/escalation-repository';
import { EmailRejectedError } from '../ports/errors';
import { forEachConcurrently } from '../support/concurrently';
import type { Dependencies } from '../ports/dependencies';
import type { EmailRef } from '../ports/stored-changes';

// Every email a change owes is written with the change, pending, in the outbox; so is every
// alert a role's chat channel is owed (a Slack or Teams message), as an item of its own beside
// the alert's email, so that neither can hold up or fail the other. From there:
//   - the table's stream hands each new one to `sendQueuedEmails` at once (its first attempt);
//   - `resendOwedEmails` runs every minute and takes whatever is due: a retry whose time has
//     come, a claim whose lease ran out (its claimer crashed or timed out), or a new email the
//     stream has not taken within one lease.
// Whoever claims an email sends it and settles it. Guarantee (docs/guarantees.md): never lost;
// sent once, except when a claimer dies between SES accepting and the settle write, in which
// case it goes again after the lease.


export type SendOutcome = 'sent' | 'sent-again' | 'deferred' | 'failed' | 'not-due';

/** Emails sent side by side: enough to hide SES latency, few enough to stay well under its send rate. */
const CONCURRENCY = 16;

/**
 * Claims one email, sends it, and settles the outcome. `first`: the table stream's claim on a
 * new email; `due`: the retry sweep's, on whatever is due. Throws only when the table cannot
 * record the outcome.
 */
export async function sendOwedEmail(deps: Dependencies, ref: EmailRef, as: 'first' | 'due'): Promise<SendOutcome> {
  const now = deps.now();
  const lease = deps.delivery.claimLeaseMs;
  const claim = as === 'first' ? { as } : { as, now, handoffBefore: new Date(now.getTime() - lease) };
  const email = await deps.repository.claimEmail(ref.caseId, ref.id, claim, new Date(now.getTime() + lease));
  if (!email) return 'not-due';
  if (email.chat) return postChatMessage(deps, email, email.chat);
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send({
      template: email.template,
      to: email.to,
      data: email.data,
      ...(email.audience === 'customer' && deps.inboundAddress && { replyTo: replyAddressFor(ref.caseId, deps.inboundAddress) }),
    }));
  } catch (error) {
    return settleFailure(deps, email, error);
  }
  deps.metrics.record('EmailsSent', 1, 'Count', { template: email.template });
  if (await deps.repository.settleSent(email, messageId, deps.now())) return 'sent';
  // Our lease ran out before we settled and someone else took the email over: it may go twice.
  deps.metrics.record('EmailsSentAgain', 1, 'Count', { template: email.template });
  deps.log.warn('email sent after its claim had been taken over: the customer may get it twice', { caseId: ref.caseId, notificationId: ref.id });
  return 'sent-again';
}

async function settleFailure(deps: Dependencies, email: ClaimedEmail, error: unknown): Promise<SendOutcome> {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  deps.metrics.record('EmailsFailed', 1, 'Count', { template: email.template });
  return retryOrGiveUp(deps, email, { permanent: error instanceof EmailRejectedError, reason });
}

/**
 * A failed attempt, email or chat message: deferred with backoff, or given up once its retry
 * window has passed (or the failure will never change). The one retry path of the outbox.
 */
async function retryOrGiveUp(deps: Dependencies, email: ClaimedEmail, failure: { permanent: boolean; reason: string }): Promise<SendOutcome> {
  const now = deps.now();
  const next = afterFailedAttempt(email, now, failure, deps.random(), email.chat ? CHAT_RETRY_POLICY : undefined);
  if ('retryAt' in next) {
    await deps.repository.deferEmail(email, next.retryAt, failure.reason);
    return 'deferred';
  }
  await deps.repository.abandonEmail(email, next.giveUp, now);
  if (email.chat) {
    // The alert still went out by email; the timeline (chat_failed) and this line say which channel missed it.
    deps.metrics.record('ChatMessagesAbandoned', 1, 'Count');
    deps.log.error('chat message given up', { caseId: email.caseId, notificationId: email.id, role: email.chat.role, kind: email.chat.kind, reason: next.giveUp });
    return 'failed';
  }
  // One series, alarmed: which email it was is on the case timeline and in the log line below.
  deps.metrics.record('EmailsAbandoned', 1, 'Count');
  deps.log.error('email given up', { caseId: email.caseId, notificationId: email.id, template: email.template, reason: next.giveUp });
  return 'failed';
}

/**
 * A claimed chat message: built from the alert's facts (functions/domain/chat-messages.ts),
 * posted to the role's incoming webhook, settled like an email. Any answer but a 2xx, or none,
 * is tried again at a webhook's pace; an address the rules refuse is given up at once.
 */
async function postChatMessage(deps: Dependencies, message: ClaimedEmail, channel: ChatChannel): Promise<SendOutcome> {
  let failure: { permanent: boolean; reason: string } | undefined;
  // Building and posting the message: whatever fails is this message's failure, never the batch's.
  try {
    const link = caseUrl(message.caseId, { caseLink: deps.playbook.caseLink, publicApiUrl: deps.publicApiUrl });
    const answer = await deps.chat.post(channel, chatMessage(channel, { template: message.template as ChatTemplate, data: message.data }, link));
    if (!delivered(answer.status)) failure = { permanent: false, reason: `${channel.kind} answered ${answer.status}: ${answer.body.slice(0, 200)}` };
  } catch (error) {
    failure = { permanent: error instanceof WebhookTargetRefusedError, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  if (failure) {
    deps.metrics.record('ChatMessagesFailed', 1, 'Count');
    return retryOrGiveUp(deps, message, failure);
  }
  deps.metrics.record('ChatMessagesPosted', 1, 'Count');
  // As for an email, only a table that cannot record the outcome throws from here.
  if (await deps.repository.settlePosted(message, deps.now())) return 'sent';
  deps.log.warn('chat message posted after its claim had been taken over: the channel may show it twice', { caseId: message.caseId, notificationId: message.id, role: channel.role });
  return 'sent-again';
}

/** From the table's stream: the emails just queued, each tried once now. A failed send is left for `resendOwedEmails`. */
export async function sendQueuedEmails(deps: Dependencies, refs: EmailRef[]) {
  await forEachConcurrently(refs, CONCURRENCY, async (ref) => void (await sendOwedEmail(deps, ref, 'first')));
}

/** Most emails one sweep tries: a sweep must end well within its function's timeout; the rest wait a minute. */
export const MAX_ATTEMPTS_PER_SWEEP = 500;

/**
 * Every minute: reads the owed-email index, tries every email that is due, and reports how
 * many are owed and how old the oldest is (the alarm on that age catches a stuck outbox).
 */
export async function resendOwedEmails(deps: Dependencies) {
  const now = deps.now();
  const lease = deps.delivery.claimLeaseMs;
  const { owed, oldestQueuedAt, candidates, unreadable } = await deps.repository.owedEmails(now);
  reportUnreadable(deps, 'owed email', unreadable);
  const due = candidates.filter((email) => isDue(email, now, lease)).slice(0, MAX_ATTEMPTS_PER_SWEEP);
  const oldestAgeMs = oldestQueuedAt === undefined ? 0 : Math.max(0, now.getTime() - Date.parse(oldestQueuedAt));
  deps.metrics.record('OwedEmails', owed, 'Count');
  deps.metrics.record('OldestOwedEmailAge', Math.round(oldestAgeMs / 1000), 'Seconds');
  const outcomes: Record<SendOutcome, number> = { sent: 0, 'sent-again': 0, deferred: 0, failed: 0, 'not-due': 0 };
  await forEachConcurrently(due, CONCURRENCY, async (ref) => void outcomes[await sendOwedEmail(deps, ref, 'due')]++);
  return { owed, tried: due.length, oldestAgeMs, unreadable: unreadable.length, ...outcomes };
}

/**
 * An owed item this version of the code cannot read (written by another version, or edited by
 * hand) is logged by its key each sweep and left owed: the sweep goes on with the others, and
 * the oldest-owed age alarm fires if it stays (docs/operations.md, "Owed emails piling up").
 */
export function reportUnreadable(deps: Pick<Dependencies, 'log'>, what: string, unreadable: string[]) {
  for (const reason of unreadable) deps.log.error(`an ${what} could not be read and was left owed; the sweep went on with the others`, { reason });
}
