import { container } from '../adapters/container';
import { sesMailer } from '../adapters/ses-mailer';
import { queuedEmailOf, recordsOf, StreamEvent } from '../adapters/stored-changes';
import { sendQueuedEmails } from '../usecases/outbox';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer });

/**
 * Emails queued in the outbox, from the table's stream: each claimed and sent once. A send
 * that fails is scheduled for retry (resend-owed-emails takes it from there), so only a
 * failure to record the outcome fails the batch.
 */
export const handler = task(StreamEvent, async (event) => {
  const emails = recordsOf(event).flatMap((record) => queuedEmailOf(record) ?? []);
  await sendQueuedEmails(deps, emails);
  return { emails: emails.length };
});
