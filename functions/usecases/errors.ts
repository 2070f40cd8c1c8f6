// Errors of the application layer: what went wrong between a request and storage.
// functions/http/problem.ts maps each one to a status code; nothing else does.

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Someone else wrote the case first. Retried internally, or a 412 when the caller sent If-Match. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
}

export class PreconditionFailedError extends Error {
  override name = 'PreconditionFailedError';
}

export class PreconditionRequiredError extends Error {
  override name = 'PreconditionRequiredError';
}

export class IdempotencyKeyReusedError extends Error {
  override name = 'IdempotencyKeyReusedError';
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}
