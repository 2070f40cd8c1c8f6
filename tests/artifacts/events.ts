import { randomUUID } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { ROUTES, type Route } from '../../functions/http/routes';
import type { CfnTemplate } from './synth';

/**
 * The events each function's real source delivers, built from the synthesized template where
 * it says something about them (routes, authorizer, filters, topics, receipt rule), so a smoke
 * event is what that source would send to the function as deployed.
 */

// ---------------------------------------------------------------------------------------------
// API Gateway HTTP API (payload format 2.0) with its JWT authorizer

export interface TemplateRoute {
  routeKey: string;
  authorizationType: string;
  scopes: string[];
  /** The function the route's integration invokes. */
  functionLogicalId: string;
  payloadFormatVersion: string;
}

export interface HttpApiView {
  apiId: string;
  issuer: string;
  audience: string[];
  routes: Map<string, TemplateRoute>;
}

/** The HTTP API as the template deploys it: routes with their integration's function, scopes and the JWT authorizer. */
export function httpApiOf(template: CfnTemplate, apiId: string): HttpApiView {
  const resources = Object.entries(template.Resources);
  const authorizers = resources.filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Authorizer');
  if (authorizers.length !== 1) throw new Error(`expected one HTTP API authorizer in the template, found ${authorizers.length}`);
  const jwt = authorizers[0]![1].Properties!.JwtConfiguration as { Issuer: string; Audience: string[] };
  const routes = new Map<string, TemplateRoute>();
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
    const properties = resource.Properties!;
    const integrationId = (JSON.stringify(properties.Target).match(/"Ref":"([^"]+)"/) ?? [])[1];
    const integration = integrationId ? template.Resources[integrationId] : undefined;
    const functionLogicalId = integration?.Properties?.IntegrationUri?.['Fn::GetAtt']?.[0];
    if (!functionLogicalId) throw new Error(`route ${logicalId} (${properties.RouteKey}) has no Lambda integration the tier understands`);
    routes.set(properties.RouteKey, {
      routeKey: properties.RouteKey,
      authorizationType: properties.AuthorizationType ?? 'NONE',
      scopes: properties.AuthorizationScopes ?? [],
      functionLogicalId,
      payloadFormatVersion: integration!.Properties!.PayloadFormatVersion,
    });
  }
  return { apiId, issuer: jwt.Issuer, audience: jwt.Audience, routes };
}

export interface ApiRequest {
  method: Route['method'];
  /** A concrete path: /escalations/1234. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** A form: API Gateway hands over a body that is neither JSON nor text base64-encoded. */
  form?: Record<string, string>;
}

/** Who calls the API in the smoke events: a token from the template's issuer, for its audience, with every scope. */
export const CALLER = { sub: 'artifact-tier-user', email: 'tier@example.test', scopes: ['escalations/read', 'escalations/write', 'escalations/admin'] };

/**
 * The route of functions/http/routes.ts that serves the request, and the event API Gateway
 * delivers for it to the function the template's route integrates: path parameters, query,
 * headers, and for a JWT route the authorizer's claims and scopes (API Gateway would answer 403
 * itself, without invoking anything, if the token lacked the route's scopes).
 */
export function apiEvent(api: HttpApiView, request: ApiRequest, region: string) {
  const route = ROUTES.find((candidate) => candidate.method === request.method && patternOf(candidate.path).test(request.path));
  if (!route) throw new Error(`functions/http/routes.ts has no route for ${request.method} ${request.path}`);
  const routeKey = `${route.method} ${route.path}`;
  const deployed = api.routes.get(routeKey);
  if (!deployed) throw new Error(`the template has no route ${routeKey} (functions/http/routes.ts has it)`);
  if (deployed.payloadFormatVersion !== '2.0') throw new Error(`route ${routeKey} integrates with payload format ${deployed.payloadFormatVersion}, not 2.0`);
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const values = patternOf(route.path).exec(request.path)!.slice(1);
  const pathParameters = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(values[index]!)]));
  const rawQueryString = new URLSearchParams(request.query ?? {}).toString();
  const formBody = request.form && new URLSearchParams(request.form).toString();
  const body = formBody ?? (request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
  const domainName = `${api.apiId}.execute-api.${region}.amazonaws.com`;
  const now = Date.now();
  const jwtRoute = deployed.authorizationType === 'JWT';
  if (jwtRoute && !deployed.scopes.some((scope) => CALLER.scopes.includes(scope))) throw new Error(`the tier's token lacks every scope of ${routeKey} (${deployed.scopes.join(', ')})`);
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: domainName,
    'user-agent': 'artifact-tier/1.0',
    'x-amzn-trace-id': `Root=1-${now.toString(16).slice(0, 8)}-${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(jwtRoute && { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.artifact-tier.token' }),
    ...(body !== undefined && { 'content-type': formBody ? 'application/x-www-form-urlencoded' : 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
    ...Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
  };
  const seconds = Math.floor(now / 1000);
  const event = {
    version: '2.0',
    routeKey,
    rawPath: request.path,
    rawQueryString,
    headers,
    ...(request.query && Object.keys(request.query).length > 0 && { queryStringParameters: request.query }),
    ...(names.length > 0 && { pathParameters }),
    requestContext: {
      accountId: 'anonymous',
      apiId: api.apiId,
      ...(jwtRoute && {
        authorizer: {
          jwt: {
            claims: { sub: CALLER.sub, email: CALLER.email, iss: api.issuer, aud: api.audience[0]!, scope: CALLER.scopes.join(' '), iat: String(seconds), exp: String(seconds + 3600) },
            scopes: CALLER.scopes,
          },
        },
      }),
      domainName,
      domainPrefix: api.apiId,
      http: { method: route.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: headers['user-agent'] },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body !== undefined && { body: formBody ? Buffer.from(formBody).toString('base64') : body }),
    isBase64Encoded: formBody !== undefined,
  };
  return { route, functionLogicalId: deployed.functionLogicalId, event };
}

function patternOf(path: string) {
  return new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`);
}

