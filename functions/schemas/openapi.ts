import * as z from 'zod';
import { oauthScope, ROUTES, type Route } from '../http/routes';
import { API_VERSION } from '../http/version';
import { ActionRequests, CreateEscalationRequest, ListEscalationsQuery, PatchEscalationRequest, TimelineQuery, type ActionName } from './escalation';
import { BroadcastResult, CloseIncidentRequest, CreateIncidentRequest, IncidentList, IncidentUpdateRequest, IncidentView, ListIncidentsQuery } from './incident';
import { MetricsQuery } from './metrics';
import { SurveyAnswerForm, SurveyLinkQuery } from './survey';
import { EscalationView, ListEscalationsResponse, Problem, TimelineResponse } from './views';

type JsonSchema = Record<string, unknown>;
type QuerySchema = z.ZodObject | z.ZodLazy<z.ZodObject>;

const inputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};
const outputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });

/** A query's parameters, one per key of its object schema (built on first use: see schemas/escalation.ts). */
const queryParameters = (schema: QuerySchema) =>
  Object.entries((schema instanceof z.ZodLazy ? schema.unwrap() : schema).shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: inputSchema(field as z.ZodType),
  }));

interface Operation {
  summary: string;
  request?: JsonSchema;
  /** Default application/json. */
  requestMediaType?: string;
  responseMediaType?: string;
  query?: QuerySchema;
  response?: JsonSchema;
  status?: number;
  headers?: JsonSchema[];
}

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
  notes: 'Add an internal note to the timeline',
  're-evaluate': 'Take the targets and calendar from the current playbook again: deadlines are recomputed and the change recorded',
};

const ifMatch = (required: boolean) => ({
  name: 'If-Match',
  in: 'header',
  required,
  description: 'the ETag of the version being changed; a stale one gets 412',
  schema: { type: 'string' },
});

function operationFor(route: Route): Operation {
  const key = `${route.method} ${route.path}`;
  if (key === 'POST /escalations') {
    return {
      summary: 'Open an escalation: classify, compute deadlines, route',
      request: ref('CreateEscalationRequest'),
      response: ref('Escalation'),
      status: 201,
      headers: [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'a retry with the same key returns the first case', schema: { type: 'string', maxLength: 128 } }],
    };
  }
  if (key === 'GET /escalations') {
    return {
      summary: 'List escalations: by one or several statuses (or active), severity, account, owner, tier, breached, creation and change times; ordered by the most urgent deadline, newest first or most recently changed',
      query: ListEscalationsQuery,
      response: ref('EscalationList'),
    };
  }
  if (key === 'GET /escalations/{id}') return { summary: 'Read one escalation; the ETag is its version', response: ref('Escalation') };
  if (key === 'PATCH /escalations/{id}') {
    return { summary: 'Edit the facts of an escalation, the account facts (customer) included; a severity or time zone change recomputes deadlines', request: ref('PatchEscalationRequest'), response: ref('Escalation'), headers: [ifMatch(true)] };
  }
  if (key === 'GET /escalations/{id}/timeline') return { summary: 'The case timeline, oldest first', query: TimelineQuery, response: ref('Timeline') };
  if (key === 'GET /csat/{token}') {
    return {
      summary: 'Public satisfaction survey link from the follow-up email: an HTML page asking for the score, the clicked one chosen. Opening it records nothing',
      query: SurveyLinkQuery,
      responseMediaType: 'text/html',
      response: { type: 'string', description: 'the survey form, or a page saying the answer is on record; 403 for an altered link, 410 for an expired one (pages too, or problem+json when Accept asks for JSON)' },
    };
  }
  if (key === 'POST /csat/{token}') {
    return {
      summary: "Public: the survey page's form. Records the score once per case and answers with a thank-you page",
      request: inputSchema(SurveyAnswerForm),
      requestMediaType: 'application/x-www-form-urlencoded',
      responseMediaType: 'text/html',
      response: { type: 'string', description: 'a thank-you page; 409 when the case has its score already, 403/410 for an altered or expired link' },
    };
  }
  if (key === 'GET /metrics') {
    return {
      summary: 'The playbook figures (PLAYBOOK §7) over a range: percentiles, compliance, satisfaction, churn, open cases by age, each beside its target',
      query: MetricsQuery as unknown as z.ZodObject,
      response: { type: 'object' },
    };
  }
  if (key === 'POST /incidents') {
    return { summary: 'Open an incident: link the escalations of every affected customer', request: inputSchema(CreateIncidentRequest), response: outputSchema(IncidentView), status: 201 };
  }
  if (key === 'GET /incidents') return { summary: 'Incidents in one status (open by default), newest first', query: ListIncidentsQuery, response: outputSchema(IncidentList) };
  if (key === 'GET /incidents/{id}') return { summary: 'An incident with its linked escalations and every update sent', response: outputSchema(IncidentView) };
  if (key === 'POST /incidents/{id}/close') {
    return {
      summary: 'Close an incident: it takes no more updates and leaves the open list; its escalations stay as they are. Closing a closed one answers it as it is',
      request: inputSchema(CloseIncidentRequest),
      response: outputSchema(IncidentView),
    };
  }
  if (key === 'POST /incidents/{id}/updates') {
    return {
      summary: 'Send one approved update to every affected customer, personalised, recorded on each case',
      request: inputSchema(IncidentUpdateRequest),
      response: outputSchema(BroadcastResult),
      headers: [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'a retried broadcast with the same key reaches nobody twice', schema: { type: 'string', maxLength: 128 } }],
    };
  }
  if (key === 'GET /health') {
    return {
      summary: 'Liveness, public (no token): the status and the API version, nothing else',
      response: { type: 'object', properties: { status: { const: 'ok' }, version: { type: 'string', const: API_VERSION } }, required: ['status', 'version'] },
    };
  }
  if (key === 'GET /openapi.json') return { summary: 'This document', response: { type: 'object' } };
  const action = route.path.split('/').pop() as ActionName;
  return { summary: ACTION_SUMMARIES[action], request: inputSchema(ActionRequests[action]), response: ref('Escalation'), headers: [ifMatch(false)] };
}

