import { phaseOf } from '../domain/deadline-checks';
import type { Escalation } from '../domain/escalation';
import type { Dependencies } from './escalations';
import { deliverPendingEmails } from './outbox';

// What follows a stored write, off the request path, from the table's stream. Two consumers
// with their own place in the stream, so a burst of emails never delays a workflow start.
// Everything here is idempotent, so a retried batch is harmless. A failure throws: the batch
// is retried, then described in an alarmed queue, and the daily sweep re-arms a missing
// workflow and sends what is still pending.

/** A case item as written, with the version it replaced (none for a new case). */
export interface CaseWrite {
  before?: Escalation;
  after: Escalation;
}

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
  await settleAll([...byCase.values()], async (ofOneCase) => {
    for (const { before, after } of ofOneCase) await followCase(deps, before, after);
  });
}

/** Sends what each case has queued: one pass per case, whoever claims an email first sends it. */
export async function sendQueuedEmails(deps: Dependencies, caseIds: string[]) {
  await settleAll([...new Set(caseIds)], (caseId) => deliverPendingEmails(deps, caseId));
}

async function followCase(deps: Dependencies, before: Escalation | undefined, after: Escalation) {
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

/** Runs every item, at most CONCURRENCY at a time; one failing does not stop the others. */
async function settleAll<T>(items: T[], run: (item: T) => Promise<void>) {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await run(item).catch((error: unknown) => void failures.push(error));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} of ${items.length} failed; the batch will be retried`);
}
