import * as z from 'zod';
import { IDEMPOTENCY_KEY } from './preconditions';
import { oauthScope, ROUTES, type Route } from './routes';
import { API_VERSION } from './version';
import { AccountBriefView, AccountExport, AccountPath, AccountProfileView, AccountView, BriefQuery, ErasureRecordView, ErasureRequest, SponsorshipDecisionRequest } from '../schemas/account';
import { ACTION_NAMES, ActionRequests, CreateEscalationRequest, ImprovementItemPatch, ListEscalationsQuery, PatchEscalationRequest, ResourceId, TimelineQuery } from '../schemas/escalation';
import type { ActionName } from '../domain/commands';
import { HealthView } from '../schemas/health';
import { BroadcastResult, CloseIncidentRequest, CreateIncidentRequest, IncidentList, IncidentUpdateRequest, IncidentView, ListIncidentsQuery } from '../schemas/incident';
import { MetricsQuery, MetricsReport } from '../schemas/metrics';
import { GatewayRefusal, Problem } from '../schemas/problem';
import { SurveyAnswerForm, SurveyLinkQuery } from '../schemas/survey';
import { DeadlineExplanation, EscalationView, ImprovementItemView, ListEscalationsResponse, TimelineEventView, TimelineResponse } from '../schemas/views';
import { DeliveriesQuery, DeliveryList, RegisteredWebhook, RegisterWebhookRequest, RotatedSecret, WebhookView } from '../schemas/webhooks';

type JsonSchema = Record<string, unknown>;

/** What GET /openapi.json answers: this document, described as far as a client relies on it. */
const DescriptionDocument = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

// The named schemas of components.schemas: what a response carries is registered in its output
// shape (what the handlers send), what a request carries in its input shape (what a client may
// send, defaults and coercions before they apply). A registered schema nested in another is
// referenced, not repeated.
const responseSchemas = z.registry<{ id: string }>();
responseSchemas.add(EscalationView, { id: 'Escalation' });
responseSchemas.add(DeadlineExplanation, { id: 'DeadlineExplanation' });
responseSchemas.add(ListEscalationsResponse, { id: 'EscalationList' });
responseSchemas.add(TimelineEventView, { id: 'TimelineEvent' });
responseSchemas.add(TimelineResponse, { id: 'Timeline' });
responseSchemas.add(IncidentView, { id: 'Incident' });
responseSchemas.add(IncidentList, { id: 'IncidentList' });
responseSchemas.add(BroadcastResult, { id: 'BroadcastResult' });
responseSchemas.add(MetricsReport, { id: 'MetricsReport' });
responseSchemas.add(HealthView, { id: 'Health' });
responseSchemas.add(DescriptionDocument, { id: 'OpenApiDocument' });
responseSchemas.add(Problem, { id: 'Problem' });
responseSchemas.add(GatewayRefusal, { id: 'GatewayRefusal' });
responseSchemas.add(WebhookView, { id: 'Webhook' });
responseSchemas.add(RegisteredWebhook, { id: 'RegisteredWebhook' });
responseSchemas.add(RotatedSecret, { id: 'RotatedSecret' });
responseSchemas.add(DeliveryList, { id: 'WebhookDeliveryList' });
responseSchemas.add(ImprovementItemView, { id: 'ImprovementItem' });
responseSchemas.add(AccountView, { id: 'Account' });
responseSchemas.add(AccountBriefView, { id: 'AccountBrief' });
responseSchemas.add(AccountProfileView, { id: 'AccountProfile' });
responseSchemas.add(AccountExport, { id: 'AccountExport' });
responseSchemas.add(ErasureRecordView, { id: 'ErasureRecord' });

/** "out-of-scope" → "OutOfScopeRequest". */
const actionRequestName = (action: ActionName) => `${action.replace(/(^|-)(\w)/g, (_, _dash: string, c: string) => c.toUpperCase())}Request`;

