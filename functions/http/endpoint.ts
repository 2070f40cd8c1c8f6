import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
} from 'aws-lambda';
import type { z } from 'zod';
import { API_CORRELATION_PATH, logger } from '../adapters/logger';
import { HttpProblem, RequestValidationError, toProblem } from './problem';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** Larger bodies are refused before parsing. API Gateway's own limit (10 MB) is far above it. */
export const MAX_BODY_BYTES = 256 * 1024;

interface ApiContext<B, Q> extends LambdaContext {
  principal: string;
  body: B;
  query: Q;
}

export interface ApiRequest<B, Q> {
  event: ApiEvent;
  principal: string;
  body: B;
  query: Q;
  /** Path parameters by name; the route guarantees they exist. */
  params: Record<string, string>;
  /** Request headers, names lower-cased. */
  headers: Record<string, string | undefined>;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface EndpointSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  body?: B;
  /** For an endpoint whose body shape depends on the route (one Lambda, several actions). */
  bodyFor?: (event: ApiEvent) => z.ZodType;
  query?: Q;
  /** For an endpoint whose query shape depends on the route. */
  queryFor?: (event: ApiEvent) => z.ZodType | undefined;
  /** The path parameters' shape (ids are UUIDs): a malformed one is a 400 naming it, never a lookup. */
  path?: z.ZodType;
  /** For an endpoint whose path shape depends on the route. */
  pathFor?: (event: ApiEvent) => z.ZodType | undefined;
  /** Public endpoints skip the caller check (the API Gateway route has no authorizer either). */
  public?: boolean;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
type Middleware = MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext<unknown, unknown>>;

/** Every error becomes RFC 9457 problem+json; a 5xx is logged in full and answered in general terms. */
const problemDetails = (): Middleware => ({
  onError: async (request) => {
    const problem = toProblem(request.error);
    if (problem.status >= 500) logger.error('unhandled error', { error: describe(request.error) });
    request.response = {
      statusCode: problem.status,
      headers: { 'content-type': 'application/problem+json', ...(problem.retryAfter !== undefined && { 'retry-after': String(problem.retryAfter) }) },
      body: JSON.stringify({ ...problem, instance: request.event.rawPath }),
    };
  },
});

function describe(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  return { name: error.name, message: error.message, stack: error.stack, cause: describe(error.cause) };
}

/** The caller as API Gateway's JWT authorizer (or the local gateway) established it. */
const callerIdentity = (): Middleware => ({
  before: async (request) => {
    const claims = request.event.requestContext?.authorizer?.jwt?.claims ?? {};
    const principal = claims.email ?? claims.sub;
    if (typeof principal !== 'string' || principal === '') {
      throw new HttpProblem(401, 'Unauthorized', 'a bearer token is required');
    }
    request.context.principal = principal;
  },
});

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

function readJsonBody(event: ApiEvent): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new HttpProblem(413, 'Payload too large', `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  const contentType = event.headers?.['content-type'] ?? '';
  if (!JSON_MEDIA_TYPE.test(contentType)) {
    throw new HttpProblem(415, 'Unsupported media type', `send the body as application/json (got "${contentType || 'no content-type'}")`);
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new HttpProblem(400, 'Malformed JSON', `the body is not valid JSON: ${(cause as Error).message}`, [
      { path: 'body', message: 'not valid JSON' },
    ], { cause });
  }
}

const validInput = (spec: EndpointSpec<z.ZodType | undefined, z.ZodType | undefined>): Middleware => ({
  before: async (request) => {
    const pathSchema = spec.pathFor ? spec.pathFor(request.event) : spec.path;
    if (pathSchema) {
      const result = pathSchema.safeParse(request.event.pathParameters ?? {});
      if (!result.success) throw new RequestValidationError('path', result.error.issues);
    }
    const rawBody = readJsonBody(request.event);
    const bodySchema = spec.bodyFor ? spec.bodyFor(request.event) : spec.body;
    if (bodySchema) {
      const result = bodySchema.safeParse(rawBody ?? {});
      if (!result.success) throw new RequestValidationError('body', result.error.issues);
      request.context.body = result.data;
    } else if (rawBody !== undefined) {
      throw new HttpProblem(400, 'Invalid request', 'this endpoint takes no body', [{ path: 'body', message: 'unexpected body' }]);
    }
    const querySchema = spec.queryFor ? spec.queryFor(request.event) : spec.query;
    if (querySchema) {
      const result = querySchema.safeParse(request.event.queryStringParameters ?? {});
      if (!result.success) throw new RequestValidationError('query', result.error.issues);
      request.context.query = result.data;
    }
  },
});

/** Wires the shared middleware around one endpoint. Handlers stay a few lines each. */
export function endpoint<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  spec: EndpointSpec<B, Q>,
  handle: (request: ApiRequest<Out<B>, Out<Q>>) => Promise<ApiResponse>,
) {
  const chain = middy<ApiEvent, ApiResult, Error, ApiContext<unknown, unknown>>()
    .use(injectLambdaContext(logger, { correlationIdPath: API_CORRELATION_PATH, resetKeys: true }) as Middleware)
    .use(problemDetails());
  if (!spec.public) chain.use(callerIdentity());
  return chain.use(validInput(spec)).handler(async (event, context) => {
    const response = await handle({
      event,
      principal: context.principal,
      body: context.body as Out<B>,
      query: context.query as Out<Q>,
      params: (event.pathParameters ?? {}) as Record<string, string>,
      headers: event.headers ?? {},
    });
    const isText = typeof response.body === 'string';
    return {
      statusCode: response.status,
      headers: { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...response.headers },
      ...(response.body !== undefined && { body: isText ? (response.body as string) : JSON.stringify(response.body) }),
    };
  });
}
