import fc from 'fast-check';
import type { ActionName } from '../../functions/domain/commands';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Route } from '../../functions/http/routes';
import { ActionRequests } from '../../functions/schemas/escalation';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';

// Random input over every route of the route table: whatever a client sends (ids of any
// length, broken percent-encoding, bodies of any shape, garbage headers), the API answers a
// 4xx problem (or a page, on the public survey route) and never a 5xx. Thousands of requests
// per run; FUZZ_RUNS sets the runs per route.

const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 120);

let api: TestApi;
const known: { caseIds: string[]; incidentId?: string } = { caseIds: [] };

beforeAll(async () => {
  api = await startTestApi();
  for (let i = 0; i < 3; i++) known.caseIds.push((await api.call('POST', '/escalations', escalationRequest({ title: `Fuzz target ${i}` }))).body.id);
  known.incidentId = (await api.call('POST', '/incidents', { title: 'Fuzz incident', escalationIds: [known.caseIds[0]] })).body.id;
});
afterAll(() => api?.close());

/** A value for one path parameter: a real id, an unknown UUID, or anything a client could put there. */
const pathValue = (name: string) =>
  fc.oneof(
    fc.constantFrom(...known.caseIds, known.incidentId!).map(encodeURIComponent),
    fc.uuid().map(encodeURIComponent),
    fc.string({ maxLength: 40 }).filter((s) => s.length > 0).map(encodeURIComponent),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
    fc.integer({ min: 1, max: 3000 }).map((n) => 'x'.repeat(n)),
    fc.constantFrom('%', '%E0%A4%A', '%ZZ', '..', '%00', '%2F', name === 'token' ? 'v1.abc.def' : '%C3%28'),
  );

/** A valid body for the route where there is one, the raw material for mutations. */
function validBody(route: Route): Record<string, unknown> | undefined {
  if (route.method === 'POST' && route.path === '/escalations') return escalationRequest();
  if (route.method === 'PATCH' && route.path.endsWith('/items/{itemId}')) return { status: 'in_progress', note: 'started' };
  if (route.method === 'PATCH') return { title: 'A new title', severity: 'high', reason: 'reassessed' };
  if (route.path === '/incidents') return { title: 'Outage', escalationIds: known.caseIds.slice(0, 2) };
  if (route.path === '/incidents/{id}/updates') return { message: 'It works again.' };
  // Without a valid body every request is a 400 and the handler is never reached: the check below would fail by chance.
  if (route.path === '/accounts/{accountId}/sponsorship') return { decision: 'decline', reason: 'not this quarter' };
  // Accounts named by random path values: none holds data, so an erasure here erases nothing real.
  if (route.path === '/accounts/{accountId}/erase') return { reason: 'the customer asked' };
  if (route.path === '/incidents/{id}/close') return { note: 'all customers recovered' };
  // A local receiver nobody listens on: registering is what is tested, not delivering.
  if (route.method === 'POST' && route.path === '/webhooks') return { url: 'http://127.0.0.1:9/hook', events: ['escalation.closed'] };
  const action = route.path.split('/').pop() as keyof typeof ActionRequests;
  if (route.path.startsWith('/escalations/{id}/') && action in ActionRequests) {
    // One per action, checked by the type: an action without a valid body would only ever be a 400.
    const bodies: { [A in ActionName]: Record<string, unknown> } = {
      acknowledge: { owner: 'owner@example.com', message: 'On it.' },
      assign: { owner: 'kim@example.com', reason: 'knows this integration' },
      updates: { message: 'Working on it.' },
      escalate: { reason: 'needs more hands' },
      resolve: { rootCause: 'a bug', fix: 'fixed', prevention: 'a test' },
      'out-of-scope': { reason: 'not ours', guidance: 'ask them' },
      pause: { reason: 'waiting for logs' },
      resume: {},
      reopen: { reason: 'back again' },
      close: { outcome: 'retained' },
      notes: { text: 'a note' },
      're-evaluate': { reason: 'new playbook' },
      review: { rootCause: 'a bug', wentWell: 'fast fix', communicationGaps: 'late update', processFixes: 'a test', items: [] },
    };
    return bodies[action];
  }
  return undefined;
}

