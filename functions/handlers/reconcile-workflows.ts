import * as z from 'zod';
import { container } from '../adapters/container';
import { stepFunctionsWorkflow } from '../adapters/sfn-workflow';
import { reconcileWorkflows } from '../usecases/deadlines';
import { task } from '../workflow/task';

const deps = container({ workflow: stepFunctionsWorkflow });

/** Runs daily (EventBridge Scheduler on AWS, a timer locally): the last line behind the stream and the re-arm on failed executions. */
export const handler = task(z.unknown(), () => reconcileWorkflows(deps));
