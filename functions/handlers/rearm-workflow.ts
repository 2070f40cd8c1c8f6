import * as z from 'zod';
import { container } from '../adapters/container';
import { parseExecutionName } from '../ports/workflow';
import { rearmAfterExecutionEnded } from '../usecases/deadlines';
import { task } from '../workflow/task';

const deps = container();

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
/**
 * Step Functions' "Execution Status Change" event (EventBridge on AWS; the local engine sends
 * the same shape) for an execution of the escalation workflow that failed, timed out or was
 * stopped: the case it served is re-armed if it still needs watching.
 */
export const ExecutionStatusChange = z.lazy(() =>
  z.object({
    source: z.literal('aws.states'),
    'detail-type': z.literal('Step Functions Execution Status Change'),
    detail: z.object({
      name: z.string().min(1),
      status: z.enum(['FAILED', 'TIMED_OUT', 'ABORTED']),
    }),
  }),
);

export const handler = task(ExecutionStatusChange, async (event) => {
  const execution = parseExecutionName(event.detail.name);
  if (!execution) return { rearmed: false, reason: `not an escalation execution: ${event.detail.name}` };
  return rearmAfterExecutionEnded(deps, { ...execution, status: event.detail.status });
});
