import { ACTION_NAMES } from '../schemas/escalation';

export type Scope = 'read' | 'write';

/** OAuth scopes are namespaced: a token carries `escalations/read`, `escalations/write`. */
export const SCOPE_PREFIX = 'escalations/';
export const oauthScope = (scope: Scope) => `${SCOPE_PREFIX}${scope}`;

export interface Route {
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  /** File name in functions/handlers; one Lambda each. */
  handler: string;
  /** OAuth scope the route requires; none means public (no authorizer). */
  scope?: Scope;
  /** A GET that changes state (the survey link customers click): its Lambda gets write access. */
  writes?: true;
}

/**
 * The API's route table. CDK builds the HTTP API routes from it and the local gateway
 * dispatches with it, so both answer the same paths with the same code.
 */
export const ROUTES: Route[] = [
  { method: 'POST', path: '/escalations', handler: 'create-escalation', scope: 'write' },
  { method: 'GET', path: '/escalations', handler: 'list-escalations', scope: 'read' },
  { method: 'GET', path: '/escalations/{id}', handler: 'get-escalation', scope: 'read' },
  { method: 'PATCH', path: '/escalations/{id}', handler: 'edit-escalation', scope: 'write' },
  { method: 'GET', path: '/escalations/{id}/timeline', handler: 'get-timeline', scope: 'read' },
  ...ACTION_NAMES.map((action): Route => ({ method: 'POST', path: `/escalations/{id}/${action}`, handler: 'escalation-action', scope: 'write' })),
  { method: 'GET', path: '/metrics', handler: 'metrics', scope: 'read' },
  { method: 'POST', path: '/incidents', handler: 'incidents', scope: 'write' },
  { method: 'GET', path: '/incidents/{id}', handler: 'incidents', scope: 'read' },
  { method: 'POST', path: '/incidents/{id}/updates', handler: 'incidents', scope: 'write' },
  { method: 'GET', path: '/csat/{token}', handler: 'record-satisfaction', writes: true },
  { method: 'GET', path: '/health', handler: 'health' },
  { method: 'GET', path: '/openapi.json', handler: 'openapi' },
];

export const HANDLERS = [...new Set(ROUTES.map((route) => route.handler))];
