// Errors an adapter raises through a port, named so the layers above can act on them without
// knowing which AWS service or SDK is behind the port.

/**
 * A dependency (DynamoDB, SES, Step Functions) is throttling or unavailable, and the SDK's own
 * retries did not get through. Nothing was written by the call that failed: the caller may
 * retry (an API client is told `503` with `Retry-After`; a workflow task or a stream batch is
 * retried by Step Functions or Lambda).
 */
export class DependencyUnavailableError extends Error {
  override name = 'DependencyUnavailableError';
  constructor(
    message: string,
    /** A fair wait before trying again, in seconds. */
    readonly retryAfterSeconds = 2,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The mail provider refused this message itself (not the moment): sending it again would fail again. */
export class EmailRejectedError extends Error {
  override name = 'EmailRejectedError';
}

/** Someone else wrote the item first: the expected version is gone. Retried by the caller, or a 412 when the client sent If-Match. */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
}

/** What an optimistic write retries on (with functions/support/retrying.ts): another writer changed the item first. */
export const isVersionConflict = (error: unknown): error is VersionConflictError => error instanceof VersionConflictError;

/** An Idempotency-Key already used with a different request. */
export class IdempotencyKeyReusedError extends Error {
  override name = 'IdempotencyKeyReusedError';
}

/** A page cursor that this list never handed out. */
export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

/**
 * An item read from the store does not have the shape this version of the code reads (written
 * by an older one, or edited by hand). The message names the item and the key; it is an
 * internal failure, never the caller's fault.
 */
export class UnreadableStoredItemError extends Error {
  override name = 'UnreadableStoredItemError';
}
