import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { logger } from '../adapters/logger';

export class TaskInputError extends Error {
  override name = 'TaskInputError';
}

/**
 * A workflow task or event handler: the input is validated (a malformed one is a bug in the
 * ASL or the event source, so it fails loudly and is not retried), then handed to a use case.
 * Logs carry the Lambda context and, when the input names one, the case id.
 */
export function task<S extends z.ZodType, R>(input: S, run: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj<unknown, R, Error, Context>)
    .handler(async (event) => {
      const parsed = input.safeParse(event);
      if (!parsed.success) {
        throw new TaskInputError(`invalid task input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      }
      const caseId = (event as { caseId?: unknown } | null)?.caseId;
      if (typeof caseId === 'string') logger.appendKeys({ caseId });
      return run(parsed.data);
    });
}