const requestSchemas = z.registry<{ id: string }>();
requestSchemas.add(CreateEscalationRequest, { id: 'CreateEscalationRequest' });
requestSchemas.add(PatchEscalationRequest, { id: 'PatchEscalationRequest' });
for (const action of ACTION_NAMES) requestSchemas.add(ActionRequests[action], { id: actionRequestName(action) });
requestSchemas.add(CreateIncidentRequest, { id: 'CreateIncidentRequest' });
requestSchemas.add(IncidentUpdateRequest, { id: 'IncidentUpdateRequest' });
requestSchemas.add(CloseIncidentRequest, { id: 'CloseIncidentRequest' });
requestSchemas.add(SurveyAnswerForm, { id: 'SurveyAnswerForm' });
requestSchemas.add(RegisterWebhookRequest, { id: 'RegisterWebhookRequest' });
requestSchemas.add(ImprovementItemPatch, { id: 'ImprovementItemPatch' });
requestSchemas.add(SponsorshipDecisionRequest, { id: 'SponsorshipDecisionRequest' });
requestSchemas.add(ErasureRequest, { id: 'ErasureRequest' });

const SCHEMA_PATH = '#/components/schemas/';

/** Each registered schema as JSON Schema 2020-12, without the per-document keys OpenAPI does not want inside components. */
function componentSchemas(registry: z.core.$ZodRegistry<{ id: string }>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `${SCHEMA_PATH}${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonSchema;
      return [name, rest];
    }),
  );
}

const inline = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ref = (schema: z.ZodType) => {
  const id = responseSchemas.get(schema)?.id ?? requestSchemas.get(schema)?.id;
  if (!id) throw new Error('the schema is not registered in components.schemas');
  return { $ref: `${SCHEMA_PATH}${id}` };
};

const HTML_PAGE = { type: 'string', description: 'an HTML page (text/html; charset=utf-8), never cached' };

// Response headers, each named once in components.headers.
const HEADERS = {
  ETag: { description: 'the version of the case, for If-Match and If-None-Match', required: true, schema: { type: 'string', pattern: '^"[0-9]+"$' } },
  Location: { description: 'where the created resource is read', required: true, schema: { type: 'string', format: 'uri-reference' } },
  'Idempotent-Replayed': {
    description: 'present on a retry with the same Idempotency-Key and body: the answer is the first request\'s, and nothing changed again',
    required: false,
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': { description: 'seconds to wait before retrying', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
  'WWW-Authenticate': {
    description: 'the RFC 6750 challenge: `Bearer`, with `error="insufficient_scope"` and the scope needed on a 403',
    required: false,
    schema: { type: 'string', pattern: '^Bearer' },
  },
} as const;
type HeaderName = keyof typeof HEADERS;
const headerRefs = (names: HeaderName[]) => Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${name}` }]));

const idempotencyKey = (description: string) => ({
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: `${description}; kept 24 h. The same key with another body is a 422`,
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
});
const ifMatch = (required: boolean) => ({
  name: 'If-Match',
  in: 'header',
  required,
  description: required ? 'the ETag of the version being changed: a stale one is a 412, none a 428' : 'the ETag of the version being changed: a stale one is a 412',
  schema: { type: 'string' },
});
const ifNoneMatch = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description: 'ETags the client holds (or *): a 304 without a body when one names the current version',
  schema: { type: 'string' },
};

/** What an operation answers besides the refusals it shares with all the others. */
interface Operation {
  summary: string;
  body?: { schema: JsonSchema; mediaType?: 'application/json' | 'application/x-www-form-urlencoded' };
  /** Built on first use, like every schema (functions/schemas/escalation.ts). */
  query?: z.ZodObject | z.ZodLazy<z.ZodObject>;
  headers?: JsonSchema[];
  /** The answers when all went well, by status. */
  answers: Record<number, { description: string; schema?: JsonSchema; mediaType?: 'application/json' | 'text/html'; headers?: HeaderName[] }>;
  /** The refusals only some operations give, by status, each with what it means here. */
  refusals?: Partial<Record<number, string>>;
  /** A route people open in a browser: its errors come as an HTML page unless Accept asks for JSON. */
  pages?: boolean;
}

