import * as z from 'zod';
import { container } from '../adapters/container';
import { sesMailer } from '../adapters/ses-mailer';
import { stepFunctionsWorkflow } from '../adapters/sfn-workflow';
import { reconcileWorkflows } from '../usecases/deadlines';
import { task } from '../workflow/task';

const deps = container({ mailer: sesMailer, workflow: stepFunctionsWorkflow });

/** Runs daily (EventBridge Scheduler on AWS, a timer locally): no open case may lose its deadlines. */
export const handler = task(z.unknown(), () => reconcileWorkflows(deps));
