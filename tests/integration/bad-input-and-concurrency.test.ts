import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';

let api: TestApi;
const account = 'bad-input-account';

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const storedCases = async () => (await api.call('GET', `/escalations?accountId=${account}&limit=100`)).body.items.length;
const request = (overrides: Record<string, unknown> = {}) =>
  escalationRequest({ customer: { ...escalationRequest().customer, accountId: account }, ...overrides });

describe('bad input gets a clear 4xx problem and stores nothing', () => {
  const cases: [string, () => Promise<Response>, number, string | RegExp][] = [
    ['missing customer', () => post({ ...request(), customer: undefined }), 400, 'body.customer'],
    ['unknown severity', () => post(request({ severity: 'urgent' })), 400, 'body.severity'],
    ['wrong types', () => post(request({ title: 42 })), 400, 'body.title'],
    ['unknown field', () => post(request({ priority: 'p1' })), 400, /body/],
    ['no contact email', () => post(request({ customer: { accountId: account, name: 'x', contacts: [{ name: 'no email' }] } })), 400, 'body.customer.contacts.0.email'],
    ['malformed JSON', () => post('{"title": "unterminated'), 400, 'body'],
    ['a 2 MB body', () => post(JSON.stringify({ ...request(), description: 'x'.repeat(2 * 1024 * 1024) })), 413, ''],
    ['a body that is not JSON', () => post('title=x', 'text/plain'), 415, ''],
  ];

  function post(body: unknown, contentType = 'application/json') {
    return fetchChecked(`${api.url}/escalations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it.each(cases)('%s', async (_name, send, status, field) => {
    const before = await storedCases();
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as any;
    expect(problem).toMatchObject({ status, title: expect.any(String), type: expect.stringContaining('https://') });
    if (field) expect(problem.errors.map((e: { path: string }) => e.path)).toContainEqual(typeof field === 'string' ? field : expect.stringMatching(field));
    expect(await storedCases()).toBe(before);
  });

  it('a bad Idempotency-Key header is a 400, not a stored case', async () => {
    const before = await storedCases();
    const response = await api.call('POST', '/escalations', request(), { 'idempotency-key': 'has spaces' });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe('headers.idempotency-key');
    expect(await storedCases()).toBe(before);
  });
});

describe('idempotent intake', () => {
  it('the same POST twice with one Idempotency-Key makes one case', async () => {
    const key = `retry-${Date.now()}`;
    const before = await storedCases();
    const first = await api.call('POST', '/escalations', request(), { 'idempotency-key': key });
    const second = await api.call('POST', '/escalations', request(), { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(await storedCases()).toBe(before + 1);
  });

  it('concurrent retries with one key still make exactly one case', async () => {
    const key = `burst-${Date.now()}`;
    const before = await storedCases();
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.call('POST', '/escalations', request(), { 'idempotency-key': key })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await storedCases()).toBe(before + 1);
  });

  it('reusing a key for a different request is a 422 and stores nothing new', async () => {
    const key = `reuse-${Date.now()}`;
    await api.call('POST', '/escalations', request(), { 'idempotency-key': key });
    const before = await storedCases();
    const reused = await api.call('POST', '/escalations', request({ title: 'something else' }), { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(await storedCases()).toBe(before);
  });
});

describe('concurrent writers never lose an update', () => {
  it('two PATCHes with the same If-Match: one 200, one 412', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    const [a, b] = await Promise.all([
      api.call('PATCH', `/escalations/${body.id}`, { title: 'first writer' }, { 'if-match': '"1"' }),
      api.call('PATCH', `/escalations/${body.id}`, { title: 'second writer' }, { 'if-match': '"1"' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const winner = a.status === 200 ? a : b;
    const stored = await api.call('GET', `/escalations/${body.id}`);
    expect(stored.body).toMatchObject({ version: 2, title: winner.body.title });
  });

  it('50 concurrent notes without If-Match are all kept: a writer that sent no precondition is never refused a race', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    const writers = 50;
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, i) => api.call('POST', `/escalations/${body.id}/notes`, { text: `note ${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(writers).fill(200));
    // A note is appended to the timeline without changing the case: no version to race for.
    const stored = await api.call('GET', `/escalations/${body.id}`);
    expect(stored.body.version).toBe(1);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline?limit=200`);
    const notes = timeline.body.items.filter((e: { type: string }) => e.type === 'note_added').map((e: { summary: string }) => e.summary);
    expect(notes.sort()).toEqual(Array.from({ length: writers }, (_, i) => `note ${i}`).sort());
  }, 60_000);

  it('20 concurrent customer updates without If-Match: every one recorded and emailed', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    await api.call('POST', `/escalations/${body.id}/acknowledge`, { owner: 'owner@example.com' });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => api.call('POST', `/escalations/${body.id}/updates`, { message: `update ${i}` })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline?limit=200`);
    expect(timeline.body.items.filter((e: { type: string }) => e.type === 'customer_updated')).toHaveLength(20);
    const mail = (await api.settledMail([body.id])).filter((m) => m.subject.includes(body.title) && m.body.text?.includes('update '));
    expect(new Set(mail.map((m) => /update \d+/.exec(m.body.text!)![0])).size).toBe(20);
  }, 60_000);

  it('a stale If-Match is a 412 that stores nothing', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    await api.call('POST', `/escalations/${body.id}/escalate`, { reason: 'moves it to version 2' });
    const stale = await api.call('POST', `/escalations/${body.id}/notes`, { text: 'decided on version 1' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline?limit=200`);
    expect(timeline.body.items.filter((e: { type: string }) => e.type === 'note_added')).toEqual([]);
  });
});

describe('idempotent actions', () => {
  it('the same POST /updates twice with one Idempotency-Key: one timeline entry, one customer email, the first answer again', async () => {
    const { body } = await api.call('POST', '/escalations', request({ title: `Idempotent update ${Date.now()}` }));
    await api.call('POST', `/escalations/${body.id}/acknowledge`, { owner: 'owner@example.com' });
    const update = { message: 'A fix is deploying; next update by noon.' };
    const first = await api.call('POST', `/escalations/${body.id}/updates`, update, { 'idempotency-key': 'update-1' });
    const retry = await api.call('POST', `/escalations/${body.id}/updates`, update, { 'idempotency-key': 'update-1' });
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(retry.body).toEqual(first.body);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline?limit=200`);
    expect(timeline.body.items.filter((e: { type: string }) => e.type === 'customer_updated')).toHaveLength(1);
    const mail = (await api.settledMail([body.id])).filter((m) => m.subject.includes(body.title) && m.body.text?.includes('A fix is deploying'));
    expect(mail).toHaveLength(1);
  });

  it('eight concurrent retries with one key act once; the key with another body is a 422 that stores nothing', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.call('POST', `/escalations/${body.id}/notes`, { text: 'once' }, { 'idempotency-key': 'note-burst' })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    expect(new Set(answers.map((a) => a.headers.get('etag')))).toEqual(new Set(['"1"']));
    const reused = await api.call('POST', `/escalations/${body.id}/notes`, { text: 'something else' }, { 'idempotency-key': 'note-burst' });
    expect(reused.status).toBe(422);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline?limit=200`);
    expect(timeline.body.items.filter((e: { type: string }) => e.type === 'note_added').map((e: { summary: string }) => e.summary)).toEqual(['once']);
    // The same key on another case is another request: it is a 422 too (keys are the caller's, not the case's).
    const other = await api.call('POST', '/escalations', request());
    expect((await api.call('POST', `/escalations/${other.body.id}/notes`, { text: 'once' }, { 'idempotency-key': 'note-burst' })).status).toBe(422);
  });

  it('POST /incidents twice with one key opens one incident', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    const incident = { title: `Outage ${Date.now()}`, escalationIds: [body.id] };
    const first = await api.call('POST', '/incidents', incident, { 'idempotency-key': 'incident-1' });
    const retry = await api.call('POST', '/incidents', incident, { 'idempotency-key': 'incident-1' });
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.id).toBe(first.body.id);
    expect((await api.call('POST', '/incidents', { ...incident, title: 'Another' }, { 'idempotency-key': 'incident-1' })).status).toBe(422);
  });
});

describe('ids, keys and paths are bounded: a 4xx, never a 500', () => {
  it('a malformed or 2 KB id is a 400 naming path.id; an unknown one is a 404', async () => {
    for (const id of ['not-a-uuid', 'x'.repeat(2048)]) {
      const answer = await api.call('GET', `/escalations/${id}`);
      expect(answer.status).toBe(400);
      expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain('path.id');
    }
    expect((await api.call('POST', `/escalations/${'y'.repeat(2048)}/notes`, { text: 'x' })).status).toBe(400);
    expect((await api.call('GET', '/escalations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('the same contact twice in one intake is a 400 naming the second one (addresses compared without case)', async () => {
    const before = await storedCases();
    const answer = await api.call('POST', '/escalations', request({ customer: { ...request().customer, contacts: [{ email: 'cto@acme.test' }, { email: 'CTO@acme.test' }] } }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain('body.customer.contacts.1.email');
    expect(await storedCases()).toBe(before);
  });

  it('an address longer than an address may be is a 400', async () => {
    const answer = await api.call('POST', '/escalations', request({ customer: { ...request().customer, contacts: [{ email: `${'a'.repeat(250)}@acme.test` }] } }));
    expect(answer.status).toBe(400);
  });

  it('malformed percent-encoding in a path is a 400', async () => {
    const response = await fetchChecked(`${api.url}/escalations/%E0%A4%A`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });
});