const WRITTEN_CASE = { schema: ref(EscalationView), headers: ['ETag', 'Idempotent-Replayed'] as HeaderName[] };
/** Every operation that reads or writes the table: throttled or unavailable storage is a 503. */
const UNAVAILABLE = 'a dependency is throttling or down, or the case is too busy to write now: nothing was stored. Retry after Retry-After seconds, with the same Idempotency-Key if you sent one';
const NO_CASE = 'no escalation with this id';
const NO_WEBHOOK = 'no webhook with this id';
const NO_ACCOUNT = 'nothing is stored for this account';
const STALE = 'If-Match names a version that is no longer current: read the case again';
const REUSED_KEY = 'the Idempotency-Key was used before with another request';

const ACTION_SUMMARIES: Record<ActionName, string> = {
  acknowledge: 'A named owner takes the case; the acknowledgement clock stops',
  updates: 'Record a customer update; the update clock restarts',
  escalate: 'Move the case one tier up the escalation ladder',
  assign: 'Hand the case to another owner (in any active status): the timeline records it and the new owner gets a handoff email with the case context',
  resolve: 'Resolve with root cause, fix and prevention',
  'out-of-scope': 'Declare the problem out of scope, with guidance',
  pause: 'Wait on the customer: the SLA clock stops',
  resume: 'The customer answered: the SLA clock runs again, deadlines move by the pause',
  reopen: 'Reopen a resolved case',
  close: 'Close a resolved case, optionally recording the outcome',
  notes: 'Add an internal note to the timeline; the case and its ETag stay as they are',
  're-evaluate': 'Take the targets and calendar from the current playbook again: deadlines are recomputed and the change recorded',
  review: 'Record the blameless review of a resolved (or closed) case, once: root cause, what went well, communication gaps, process fixes, any concession, and the improvement items, each for a team with an owner and a due date',
};

const actionOperation = (action: ActionName): Operation => ({
  summary: ACTION_SUMMARIES[action],
  body: { schema: ref(ActionRequests[action]) },
  headers: [ifMatch(false), idempotencyKey('a retry with the same key gets the first answer')],
  answers: { 200: { description: 'the case as this action left it', ...WRITTEN_CASE } },
  refusals: { 404: NO_CASE, 409: 'the lifecycle does not allow this action now: `allowed` lists what it does allow', 412: STALE, 422: REUSED_KEY, 503: UNAVAILABLE },
});

