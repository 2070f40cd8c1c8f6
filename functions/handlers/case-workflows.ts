import { container } from '../adapters/container';
import { stepFunctionsWorkflow } from '../adapters/sfn-workflow';
import { caseWriteOf, recordsOf, StreamEvent } from '../adapters/stored-changes';
import { followCaseWrites } from '../usecases/case-changes';
import { task } from '../workflow/task';

const deps = container({ workflow: stepFunctionsWorkflow });

/** Case items written, from the table's stream: starts and stops the case's workflow. */
export const handler = task(StreamEvent, async (event) => {
  const writes = recordsOf(event).flatMap((record) => caseWriteOf(record) ?? []);
  await followCaseWrites(deps, writes);
  return { followed: writes.length };
});