// ---------------------------------------------------------------------------------------------
// DynamoDB stream through an event source mapping with filter criteria

export interface StreamMapping {
  functionLogicalId: string;
  batchSize: number;
  /** The mapping's filter patterns (JSON); a record is delivered if any matches. */
  patterns: unknown[];
}

/** The table-stream event source mappings of the template, by the function they feed. */
export function streamMappingsOf(template: CfnTemplate): Map<string, StreamMapping> {
  const mappings = new Map<string, StreamMapping>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::EventSourceMapping') continue;
    const properties = resource.Properties!;
    if (!JSON.stringify(properties.EventSourceArn).includes('StreamArn')) continue;
    const functionLogicalId = properties.FunctionName?.Ref;
    mappings.set(functionLogicalId, {
      functionLogicalId,
      batchSize: properties.BatchSize ?? 100,
      patterns: (properties.FilterCriteria?.Filters ?? []).map((filter: { Pattern: string }) => JSON.parse(filter.Pattern)),
    });
  }
  return mappings;
}

/** Lambda event filtering: does the record match any of the patterns (none: every record)? */
export function passesFilters(record: DynamoDBRecord, patterns: unknown[]): boolean {
  return patterns.length === 0 || patterns.some((pattern) => matches(record, pattern));
}

function matches(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.some((rule) => matchesRule(value, rule));
  if (pattern && typeof pattern === 'object') {
    if (!value || typeof value !== 'object') return false;
    return Object.entries(pattern).every(([key, inner]) => matches((value as Record<string, unknown>)[key], inner));
  }
  throw new Error(`filter pattern ${JSON.stringify(pattern)}: a field's rule must be an array or an object`);
}

function matchesRule(value: unknown, rule: unknown): boolean {
  if (rule === null || typeof rule === 'string' || typeof rule === 'number' || typeof rule === 'boolean') return value === rule;
  const [operator, operand] = Object.entries(rule as Record<string, unknown>)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'suffix':
      return typeof value === 'string' && value.endsWith(String(operand));
    case 'exists':
      return (value !== undefined) === operand;
    case 'anything-but':
      return value !== undefined && ![operand].flat().includes(value);
  }
  throw new Error(`filter operator ${operator} is not understood by tests/artifacts/events.ts: add it`);
}

// ---------------------------------------------------------------------------------------------
// SNS (the SES configuration set's event destination) and SES receipt rules

/** The SNS event that delivers one SES bounce notification from the configuration set's topic. */
export function sesBounceViaSns(topicArn: string, subscriptionArn: string, bounce: { messageId: string; recipient: string; source: string; configurationSet: string }) {
  const at = new Date().toISOString();
  const message = {
    eventType: 'Bounce',
    bounce: {
      feedbackId: `${randomUUID()}-000000`,
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedRecipients: [{ emailAddress: bounce.recipient, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }],
      timestamp: at,
      reportingMTA: 'dsn; a1-2.smtp-out.amazonses.com',
    },
    mail: {
      timestamp: at,
      source: bounce.source,
      sendingAccountId: '000000000000',
      messageId: bounce.messageId,
      destination: [bounce.recipient],
      headersTruncated: false,
      tags: { 'ses:configuration-set': [bounce.configurationSet] },
    },
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: JSON.stringify(message),
          Timestamp: at,
          SignatureVersion: '1',
          Signature: 'artifact-tier',
          SigningCertUrl: 'https://sns.amazonaws.com/cert.pem',
          UnsubscribeUrl: 'https://sns.amazonaws.com/unsubscribe',
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** The event an SES receipt rule's Lambda action delivers (the rule's S3 action has stored the message already). */
export function sesReceipt(functionArn: string, mail: { messageId: string; source: string; recipients: string[]; subject: string }) {
  const at = new Date().toISOString();
  const pass = { status: 'PASS' };
  return {
    Records: [
      {
        eventSource: 'aws:ses',
        eventVersion: '1.0',
        ses: {
          mail: {
            timestamp: at,
            source: mail.source,
            messageId: mail.messageId,
            destination: mail.recipients,
            headersTruncated: false,
            headers: [
              { name: 'From', value: mail.source },
              { name: 'To', value: mail.recipients.join(', ') },
              { name: 'Subject', value: mail.subject },
            ],
            commonHeaders: { returnPath: mail.source, from: [mail.source], date: new Date().toUTCString(), to: mail.recipients, messageId: `<${mail.messageId}@mail.example>`, subject: mail.subject },
          },
          receipt: {
            timestamp: at,
            processingTimeMillis: 412,
            recipients: mail.recipients,
            spamVerdict: pass,
            virusVerdict: pass,
            spfVerdict: pass,
            dkimVerdict: pass,
            dmarcVerdict: pass,
            action: { type: 'Lambda', functionArn, invocationType: 'Event' },
          },
        },
      },
    ],
  };
}