/** OpenAPI 3.1, generated from the zod schemas and the route table: nothing written by hand to drift. */
export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const op = operationFor(route);
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    const parameters = [...pathParameters, ...(op.query ? queryParameters(op.query) : []), ...(op.headers ?? [])];
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      summary: op.summary,
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(route.scope ? { security: [{ bearer: [oauthScope(route.scope)] }] } : { security: [] }),
      ...(parameters.length && { parameters }),
      ...(op.request && { requestBody: { required: true, content: { [op.requestMediaType ?? 'application/json']: { schema: op.request } } } }),
      responses: {
        [String(op.status ?? 200)]: { description: 'success', ...(op.response && { content: { [op.responseMediaType ?? 'application/json']: { schema: op.response } } }) },
        ...(op.request && { '400': problemResponse('invalid input: `errors` lists each field and why'), '413': problemResponse('body too large'), '415': problemResponse(`body is not ${op.requestMediaType ?? 'JSON'}`) }),
        ...(route.scope && { '401': problemResponse('missing or invalid bearer token') }),
        ...(route.path.includes('{id}') && { '404': problemResponse('no such escalation') }),
        ...(route.method !== 'GET' && route.path.includes('{id}') && { '409': problemResponse('the lifecycle does not allow this now; `allowed` lists what it does allow'), '412': problemResponse('If-Match is stale') }),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Escalation API',
      version: API_VERSION,
      description: 'Run the customer-escalation playbook as software: intake, deadlines, routing, lifecycle.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        CreateEscalationRequest: inputSchema(CreateEscalationRequest),
        PatchEscalationRequest: inputSchema(PatchEscalationRequest),
        Escalation: outputSchema(EscalationView),
        EscalationList: outputSchema(ListEscalationsResponse),
        Timeline: outputSchema(TimelineResponse),
        Problem: outputSchema(Problem),
      },
    },
  };
}