/** Every route's operation, by "METHOD /path" as the route table names it. */
const OPERATIONS: Record<string, Operation> = {
  'POST /escalations': {
    summary: 'Open an escalation: classify, compute deadlines, route',
    body: { schema: ref(CreateEscalationRequest) },
    headers: [idempotencyKey('a retry with the same key gets the first case')],
    answers: { 201: { description: 'the case as opened', ...WRITTEN_CASE, headers: ['ETag', 'Location', 'Idempotent-Replayed'] } },
    refusals: { 409: 'a rule of the playbook refuses the case (e.g. reportedAt in the future): `errors` names the field', 422: REUSED_KEY, 503: UNAVAILABLE },
  },
  'GET /escalations': {
    summary:
      'List escalations: by one or several statuses (or active), severity, account, owner, tier, breached, creation and change times; ordered by the most urgent deadline, newest first or most recently changed',
    query: ListEscalationsQuery,
    answers: { 200: { description: 'one page of cases; nextCursor fetches the next with the same filters', schema: ref(ListEscalationsResponse) } },
    refusals: { 503: UNAVAILABLE },
  },
  'GET /escalations/{id}': {
    summary: 'Read one escalation; the ETag is its version',
    headers: [ifNoneMatch],
    answers: {
      200: { description: 'the case', schema: ref(EscalationView), headers: ['ETag'] },
      304: { description: 'If-None-Match names the current version: nothing changed since', headers: ['ETag'] },
    },
    refusals: { 404: NO_CASE, 503: UNAVAILABLE },
  },
  'PATCH /escalations/{id}': {
    summary: 'Edit the facts of an escalation, the account facts (customer) included; a severity or time zone change recomputes deadlines',
    body: { schema: ref(PatchEscalationRequest) },
    headers: [ifMatch(true), idempotencyKey('a retry with the same key gets the first answer')],
    answers: { 200: { description: 'the case as edited', ...WRITTEN_CASE } },
    refusals: { 404: NO_CASE, 409: 'the change is not allowed in the case\'s status, or breaks a rule of the playbook', 412: STALE, 422: REUSED_KEY, 428: 'If-Match is required to edit a case', 503: UNAVAILABLE },
  },
  'GET /escalations/{id}/timeline': {
    summary: 'The case timeline, oldest first',
    query: TimelineQuery,
    answers: { 200: { description: 'one page of the timeline', schema: ref(TimelineResponse) } },
    refusals: { 404: NO_CASE, 503: UNAVAILABLE },
  },
  ...Object.fromEntries(ACTION_NAMES.map((action) => [`POST /escalations/{id}/${action}`, actionOperation(action)])),
  'PATCH /escalations/{id}/review/items/{itemId}': {
    summary: "Update one improvement item of the review (status, owner, due date, title, team, note). If-Match is the item's own version (its `version`, and the ETag answered); items change independently",
    body: { schema: ref(ImprovementItemPatch) },
    headers: [ifMatch(true), idempotencyKey('a retry with the same key gets the first answer')],
    answers: { 200: { description: 'the item as updated; its ETag is its own version', schema: ref(ImprovementItemView), headers: ['ETag', 'Idempotent-Replayed'] } },
    refusals: {
      404: 'no escalation with this id, or no improvement item with this id in its review',
      409: 'the change breaks a rule of the review (a team the playbook does not know, a due day already past), or the case was erased',
      412: "If-Match names a version of the item that is no longer current: read the case again",
      422: REUSED_KEY,
      428: 'If-Match is required to update an item',
      503: UNAVAILABLE,
    },
  },
  'GET /accounts/{accountId}': {
    summary:
      "One customer account's history: its escalations (open first), median times to acknowledge and resolve, satisfaction scores and trend, the highest tier reached, outcomes (retained / churned), its executive sponsorship and the incidents it was part of",
    answers: { 200: { description: 'the account\'s history', schema: ref(AccountView) } },
    refusals: { 404: 'no escalation or sponsorship is stored for this account', 503: UNAVAILABLE },
  },
  'GET /accounts/{accountId}/brief': {
    summary: 'A short quarterly-business-review brief of the account: what went wrong since `since`, what was done to prevent it (preventions, process fixes, improvement items) and satisfaction since, in sentences',
    query: BriefQuery,
    answers: { 200: { description: 'the brief', schema: ref(AccountBriefView) } },
    refusals: { 404: 'no escalation or sponsorship is stored for this account', 503: UNAVAILABLE },
  },
  'POST /accounts/{accountId}/sponsorship': {
    summary:
      "Admin: enrol the account in the executive sponsorship programme (naming the sponsor, who then gets the account's new escalations from intake) or decline it, with a reason. The earlier decision is kept in the account's history",
    body: { schema: ref(SponsorshipDecisionRequest) },
    answers: { 200: { description: 'the account\'s sponsorship as decided, with its history', schema: ref(AccountProfileView) } },
    refusals: { 409: 'the decision breaks a rule of the programme: `errors` names the field', 503: UNAVAILABLE },
  },
  'GET /accounts/{accountId}/export': {
    summary:
      "Admin: everything stored about the account as one JSON document: each escalation with its timeline and emails, the account's sponsorship items, and its contact directory entries",
    answers: { 200: { description: 'every item stored about the account, as stored (never cached)', schema: ref(AccountExport) } },
    refusals: { 404: NO_ACCOUNT, 503: UNAVAILABLE },
  },
  'POST /accounts/{accountId}/erase': {
    summary:
      "Admin: erase the account's personal data (contacts, names, addresses, message bodies) from its cases, timelines, emails, idempotency records, its own items and the contact directory; stops its workflows and answers the audit record (who, when, why, which cases)",
    body: { schema: ref(ErasureRequest) },
    answers: { 200: { description: 'the audit record of the erasure', schema: ref(ErasureRecordView) } },
    refusals: { 404: NO_ACCOUNT, 503: UNAVAILABLE },
  },
  'GET /metrics': {
    summary: 'The playbook figures (PLAYBOOK §7) over a range: percentiles, compliance, satisfaction, churn, open cases by age, each beside its target',
    query: MetricsQuery as unknown as z.ZodObject,
    answers: { 200: { description: 'the figures', schema: ref(MetricsReport) } },
    refusals: { 503: UNAVAILABLE },
  },
  'POST /incidents': {
    summary: 'Open an incident: link the escalations of every affected customer',
    body: { schema: ref(CreateIncidentRequest) },
    headers: [idempotencyKey('a retry with the same key gets the first incident')],
    answers: { 201: { description: 'the incident', schema: ref(IncidentView), headers: ['Location'] } },
    refusals: { 404: 'one of the escalations does not exist', 409: 'an escalation already belongs to another incident', 422: REUSED_KEY, 503: UNAVAILABLE },
  },
  'GET /incidents': {
    summary: 'Incidents in one status (open by default), newest first',
    query: ListIncidentsQuery,
    answers: { 200: { description: 'one page of incidents', schema: ref(IncidentList) } },
    refusals: { 503: UNAVAILABLE },
  },
  'GET /incidents/{id}': {
    summary: 'An incident with its linked escalations and every update sent',
    answers: { 200: { description: 'the incident', schema: ref(IncidentView) } },
    refusals: { 404: 'no incident with this id', 503: UNAVAILABLE },
  },
  'POST /incidents/{id}/updates': {
    summary: 'Send one approved update to every affected customer, personalised, recorded on each case',
    body: { schema: ref(IncidentUpdateRequest) },
    headers: [idempotencyKey('a retried broadcast with the same key reaches nobody twice')],
    answers: { 200: { description: 'who got the update now, and who had it already', schema: ref(BroadcastResult) } },
    refusals: { 404: 'no incident with this id', 409: 'the incident is closed: it takes no more updates', 422: 'the key was used for another update of this incident', 503: UNAVAILABLE },
  },
  'POST /incidents/{id}/close': {
    summary: 'Close an incident: it takes no more updates and leaves the open list; its escalations stay as they are. Closing a closed one answers it as it is',
    body: { schema: ref(CloseIncidentRequest) },
    headers: [idempotencyKey('closing is idempotent by itself; the key is checked for its form only')],
    answers: { 200: { description: 'the closed incident', schema: ref(IncidentView) } },
    refusals: { 404: 'no incident with this id', 503: UNAVAILABLE },
  },
  'GET /csat/{token}': {
    summary: 'Public satisfaction survey link from the follow-up email: an HTML page asking for the score, the clicked one chosen. Opening it records nothing',
    query: SurveyLinkQuery,
    pages: true,
    answers: { 200: { description: 'the survey form, or a page saying the answer is on record', schema: HTML_PAGE, mediaType: 'text/html' } },
    refusals: { 403: 'the link was altered: its signature does not match', 404: 'the escalation of this link is gone', 410: 'the link has expired', 503: UNAVAILABLE },
  },
  'POST /csat/{token}': {
    summary: "Public: the survey page's form. Records the score once per case and answers with a thank-you page",
    body: { schema: ref(SurveyAnswerForm), mediaType: 'application/x-www-form-urlencoded' },
    pages: true,
    answers: { 200: { description: 'a thank-you page', schema: HTML_PAGE, mediaType: 'text/html' } },
    refusals: {
      403: 'the link was altered: its signature does not match',
      404: 'the escalation of this link is gone',
      409: 'the case has its score already',
      410: 'the link has expired',
      503: UNAVAILABLE,
    },
  },
  'POST /webhooks': {
    summary: 'Register a URL for domain events (docs/webhooks.md): deliveries are signed the Standard Webhooks way; the answer holds the signing secret, shown this once',
    body: { schema: ref(RegisterWebhookRequest) },
    answers: { 201: { description: 'the webhook and its signing secret (shown this once)', schema: ref(RegisteredWebhook) } },
    refusals: { 503: UNAVAILABLE },
  },
  'GET /webhooks/{id}': {
    summary: 'A webhook: its URL, event types and status (why it was disabled, if it was), never its secrets',
    answers: { 200: { description: 'the webhook', schema: ref(WebhookView) } },
    refusals: { 404: NO_WEBHOOK, 503: UNAVAILABLE },
  },
  'GET /webhooks/{id}/deliveries': {
    summary: "A webhook's recent deliveries, newest first: each event's status, attempts and what the receiver answered",
    query: DeliveriesQuery,
    answers: { 200: { description: 'one page of deliveries', schema: ref(DeliveryList) } },
    refusals: { 404: NO_WEBHOOK, 503: UNAVAILABLE },
  },
  'POST /webhooks/{id}/rotate-secret': {
    summary: 'A new signing secret, shown this once; the previous one keeps signing beside it for 24 hours, so receivers switch without losing a delivery',
    answers: { 200: { description: 'the new secret (shown this once) and until when the previous one still signs', schema: ref(RotatedSecret) } },
    refusals: { 404: NO_WEBHOOK, 503: UNAVAILABLE },
  },
  'POST /webhooks/{id}/enable': {
    summary: 'Take events again after the webhook was disabled (a delivery failed for 24 hours); deliveries given up stay given up',
    answers: { 200: { description: 'the webhook, enabled', schema: ref(WebhookView) } },
    refusals: { 404: NO_WEBHOOK, 503: UNAVAILABLE },
  },
  'GET /health': {
    summary: 'Liveness, public (no token): the status and the API version, nothing else',
    answers: { 200: { description: 'the function answers', schema: ref(HealthView) } },
  },
  'GET /openapi.json': {
    summary: 'This document',
    answers: { 200: { description: 'the OpenAPI 3.1 description of this API', schema: ref(DescriptionDocument) } },
  },
};

