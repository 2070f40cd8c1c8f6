import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthScope, ROUTES, SCOPES_IN_USE, type Route } from '../../functions/http/routes';
import { FaultSwitch } from '../../local/faults';
import { FAULTS_PATH, FAULTS_SCOPE } from '../../local/gateway';
import { startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';

// The local gateway applies each route's scope as the HTTP API's JWT authorizer does: a token
// without it is refused with 403 before any Lambda runs; with it, the request goes through.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ faults: new FaultSwitch() });
});
afterAll(() => api?.close());

/** One concrete request on a route: path parameters filled in, a JSON body on writes. */
const request = (route: Route, token: string) =>
  api.call(route.method, route.path.replace('{id}', randomUUID()).replace('{token}', 'not-a-token'), route.method === 'GET' ? undefined : {}, { authorization: `Bearer ${token}` });

const SCOPED = ROUTES.filter((route) => route.scope).map((route) => [`${route.method} ${route.path}`, route] as const);

describe('scopes, as the JWT authorizer applies them', () => {
  it('issues a token for every scope the routes use, and the routes use read, write and admin', () => {
    expect([...SCOPES_IN_USE].sort()).toEqual(['admin', 'read', 'write']);
    for (const scope of SCOPES_IN_USE) expect(api.tokens[scope], scope).toMatch(/^[\w-]{24}$/);
    expect(new Set([api.token, ...Object.values(api.tokens)]).size).toBe(SCOPES_IN_USE.length + 1);
  });

  it.each(SCOPED)('%s: 403 problem+json naming the scope for a token of any other scope; through with its own and with the all-scopes token', async (_, route) => {
    for (const scope of SCOPES_IN_USE.filter((candidate) => candidate !== route.scope)) {
      const refused = await request(route, api.tokens[scope]);
      expect(refused.status, `${scope} token`).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="${oauthScope(route.scope!)}"`);
      expect(refused.body).toMatchObject({ status: 403, title: 'Forbidden', detail: expect.stringContaining(`needs the scope ${oauthScope(route.scope!)}; this token carries ${oauthScope(scope)}`) });
    }
    for (const token of [api.tokens[route.scope!], api.token]) expect([401, 403]).not.toContain((await request(route, token)).status);
  });

  it('a read-only client is refused every write route, a writer the admin route', async () => {
    const writes = ROUTES.filter((route) => route.scope === 'write');
    const admin = ROUTES.filter((route) => route.scope === 'admin');
    expect(writes.length).toBeGreaterThan(10);
    expect(admin.map((route) => `${route.method} ${route.path}`)).toEqual([
      'POST /escalations/{id}/re-evaluate',
      'POST /accounts/{accountId}/sponsorship',
      'GET /accounts/{accountId}/export',
      'POST /accounts/{accountId}/erase',
      'POST /webhooks',
      'GET /webhooks/{id}',
      'GET /webhooks/{id}/deliveries',
      'POST /webhooks/{id}/rotate-secret',
      'POST /webhooks/{id}/enable',
    ]);
    for (const route of writes) expect((await request(route, api.tokens.read)).status, `${route.method} ${route.path}`).toBe(403);
    for (const route of admin) expect((await request(route, api.tokens.write)).status).toBe(403);
  });

  it('the survey link needs no token, and a token of any scope changes nothing there', async () => {
    const link = ROUTES.find((route) => !route.scope)!;
    expect(link.path).toBe('/csat/{token}');
    expect((await fetchChecked(`${api.url}/csat/not-a-token?score=9`)).status).toBe(403); // the link's own check: an invalid token
    expect((await request(link, api.tokens.read)).status).not.toBe(401);
  });

  it(`the fault switch needs ${oauthScope(FAULTS_SCOPE)}`, async () => {
    // The local fault switch is a test instrument, no route of the API: its answers are not held to the document.
    const faultSwitch = (token?: string) => fetch(`${api.url}${FAULTS_PATH}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await faultSwitch()).status).toBe(401);
    for (const scope of SCOPES_IN_USE.filter((candidate) => candidate !== FAULTS_SCOPE)) expect((await faultSwitch(api.tokens[scope])).status, scope).toBe(403);
    expect((await faultSwitch(api.tokens[FAULTS_SCOPE])).status).toBe(200);
    expect((await faultSwitch(api.token)).status).toBe(200);
  });
});
