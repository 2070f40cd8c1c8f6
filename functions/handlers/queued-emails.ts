import { container } from '../adapters/container';
import { sesMailer } from '../adapters/ses-mailer';
import { queuedEmailOf, recordsOf, StreamEvent } from '../adapters/stored-changes';
import { sendQueuedEmails } from '../usecases/case-changes';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer });

/** Emails queued in the outbox, from the table's stream: sent, each once. */
export const handler = task(StreamEvent, async (event) => {
  const caseIds = recordsOf(event).flatMap((record) => queuedEmailOf(record) ?? []);
  await sendQueuedEmails(deps, caseIds);
  return { cases: new Set(caseIds).size };
});
