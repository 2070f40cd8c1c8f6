import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context as LambdaContext } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../functions/http/endpoint';
import { oauthScope, ROUTES, SCOPES_IN_USE, type Route, type Scope } from '../functions/http/routes';
import { FaultSettings, type FaultSwitch } from './faults';

/** API Gateway's own payload limit; larger requests never reach a Lambda. */
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export type ApiHandler = (event: ApiEvent, context: LambdaContext) => Promise<ApiResult>;

export interface GatewayOptions {
  port: number;
  host?: string;
  /** The bearer tokens the gateway accepts and the scopes each carries (it plays API Gateway's JWT authorizer). */
  tokens: LocalTokens;
  /** Who the token stands for on the timeline. */
  principal: string;
  handlers: Record<string, ApiHandler>;
  /** Local-only pages (the dashboard), served as they are at these paths. */
  pages?: Record<string, string>;
  /** `npm start -- --faults`: serve the fault switch at /_local/faults (never deployed). */
  faults?: FaultSwitch;
}

/** Where the fault switch answers, beside the API; the `_local` prefix is no route of the API's. */
export const FAULTS_PATH = '/_local/faults';
/** The fault switch changes how the whole stack behaves: an operator's call. */
export const FAULTS_SCOPE: Scope = 'admin';

/**
 * The local stand-ins for access tokens: one carrying every scope (API_TOKEN), and one per
 * scope the routes use carrying that scope alone, so a read-only client is refused a write
 * locally as the JWT authorizer refuses it on AWS.
 */
export interface LocalTokens {
  allScopes: string;
  byScope: Record<Scope, string>;
}

/**
 * The per-scope tokens are derived from the all-scopes one (an HMAC of the scope's name), so a
 * fixed API_TOKEN gives the same scoped tokens on every start.
 */
export function issueLocalTokens(allScopes: string): LocalTokens {
  const byScope = Object.fromEntries(SCOPES_IN_USE.map((scope) => [scope, createHmac('sha256', allScopes).update(oauthScope(scope)).digest('base64url').slice(0, 24)])) as Record<Scope, string>;
  return { allScopes, byScope };
}

/** The scopes of the presented bearer token; undefined when there is none, or it is not one of ours (401). */
function scopesOf(header: string | undefined, tokens: LocalTokens): Scope[] | undefined {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? '')?.[1]?.trim();
  if (!presented) return undefined;
  if (sameToken(presented, tokens.allScopes)) return [...SCOPES_IN_USE];
  const scope = (Object.keys(tokens.byScope) as Scope[]).find((candidate) => sameToken(presented, tokens.byScope[candidate]));
  return scope ? [scope] : undefined;
}

export interface Gateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

type CompiledRoute = Route & {
  pattern: RegExp;
  names: string[];
};

const compiled: CompiledRoute[] = ROUTES.map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), names };
});

/** Loads every handler module the route table names, the same files CDK bundles. */
export async function loadHandlers(): Promise<Record<string, ApiHandler>> {
  const names = [...new Set(ROUTES.map((route) => route.handler))];
  const modules = await Promise.all(names.map((name) => import(`../functions/handlers/${name}.ts`)));
  return Object.fromEntries(names.map((name, i) => [name, modules[i].handler as ApiHandler]));
}

function problem(res: ServerResponse, status: number, title: string, detail: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/problem+json', ...headers });
  res.end(JSON.stringify({ type: `https://escalation-api.dev/problems/${title.toLowerCase().replace(/\W+/g, '-')}`, title, status, detail }));
}

function sameToken(presented: string, token: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The authorizer's part: 401 without a token we issued, 403 with one lacking the scope (as the
 * HTTP API's JWT authorizer answers, here in problem+json with RFC 6750's challenge). Returns
 * the token's scopes when it may pass.
 */
function authorize(req: IncomingMessage, res: ServerResponse, tokens: LocalTokens, scope: Scope, what: string): Scope[] | undefined {
  const scopes = scopesOf(req.headers.authorization, tokens);
  if (!scopes) {
    problem(res, 401, 'Unauthorized', 'send Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' });
    return undefined;
  }
  if (!scopes.includes(scope)) {
    problem(res, 403, 'Forbidden', `${what} needs the scope ${oauthScope(scope)}; this token carries ${scopes.map(oauthScope).join(', ')}`, {
      'www-authenticate': `Bearer error="insufficient_scope", scope="${oauthScope(scope)}"`,
    });
    return undefined;
  }
  return scopes;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > GATEWAY_MAX_BODY_BYTES) return 'too-large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > GATEWAY_MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Which bodies API Gateway hands over as text; any other (a form among them) arrives base64-encoded. */
function isTextual(contentType: string | undefined) {
  return !contentType || /json|text|xml/i.test(contentType);
}

