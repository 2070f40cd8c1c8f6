import { ACTION_NAMES } from '../schemas/escalation';

export type Scope = 'read' | 'write' | 'admin';

/** OAuth scopes are namespaced: a token carries `escalations/read`, `escalations/write`, `escalations/admin`. */
export const SCOPE_PREFIX = 'escalations/';
export const oauthScope = (scope: Scope) => `${SCOPE_PREFIX}${scope}`;

/** Applying a changed playbook to a running case overrides the targets it was promised: a lead's call. */
const ADMIN_ACTIONS = new Set<string>(['re-evaluate']);

interface RouteBase {
  /** A GET never changes anything (links are opened by mail scanners and link previews too). */
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  /** File name in functions/handlers; one Lambda each. */
  handler: string;
}

/**
 * A route either requires an OAuth scope (API Gateway's JWT authorizer checks it) or is public,
 * and then says why: CDK records the reason where it acknowledges the missing authorizer.
 */
export type Route = RouteBase & ({ scope: Scope; publicBecause?: never } | { scope?: never; publicBecause: string });

/**
 * The API's route table. CDK builds the HTTP API routes from it and the local gateway
 * dispatches with it, so both answer the same paths with the same code.
 */
export const ROUTES: Route[] = [
  { method: 'POST', path: '/escalations', handler: 'create-escalation', scope: 'write' },
  { method: 'GET', path: '/escalations', handler: 'list-escalations', scope: 'read' },
  { method: 'GET', path: '/escalations/{id}', handler: 'get-escalation', scope: 'read' },
  { method: 'PATCH', path: '/escalations/{id}', handler: 'edit-escalation', scope: 'write' },
  { method: 'PATCH', path: '/escalations/{id}/review/items/{itemId}', handler: 'edit-escalation', scope: 'write' },
  { method: 'GET', path: '/escalations/{id}/timeline', handler: 'get-timeline', scope: 'read' },
  ...ACTION_NAMES.map((action): Route => ({ method: 'POST', path: `/escalations/{id}/${action}`, handler: 'escalation-action', scope: ADMIN_ACTIONS.has(action) ? 'admin' : 'write' })),
  { method: 'GET', path: '/metrics', handler: 'metrics', scope: 'read' },
  { method: 'GET', path: '/accounts/{accountId}', handler: 'accounts', scope: 'read' },
  { method: 'GET', path: '/accounts/{accountId}/brief', handler: 'accounts', scope: 'read' },
  // Who joins the executive sponsorship programme is a lead's call.
  { method: 'POST', path: '/accounts/{accountId}/sponsorship', handler: 'accounts', scope: 'admin' },
  // Everything stored about a customer, their contacts' personal data included: admin only.
  { method: 'GET', path: '/accounts/{accountId}/export', handler: 'accounts', scope: 'admin' },
  { method: 'POST', path: '/accounts/{accountId}/erase', handler: 'accounts', scope: 'admin' },
  // Where events go outside AWS, and the secrets that sign them: an administrator's business.
  { method: 'POST', path: '/webhooks', handler: 'webhooks', scope: 'admin' },
  { method: 'GET', path: '/webhooks/{id}', handler: 'webhooks', scope: 'admin' },
  { method: 'GET', path: '/webhooks/{id}/deliveries', handler: 'webhooks', scope: 'admin' },
  { method: 'POST', path: '/webhooks/{id}/rotate-secret', handler: 'webhooks', scope: 'admin' },
  { method: 'POST', path: '/webhooks/{id}/enable', handler: 'webhooks', scope: 'admin' },
  { method: 'POST', path: '/incidents', handler: 'incidents', scope: 'write' },
  { method: 'GET', path: '/incidents', handler: 'incidents', scope: 'read' },
  { method: 'GET', path: '/incidents/{id}', handler: 'incidents', scope: 'read' },
  { method: 'POST', path: '/incidents/{id}/updates', handler: 'incidents', scope: 'write' },
  { method: 'POST', path: '/incidents/{id}/close', handler: 'incidents', scope: 'write' },
  {
    method: 'GET',
    path: '/csat/{token}',
    handler: 'record-satisfaction',
    publicBecause:
      'it is the satisfaction link customers click in the follow-up email, and customers have no token. It shows the survey page and records nothing; the path carries an HMAC-signed, expiring token (key in Secrets Manager) that names the one case it is for',
  },
  {
    method: 'POST',
    path: '/csat/{token}',
    handler: 'record-satisfaction',
    publicBecause:
      "it is the survey page's form, sent by customers who have no token. The token in the path is the credential: HMAC-signed, expiring, for one case, which takes one score; a forged form elsewhere needs a valid token, which only that case's customer got",
  },
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    publicBecause: 'uptime checkers call it without a token. It answers a constant status and the API version, reads nothing and reveals nothing else',
  },
  { method: 'GET', path: '/openapi.json', handler: 'openapi', scope: 'read' },
];

export const HANDLERS = [...new Set(ROUTES.map((route) => route.handler))];

/** Every scope some route requires: what a token issuer must offer (docs/deploy.md) and the local gateway issues. */
export const SCOPES_IN_USE: Scope[] = [...new Set(ROUTES.flatMap((route) => (route.scope ? [route.scope] : [])))];