/** The valid body with one field (at any depth) replaced by anything, or removed. */
function mutated(body: Record<string, unknown>) {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    if (path.length) paths.push(path);
    if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
  };
  walk(body, []);
  if (paths.length === 0) return fc.constant(body);
  return fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined), fc.string({ maxLength: 5000 }), fc.string({ unit: 'grapheme', maxLength: 50 }))).map(([path, replacement]) => {
    const copy = structuredClone(body);
    let parent = copy as Record<string, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    if (replacement === undefined) delete parent[path.at(-1)!];
    else parent[path.at(-1)!] = replacement;
    return copy;
  });
}

/** The headers and body of a request the route takes: the survey form is a form, every other body JSON. */
function wellFormed(route: Route): { headers: Record<string, string>; body: Record<string, unknown> | string | undefined } {
  if (route.method === 'POST' && route.handler === 'record-satisfaction') return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'score=9' };
  return { headers: {}, body: validBody(route) };
}

const bodyFor = (route: Route) => {
  const valid = validBody(route);
  const shapes = [fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 200 })];
  return fc.oneof(...(valid ? [mutated(valid), mutated(valid), fc.constant(valid)] : []), ...shapes);
};

const queryValue = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('open', 'critical', '2026-01-01T00:00:00Z', '0', '-1', '101', 'true', '%', ''), fc.string({ unit: 'grapheme', maxLength: 20 }));
const queryKeys = fc.constantFrom('status', 'severity', 'accountId', 'owner', 'limit', 'cursor', 'from', 'to', 'score', 'unknown', 'x'.repeat(300));

const headers = fc.record(
  {
    'if-match': fc.oneof(fc.constantFrom('"1"', '"2"', 'W/"1"', '*', '""', '"99999999999999"'), fc.string({ maxLength: 20 })),
    'if-none-match': fc.oneof(fc.constantFrom('"1"', '*'), fc.string({ maxLength: 20 })),
    'idempotency-key': fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/), fc.string({ maxLength: 200 })),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/merge-patch+json', ''),
  },
  { requiredKeys: [] },
);

/** Header values a fetch client can send at all (no CR/LF, Latin-1). */
const sendable = (value: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

describe('random input over every route', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))('%s: never a 5xx, always a problem or a page', async (_name, route) => {
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
    const request = fc.record({
      params: fc.tuple(...names.map(pathValue)),
      query: fc.dictionary(queryKeys, queryValue, { maxKeys: 4 }),
      headers,
      body: bodyFor(route),
    });
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async ({ params, query, headers: sent, body }) => {
        let path = route.path;
        names.forEach((name, i) => (path = path.replace(`{${name}}`, params[i] as string)));
        const search = new URLSearchParams(Object.entries(query)).toString();
        const headerList = Object.fromEntries(Object.entries(sent).filter(([, value]) => value !== undefined && sendable(value as string))) as Record<string, string>;
        const response = await fetchChecked(`${api.url}${path}${search ? `?${search}` : ''}`, {
          method: route.method,
          // JSON unless the generator picked another type: most requests should reach past the media-type check.
          headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json', ...headerList },
          ...(body !== undefined && route.method !== 'GET' && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
        });
        const text = await response.text();
        seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
        expect(response.status, `${route.method} ${path}?${search} ${JSON.stringify(sent)} ${JSON.stringify(body)?.slice(0, 300)} → ${text.slice(0, 300)}`).toBeLessThan(500);
        const type = response.headers.get('content-type') ?? '';
        if (response.status >= 400 && route.handler !== 'record-satisfaction') expect(type, text.slice(0, 200)).toBe('application/problem+json');
      }),
      // One well-formed request first (a known id, the valid body, nothing odd), then the random ones.
      { numRuns: RUNS_PER_ROUTE, examples: [[{ params: names.map((name) => (name === 'token' ? 'v1.abc.def' : encodeURIComponent(known.caseIds[1]!))), query: {}, ...wellFormed(route) }]] },
    );
    // The generator reached past validation into the handler too, not only into 400s.
    expect([...seen.keys()].some((status) => ![400, 413, 415].includes(status)), JSON.stringify([...seen])).toBe(true);
  }, 300_000);
});
