// Errors of the application layer: what went wrong between a request and storage.
// functions/http/problem.ts maps each one to a status code; nothing else does.

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
}

export class PreconditionRequiredError extends Error {
  override name = 'PreconditionRequiredError';
}

/**
 * So many writers changed one case at once that ours kept losing the race within the time a
 * request has. Nothing was stored; the client may retry (503 with Retry-After).
 */
export class CaseBusyError extends Error {
  override name = 'CaseBusyError';
  readonly retryAfterSeconds = 1;
}

/** A webhook URL the stage does not allow (functions/domain/webhook-targets.ts): a 400 naming the field. */
export class WebhookTargetError extends Error {
  override name = 'WebhookTargetError';
  readonly field = 'url';
}
