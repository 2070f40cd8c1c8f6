import * as z from 'zod';
import { container } from '../adapters/container';
import { reconcileWorkflows } from '../usecases/deadlines';
import { task } from '../workflow/task';

const deps = container();

/** Runs daily (EventBridge Scheduler on AWS, a timer locally): no open case may lose its deadlines. */
export const handler = task(z.unknown(), () => reconcileWorkflows(deps));
