import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';

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
    return fetch(`${api.url}/escalations`, {
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

  it('concurrent notes without If-Match are all kept', async () => {
    const { body } = await api.call('POST', '/escalations', request());
    const writers = 4;
    const answers = await Promise.all(
      Array.from({ length: writers }, (_, i) => api.call('POST', `/escalations/${body.id}/notes`, { text: `note ${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(writers).fill(200));
    const stored = await api.call('GET', `/escalations/${body.id}`);
    expect(stored.body.version).toBe(1 + writers);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline`);
    const notes = timeline.body.items.filter((e: { type: string }) => e.type === 'note_added').map((e: { summary: string }) => e.summary);
    expect(notes.sort()).toEqual(Array.from({ length: writers }, (_, i) => `note ${i}`));
  });
});
