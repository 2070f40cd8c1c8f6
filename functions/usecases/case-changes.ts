import { phaseOf } from '../domain/deadline-checks';
import { contactsAddedTo } from '../domain/lifecycle';
import type { Escalation } from '../domain/escalation';
import { forEachConcurrently } from '../support/concurrently';
import type { Dependencies } from '../ports/dependencies';
import type { CaseWrite } from '../ports/stored-changes';

// What follows a stored case write, off the request path, from the table's stream (the other
// consumer, for queued emails, is usecases/outbox.ts): the contact directory learns the case's
// new contacts, and the case's workflow is started or stopped. Everything here is idempotent, so a
// retried batch is harmless. A failure throws: the batch is retried, then described in an
// alarmed queue, and the daily sweep starts any workflow still missing.


/** Cases handled side by side within one batch: enough to hide SES and Step Functions latency, few enough to stay under their rate limits. */
const CONCURRENCY = 16;

/**
 * A new case or generation gets its execution (and the superseded one is stopped); a case
 * that just finished has its execution stopped. Each case's writes are followed in order.
 */
export async function followCaseWrites(deps: Dependencies, writes: CaseWrite[]) {
  const byCase = new Map<string, CaseWrite[]>();
  for (const write of writes) {
    const ofOneCase = byCase.get(write.after.id) ?? [];
    ofOneCase.push(write);
    byCase.set(write.after.id, ofOneCase);
  }
  await forEachConcurrently([...byCase.values()], CONCURRENCY, async (ofOneCase) => {
    for (const { before, after } of ofOneCase) await followCase(deps, before, after);
  });
}

async function followCase(deps: Dependencies, before: Escalation | undefined, after: Escalation) {
  const learnt = before ? contactsAddedTo(before.customer.contacts, after.customer.contacts) : after.customer.contacts;
  if (learnt.length) await deps.repository.rememberContacts(after, learnt);
  if (!before || after.generation !== before.generation) {
    try {
      await deps.workflow.start(after.id, after.generation);
    } catch (error) {
      deps.metrics.record('WorkflowStartFailures', 1, 'Count');
      throw error;
    }
    if (before) await deps.workflow.stop(after.id, before.generation, `superseded by generation ${after.generation}`);
  } else if (phaseOf(after) === 'finished' && phaseOf(before) !== 'finished') {
    await deps.workflow.stop(after.id, after.generation, `escalation ${after.status}`);
  }
}
