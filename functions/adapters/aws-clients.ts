import { DependencyUnavailableError } from '../ports/errors';

/** The AWS services this code calls, by the name their SDK client answers to. */
export type AwsService = 'dynamodb' | 'sesv2' | 'sfn' | 'secrets-manager' | 's3' | 'events';

/** The slice of an SDK v3 client this module touches: its middleware stack and its config. */
export interface AwsClient {
  middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string; priority?: 'high' | 'low' | 'normal' }): void };
  config: object;
}

/**
 * Attempts per call, the SDK's standard retry strategy (exponential backoff with jitter, a
 * retry quota per client). DynamoDB throttles in bursts, and every read and write of the table
 * is safe to repeat (writes are conditional or idempotent), so it gets more attempts; SES and
 * Step Functions calls sit behind retries of their own (the outbox, the stream, the workflow).
 */
const MAX_ATTEMPTS: Record<AwsService, number> = { dynamodb: 6, sesv2: 3, sfn: 4, 'secrets-manager': 4, s3: 4, events: 4 };

/** Options every client is built with: the standard retry strategy and, locally only, an endpoint. */
export function clientOptions(service: AwsService, endpoint?: string) {
  return { retryMode: 'standard', maxAttempts: MAX_ATTEMPTS[service], ...(endpoint && { endpoint }) };
}

// The SDK's own throttling and transient classes (AWS SDK v3, @smithy/core retry), which it
// retries; one that survives every attempt becomes a DependencyUnavailableError.
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ServiceUnavailable', 'ServiceUnavailableException', 'InternalServerError', 'InternalFailure']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Whether an SDK error means "not now" (throttled, unavailable, unreachable) rather than "not this". */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: string }).code;
  return THROTTLING.has(error.name) || TRANSIENT.has(error.name) || (status !== undefined && (status === 429 || status >= 500)) || (code !== undefined && NETWORK.has(code));
}

/** Local only: the offline stack adds fault injection (and IAM checks) to every client a handler makes. */
export type ClientInstrumentation = (client: AwsClient, service: AwsService) => void;
let instrumentation: ClientInstrumentation | undefined;

export function instrumentAwsClients(instrument: ClientInstrumentation | undefined) {
  instrumentation = instrument;
}

/**
 * Every SDK client a handler uses is made through here, once per container: a failure the
 * SDK's retries could not get past turns into a DependencyUnavailableError (an API answers
 * 503 with Retry-After; a task or a stream batch is retried).
 */
export function awsClient<C extends AwsClient>(service: AwsService, client: C): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        throw new DependencyUnavailableError(`${service} is throttling or unavailable: ${(error as Error).name}: ${(error as Error).message}`, 2, { cause: error });
      }
    },
    { step: 'initialize', name: 'dependencyUnavailable', priority: 'high' },
  );
  instrumentation?.(client, service);
  return client;
}
