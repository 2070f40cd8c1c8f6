import { Readable } from 'node:stream';
import type { AwsService } from '../functions/adapters/aws-clients';

/**
 * What the local stack's checks see of an SDK call, and what they answer instead of AWS: the
 * fault switch (local/faults.ts) and the IAM check (local/iam-enforcement.ts) both sit between a
 * handler's SDK client and the network, in the client's `requestHandler`.
 */
export interface HttpRequest {
  method: string;
  hostname?: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}
export interface HttpAnswer {
  response: { statusCode: number };
}
export interface RequestHandler {
  handle(request: HttpRequest, options?: unknown): Promise<HttpAnswer>;
}

/** The handler's client's own request handler, and a way to put another in front of it. */
export function interpose(client: { config: object }, wrap: (inner: RequestHandler) => RequestHandler) {
  const config = client.config as { requestHandler: RequestHandler };
  config.requestHandler = wrap(config.requestHandler);
}

/** Header values by lower-case name (the SDK's casing varies by protocol). */
export function header(request: HttpRequest, name: string): string | undefined {
  const found = Object.keys(request.headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : request.headers[found];
}

/** The operation of a JSON-protocol call (DynamoDB, Step Functions, Secrets Manager): the end of its X-Amz-Target. */
export function jsonTarget(request: HttpRequest): string {
  return (header(request, 'x-amz-target') ?? '').split('.').pop() ?? '';
}

/** The operation name of a call, as the fault switch names it: the JSON target, SES's SendEmail, or method and path. */
export function operationOf(service: AwsService, request: HttpRequest): string {
  if (service === 'dynamodb' || service === 'sfn' || service === 'secrets-manager' || service === 'events') return jsonTarget(request);
  if (service === 'sesv2' && request.method === 'POST' && request.path.endsWith('/v2/email/outbound-emails')) return 'SendEmail';
  return `${request.method} ${request.path}`;
}

export function jsonBody(request: HttpRequest): Record<string, unknown> {
  // The SDK hands the body over as bytes; read them as bytes (its string view warns on use).
  const bytes = request.body;
  const text = bytes === undefined ? '' : bytes instanceof Uint8Array ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : String(bytes);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** An AWS error answer as the service's protocol shapes it (JSON `__type`, or REST-JSON's error-type header). */
export function awsJson(statusCode: number, contentType: string, body: object, errorType?: string) {
  return awsAnswer(statusCode, contentType, JSON.stringify(body), errorType);
}

/** An AWS answer with a body of any content type (S3 answers errors in XML). */
export function awsAnswer(statusCode: number, contentType: string, text: string, errorType?: string) {
  return {
    statusCode,
    reason: undefined,
    headers: { 'content-type': contentType, 'x-amzn-requestid': 'local', ...(errorType && { 'x-amzn-errortype': errorType }) },
    // A fresh stream per use: the SDK reads the body once.
    get body() {
      return Readable.from([Buffer.from(text)]);
    },
  };
}