/** Builds the event API Gateway (HTTP API, payload 2.0) would deliver for this request. */
function toEvent(req: IncomingMessage, url: URL, route: CompiledRoute, params: Record<string, string>, body: Buffer, principal: string, scopes: Scope[]): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  const textual = isTextual(headers['content-type']);
  const routeKey = `${route.method} ${route.path}`;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length && { queryStringParameters: query }),
    ...(route.names.length && { pathParameters: params }),
    ...(body.length > 0 && { body: textual ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !textual,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: { method: route.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      authorizer: { principalId: principal, integrationLatency: 0, jwt: { claims: route.scope ? { sub: principal, scope: scopes.map(oauthScope).join(' ') } : {}, scopes: route.scope ? scopes.map(oauthScope) : [] } },
    },
  } as ApiEvent;
}

function lambdaContext(name: string, requestId: string): LambdaContext {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    // API Gateway gives up after 30 s; a loaded laptop (or CI) must not fail sooner than that.
    getRemainingTimeInMillis: () => Math.max(0, 29_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Path parameters, percent-decoded as API Gateway does; undefined when one is malformed (API Gateway answers 400). */
function decodeParams(names: string[], values: string[]): Record<string, string> | undefined {
  try {
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(values[i]!)]));
  } catch {
    return undefined;
  }
}

/** GET shows the fault settings; PUT replaces them (what a body leaves out goes back to no fault). */
async function faultSwitch(req: IncomingMessage, res: ServerResponse, faults: FaultSwitch, tokens: LocalTokens) {
  if (!authorize(req, res, tokens, FAULTS_SCOPE, `${req.method} ${FAULTS_PATH}`)) return;
  const answer = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET') return answer(200, { ...faults.settings, counters: faults.counters });
  if (req.method !== 'PUT') return problem(res, 405, 'Method not allowed', `use GET or PUT on ${FAULTS_PATH}`, { allow: 'GET, PUT' });
  const body = await readBody(req);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body === 'too-large' ? '' : body.toString('utf8'));
  } catch {
    return problem(res, 400, 'Malformed JSON', 'send the fault settings as a JSON object');
  }
  const settings = FaultSettings.safeParse(parsed);
  if (!settings.success) {
    res.writeHead(400, { 'content-type': 'application/problem+json' });
    return res.end(
      JSON.stringify({
        type: 'https://escalation-api.dev/problems/invalid-request',
        title: 'Invalid request',
        status: 400,
        detail: 'the fault settings are invalid',
        errors: settings.error.issues.map((issue) => ({ path: ['body', ...issue.path.map(String)].join('.'), message: issue.message })),
      }),
    );
  }
  return answer(200, faults.set(settings.data));
}

/** A small stand-in for API Gateway: the route table, the authorizer with its scopes, payload limits, v2 events. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const page = req.method === 'GET' ? options.pages?.[url.pathname] : undefined;
      if (page !== undefined) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
        return res.end(page);
      }
      if (url.pathname === FAULTS_PATH && options.faults) return await faultSwitch(req, res, options.faults, options.tokens);
      const candidates = compiled.filter((route) => route.pattern.test(url.pathname));
      const route = candidates.find((candidate) => candidate.method === req.method);
      if (!route) {
        if (candidates.length) {
          const allow = candidates.map((candidate) => candidate.method).join(', ');
          return problem(res, 405, 'Method not allowed', `${req.method} is not served on ${url.pathname}; use ${allow}`, { allow });
        }
        return problem(res, 404, 'Not found', `no route for ${req.method} ${url.pathname}`);
      }
      const scopes = route.scope ? authorize(req, res, options.tokens, route.scope, `${route.method} ${route.path}`) : [];
      if (!scopes) return;
      const body = await readBody(req);
      if (body === 'too-large') {
        res.setHeader('connection', 'close');
        return problem(res, 413, 'Payload too large', `requests are limited to ${GATEWAY_MAX_BODY_BYTES} bytes`);
      }
      const match = route.pattern.exec(url.pathname)!;
      const params = decodeParams(route.names, match.slice(1));
      if (!params) return problem(res, 400, 'Invalid request', `the path ${url.pathname} has malformed percent-encoding`);
      const event = toEvent(req, url, route, params, body, options.principal, scopes);
      const handler = options.handlers[route.handler];
      if (!handler) throw new Error(`no handler loaded for ${route.handler}`);
      const result = await handler(event, lambdaContext(route.handler, event.requestContext.requestId));
      res.writeHead(result.statusCode ?? 200, { ...(result.headers as Record<string, string>), 'x-request-id': event.requestContext.requestId });
      res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? ''));
    } catch (error) {
      console.error('local gateway:', error);
      if (!res.headersSent) problem(res, 500, 'Internal error', 'the local gateway failed; see its log');
      else res.end();
    }
  });
  // Node closes idle keep-alive sockets after 5 s; a client reusing one at that moment gets
  // ECONNRESET. Keep them longer than any client's idle pool, as load balancers do.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    server,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
