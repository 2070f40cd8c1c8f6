import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context as LambdaContext,
} from 'aws-lambda';
import type { z } from 'zod';
import { API_CORRELATION_PATH, log, logger } from '../adapters/logger';
import { HttpProblem, RequestValidationError, toProblem, type Problem } from './problem';

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

/** Larger bodies are refused before parsing. API Gateway's own limit (10 MB) is far above it. */
export const MAX_BODY_BYTES = 256 * 1024;

/** What the middleware adds to Lambda's context: set by it, absent on the context Lambda passes in. */
interface ApiContext<B, Q> extends LambdaContext {
  principal?: string;
  body?: B;
  query?: Q;
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
  query?: Q;
  /** The path parameters' shape (ids are UUIDs): a malformed one is a 400 naming it, never a lookup. */
  path?: z.ZodType;
  /** Public endpoints skip the caller check (the API Gateway route has no authorizer either). */
  public?: boolean;
  /** The body is an HTML form (application/x-www-form-urlencoded) instead of JSON. */
  form?: boolean;
  /**
   * For routes people open in a browser: an error is answered with this page (same status, the
   * problem's words) unless the client asks for JSON in its Accept header.
   */
  errorPage?: (problem: Problem) => string;
}

/** What a schema parses to (`unknown` where an endpoint has none: it is never read). Zod's own type, so a generic schema stays correlated with its output. */
type Out<S> = z.output<S>;
type Middleware = MiddlewareObj<ApiEvent, ApiResult, Error, ApiContext<unknown, unknown>>;

const WANTS_JSON = /application\/(problem\+)?json/i;

/**
 * Every error becomes RFC 9457 problem+json (or, on a browser route, a page saying the same);
 * a 5xx is logged in full and answered in general terms.
 */
const problemDetails = (errorPage?: (problem: Problem) => string): Middleware => ({
  onError: async (request) => {
    const problem = toProblem(request.error);
    if (problem.status >= 500) log.error('unhandled error', { error: describe(request.error) });
    if (errorPage && !WANTS_JSON.test(request.event.headers?.accept ?? '')) {
      request.response = { statusCode: problem.status, headers: { ...HTML_PAGE_HEADERS, ...(problem.retryAfter !== undefined && { 'retry-after': String(problem.retryAfter) }) }, body: errorPage(problem) };
      return;
    }
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
const FORM_MEDIA_TYPE = /^application\/x-www-form-urlencoded\s*(;|$)/i;

/**
 * What every HTML page of the API is sent with: never cached (it may reflect a one-time link),
 * no referrer (the link is the credential), no framing (a button in someone else's frame is a
 * click they did not mean), nothing loaded or run but the page's own styles and form.
 */
export const HTML_PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function rawBody(event: ApiEvent): Buffer | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  // API Gateway hands over bodies that are not JSON or text base64-encoded (forms among them).
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new HttpProblem(413, 'Payload too large', `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES}`);
  }
  return raw;
}

/** An HTML form's fields; a field sent twice keeps its last value. */
function readFormBody(event: ApiEvent): Record<string, string> | undefined {
  const raw = rawBody(event);
  if (raw === undefined) return undefined;
  const contentType = event.headers?.['content-type'] ?? '';
  if (!FORM_MEDIA_TYPE.test(contentType)) {
    throw new HttpProblem(415, 'Unsupported media type', `send the form as application/x-www-form-urlencoded (got "${contentType || 'no content-type'}")`);
  }
  return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
}

function readJsonBody(event: ApiEvent): unknown {
  const raw = rawBody(event);
  if (raw === undefined) return undefined;
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
    const pathSchema = spec.path;
    if (pathSchema) {
      const result = pathSchema.safeParse(request.event.pathParameters ?? {});
      if (!result.success) throw new RequestValidationError('path', result.error.issues);
    }
    const body = spec.form ? readFormBody(request.event) : readJsonBody(request.event);
    const bodySchema = spec.body;
    if (bodySchema) {
      const result = bodySchema.safeParse(body ?? {});
      if (!result.success) throw new RequestValidationError('body', result.error.issues);
      request.context.body = result.data;
    } else if (body !== undefined) {
      throw new HttpProblem(400, 'Invalid request', 'this endpoint takes no body', [{ path: 'body', message: 'unexpected body' }]);
    }
    const querySchema = spec.query;
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
    .use(problemDetails(spec.errorPage));
  if (!spec.public) chain.use(callerIdentity());
  return chain.use(validInput(spec)).handler(async (event, context) => {
    const response = await handle({
      event,
      // Set by callerIdentity on every route but a public one, which has no caller to name.
      principal: context.principal ?? '',
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

type ApiHandler = (event: ApiEvent, context: LambdaContext) => Promise<ApiResult>;

/**
 * One Lambda serving several routes: each route is its own endpoint, typed by its own schemas,
 * and API Gateway's route key picks it. A route the table (http/routes.ts) sends here but this
 * list lacks is a programming error: tests/integration/random-input.test.ts calls every route.
 */
export function byRoute(endpoints: Record<string, ApiHandler>): ApiHandler {
  return (event, context) => {
    const serve = endpoints[event.routeKey];
    if (!serve) throw new Error(`no endpoint for route "${event.routeKey}" in this function; routes: ${Object.keys(endpoints).join(', ')}`);
    return serve(event, context);
  };
}
