import type { z } from 'zod';
import type { Problem as ProblemSchema } from '../schemas/problem';
import { AlreadyAnsweredError, DomainError, IllegalTransitionError, RuleViolationError } from '../domain/errors';
import { ExpiredSurveyTokenError, InvalidSurveyTokenError } from '../domain/survey-token';
import { DependencyUnavailableError, IdempotencyKeyReusedError, InvalidCursorError } from '../ports/errors';
import { CaseBusyError, NotFoundError, PreconditionFailedError, PreconditionRequiredError, WebhookTargetError } from '../usecases/errors';

export interface FieldError {
  path: string;
  message: string;
}

/** An error that already knows its HTTP answer; raised by the HTTP layer itself. */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

export class RequestValidationError extends HttpProblem {
  override name = 'RequestValidationError';
  constructor(where: 'body' | 'query' | 'path', issues: z.core.$ZodIssue[]) {
    const errors = issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].join('.'),
      message: issue.message,
    }));
    super(400, 'Invalid request', `the request ${where} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  }
}

/** An error as the API answers it; the OpenAPI document describes the same schema. */
export type Problem = z.output<typeof ProblemSchema>;

const TYPE_BASE = 'https://escalation-api.dev/problems/';
const slug = (title: string) => TYPE_BASE + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');

function problem(status: number, title: string, detail?: string, extra: Partial<Problem> = {}): Problem {
  return { type: slug(title), title, status, ...(detail && { detail }), ...extra };
}

/** The one place an error becomes an HTTP answer. Anything unknown is a 500 that says nothing internal. */
export function toProblem(error: unknown): Problem {
  if (error instanceof HttpProblem) return problem(error.status, error.title, error.message, error.errors && { errors: error.errors });
  if (error instanceof IllegalTransitionError) return problem(409, 'Illegal transition', error.message, { allowed: error.allowed });
  if (error instanceof AlreadyAnsweredError) return problem(409, 'Already answered', error.message);
  if (error instanceof RuleViolationError) {
    return problem(409, 'Rule violation', error.message, error.field ? { errors: [{ path: `body.${error.field}`, message: error.message }] } : {});
  }
  if (error instanceof DomainError) return problem(409, 'Conflict', error.message);
  if (error instanceof NotFoundError) return problem(404, 'Not found', error.message);
  // A genuine link past its date is gone for good (410); anything else that is not ours, forbidden.
  if (error instanceof ExpiredSurveyTokenError) return problem(410, 'Survey link expired', error.message);
  if (error instanceof InvalidSurveyTokenError) return problem(403, 'Invalid survey link', error.message);
  // Only a stale If-Match the client sent: a writer without one is retried, never refused a race.
  if (error instanceof PreconditionFailedError) return problem(412, 'Precondition failed', error.message);
  if (error instanceof PreconditionRequiredError) return problem(428, 'Precondition required', error.message);
  if (error instanceof IdempotencyKeyReusedError) return problem(422, 'Idempotency key reused', error.message);
  if (error instanceof WebhookTargetError) {
    return problem(400, 'Invalid request', `the webhook URL is not allowed: ${error.message}`, { errors: [{ path: `body.${error.field}`, message: error.message }] });
  }
  if (error instanceof InvalidCursorError) {
    return problem(400, 'Invalid request', error.message, { errors: [{ path: 'query.cursor', message: error.message }] });
  }
  // Throttled or down after the SDK's retries, or a case too busy to write now: nothing was stored.
  if (error instanceof DependencyUnavailableError || error instanceof CaseBusyError) {
    return problem(503, 'Service unavailable', 'the service is busy; nothing was stored. Retry after the time in Retry-After (with the same Idempotency-Key, if you sent one).', {
      retryAfter: error.retryAfterSeconds,
    });
  }
  return problem(500, 'Internal error', 'something went wrong on our side; the request id in the logs identifies it');
}