const media = (schema: JsonSchema, mediaType: string) => ({ [mediaType]: { schema } });

/**
 * A refusal in the API's own words: problem+json, on a browser route the same as a page, and
 * where API Gateway may refuse first on AWS (its authorizer, its payload limit), its own answer.
 */
function refusal(description: string, { pages = false, gateway = false, headers = [] as HeaderName[] } = {}) {
  return {
    description,
    ...(headers.length && { headers: headerRefs(headers) }),
    content: {
      ...media(ref(Problem), 'application/problem+json'),
      ...(pages && media(HTML_PAGE, 'text/html')),
      ...(gateway && media(ref(GatewayRefusal), 'application/json')),
    },
  };
}

function responsesOf(route: Route, op: Operation) {
  const pages = op.pages ?? false;
  const bodyType = op.body?.mediaType === 'application/x-www-form-urlencoded' ? 'an HTML form (application/x-www-form-urlencoded)' : 'JSON';
  const answers = Object.fromEntries(
    Object.entries(op.answers).map(([status, answer]) => [
      status,
      {
        description: answer.description,
        ...(answer.headers && { headers: headerRefs(answer.headers) }),
        ...(answer.schema && { content: media(answer.schema, answer.mediaType ?? 'application/json') }),
      },
    ]),
  );
  const refusals: Record<number, unknown> = {
    400: refusal(
      op.body
        ? 'invalid input: `errors` lists each failing field (body.…, query.…, path.…, headers.…) and why'
        : 'invalid input: `errors` lists each failing parameter (query.…, path.…, headers.…) and why; a body is refused here',
      { pages },
    ),
    ...(route.scope && {
      401: refusal('no bearer token, or one that is not valid here', { gateway: true, headers: ['WWW-Authenticate'] }),
      403: refusal(`the token lacks the scope ${oauthScope(route.scope)}`, { gateway: true, headers: ['WWW-Authenticate'] }),
    }),
    413: refusal('the body is over 256 KB (over 10 MB, API Gateway refuses it itself)', { pages, gateway: true }),
    415: refusal(op.body ? `the body is not ${bodyType}` : 'a body was sent, and not as JSON; this operation takes none', { pages }),
    429: { description: 'API Gateway throttled the request (the stage and each route have a rate limit): retry later', content: media(ref(GatewayRefusal), 'application/json') },
    500: refusal('something went wrong on our side; the request id in the logs identifies it', { pages }),
    ...Object.fromEntries(
      Object.entries(op.refusals ?? {}).map(([status, description]) => [status, refusal(description!, { pages, headers: status === '503' ? ['Retry-After'] : [] })]),
    ),
  };
  return { ...answers, ...refusals };
}

