import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';

export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

/**
 * A workflow task: the input is validated (a malformed one is a bug in the ASL, so it fails
 * loudly and is not retried into success), then handed to a use case.
 */
export function task<S extends z.ZodType, R>(input: S, run: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R, Error, Context>().handler(async (event) => {
    const parsed = input.safeParse(event);
    if (!parsed.success) {
      throw new TaskInputError(`invalid task input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return run(parsed.data);
  });
}