/**
 * The answer to a request no route takes (a path the API does not have, or a method its path does
 * not serve): the gateway refuses it before any function runs. OpenAPI describes answers per
 * operation only, so the document carries this one as an extension; the tests' contract check
 * (tests/support/contract.ts) holds such answers to it.
 */
const UNROUTED = {
  description: 'A request that no operation of this document takes is refused by the gateway before any function runs, without looking at its token.',
  responses: {
    404: refusal('no route has this path, or (on AWS) this method on it', { gateway: true }),
    405: { description: 'the local gateway only: the path has routes, none for this method', headers: { Allow: { description: 'the methods the path does take', required: true, schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$' } } }, content: media(ref(Problem), 'application/problem+json') },
  },
};

/** The path parameters parsed by a schema, by name; any other is the survey link's token. */
const PATH_PARAMETERS: Record<string, JsonSchema> = { id: inline(ResourceId), itemId: inline(ResourceId), accountId: inline(AccountPath.unwrap().shape.accountId) };

const operationId = (route: Route) => `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`;

/**
 * OpenAPI 3.1, generated from the route table and the zod schemas the handlers parse requests
 * with and build answers from. Every route must have its operation here: a route the document
 * does not describe stops the build of the document (and with it every test).
 */
export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const op = OPERATIONS[`${route.method} ${route.path}`];
    if (!op) throw new Error(`${route.method} ${route.path} is in the route table but not in the OpenAPI document: describe it in functions/http/openapi.ts`);
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: PATH_PARAMETERS[name!] ?? { type: 'string', description: 'the signed token of the survey link' },
    }));
    const query = op.query instanceof z.ZodLazy ? op.query.unwrap() : op.query;
    const queryParameters = Object.entries(query?.shape ?? {}).map(([name, field]) => ({ name, in: 'query', required: false, schema: inline(field as z.ZodType) }));
    const parameters = [...pathParameters, ...queryParameters, ...(op.headers ?? [])];
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: op.summary,
      operationId: operationId(route),
      security: route.scope ? [{ bearer: [oauthScope(route.scope)] }] : [],
      ...(parameters.length && { parameters }),
      ...(op.body && { requestBody: { required: true, content: media(op.body.schema, op.body.mediaType ?? 'application/json') } }),
      responses: responsesOf(route, op),
    };
  }
  const document = {
    openapi: '3.1.0' as const,
    info: {
      title: 'Escalation API',
      version: API_VERSION,
      description:
        'Run the customer-escalation playbook as software: intake, deadlines, routing, lifecycle. Errors are RFC 9457 problem details (application/problem+json); API Gateway\'s own refusals on AWS (its authorizer, throttling and payload limit) are `{ "message": … }` in application/json.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/', description: 'the host that serves this document' }],
    security: [{ bearer: [] }],
    paths,
    'x-unrouted': UNROUTED,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'an access token from the issuer the stage trusts, carrying the scopes escalations/read, escalations/write or escalations/admin' } },
      headers: HEADERS,
      schemas: { ...componentSchemas(responseSchemas, 'output'), ...componentSchemas(requestSchemas, 'input') },
    },
  };
  return document satisfies z.input<typeof DescriptionDocument>;
}
