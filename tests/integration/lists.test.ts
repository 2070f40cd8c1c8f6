import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// An hour of case time per real second: a critical case nobody acknowledges breaches its hour in
// about a second, while a low one (48 hours) stays within its deadlines for the whole file.
const SCALE = 3600;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 20 });
});
afterAll(() => api?.close());

interface View {
  id: string;
  status: string;
  breaches: number;
  tier: number;
  createdAt: string;
  updatedAt: string;
  deadlines: { acknowledgeBy: string; nextUpdateBy: string; resolveBy: string };
}

const create = async (overrides: Record<string, unknown>) => {
  const answer = await api.call('POST', '/escalations', escalationRequest(overrides));
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as View;
};
const act = async (id: string, action: string, body: unknown = {}) => {
  const answer = await api.call('POST', `/escalations/${id}/${action}`, body);
  expect(answer.status, `${action}: ${JSON.stringify(answer.body)}`).toBe(200);
  return answer.body as View;
};
const read = async (id: string) => (await api.call('GET', `/escalations/${id}`)).body as View;

/** PATCH severity low with the ETag just read; the workflow may write in between, and then it is read again. */
async function downgrade(id: string) {
  await waitFor(async () => {
    const current = await api.call('GET', `/escalations/${id}`);
    const answer = await api.call('PATCH', `/escalations/${id}`, { severity: 'low', reason: 'hold the deadlines still for the lists' }, { 'if-match': current.headers.get('etag')! });
    if (answer.status === 412) return false;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return true;
  }, { what: `the downgrade of ${id}` });
}

/** Every page of a list, following nextCursor; each page at most `limit` long. */
async function everyPage(query: string, limit: number) {
  const items: View[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 200; page++) {
    const answer = await api.call('GET', `/escalations?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...answer.body.items);
    cursor = answer.body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('the list never ended');
}

/** When the case's most urgent pending deadline falls, as the status index orders it. */
const urgency = (view: View) =>
  view.status === 'open' ? [view.deadlines.acknowledgeBy, view.deadlines.resolveBy].sort()[0]! : [view.deadlines.nextUpdateBy, view.deadlines.resolveBy].sort()[0]!;

describe('lists by several statuses, breaches, tier, times', () => {
  const cases: Record<string, View> = {};

  beforeAll(async () => {
    // Two critical cases nobody acknowledges in time; one of them is then picked up.
    cases.breachedOpen = await create({ severity: 'critical', title: 'breached, still open' });
    cases.breachedAcknowledged = await create({ severity: 'critical', title: 'breached, then acknowledged' });
    cases.breachedInProgress = await create({ severity: 'critical', title: 'breached, now in progress' });
    cases.quietOpen = await create({ severity: 'low', title: 'open, within its deadlines' });
    cases.quietAcknowledged = await create({ severity: 'low', title: 'acknowledged, within its deadlines' });
    await act(cases.quietAcknowledged.id, 'acknowledge');
    for (const name of ['breachedOpen', 'breachedAcknowledged', 'breachedInProgress']) {
      await waitFor(async () => (await read(cases[name]!.id)).breaches > 0, { timeoutMs: 15_000, what: `a breach on ${name}` });
      // Critical deadlines come every case hour (a real second here) and move as the case climbs;
      // as low cases their next deadlines are two days off, so the lists below read a still picture.
      await downgrade(cases[name]!.id);
    }
    await act(cases.breachedAcknowledged.id, 'acknowledge');
    await act(cases.breachedInProgress.id, 'acknowledge');
    await act(cases.breachedInProgress.id, 'updates', { message: 'working on it' });
    await api.stack.caseChanges.drained();
  });

  it('status=open,acknowledged&breached=true lists exactly those, most urgent deadline first, on every page size', async () => {
    const expected = [cases.breachedOpen!.id, cases.breachedAcknowledged!.id].sort();
    for (const limit of [1, 2, 25]) {
      const items = await everyPage('status=open,acknowledged&breached=true', limit);
      expect(items.map((item) => item.id).sort(), `limit ${limit}`).toEqual(expected);
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      for (const item of items) {
        expect(['open', 'acknowledged']).toContain(item.status);
        expect(item.breaches).toBeGreaterThan(0);
      }
      expect(items.map(urgency)).toEqual(items.map(urgency).sort());
    }
  });

  it('breached=false and the statuses give the others; active means every status not finished', async () => {
    const quiet = await everyPage('status=open,acknowledged&breached=false', 2);
    expect(quiet.map((item) => item.id).sort()).toEqual([cases.quietOpen!.id, cases.quietAcknowledged!.id].sort());
    const active = await everyPage('active=true', 2);
    expect(active.map((item) => item.id).sort()).toEqual(Object.values(cases).map((item) => item.id).sort());
    expect(active.map(urgency)).toEqual(active.map(urgency).sort());
    const resolved = await act(cases.quietOpen!.id, 'acknowledge').then(() => act(cases.quietOpen!.id, 'resolve', { rootCause: 'a', fix: 'b', prevention: 'c' }));
    expect((await everyPage('active=false', 5)).map((item) => item.id)).toEqual([resolved.id]);
    expect((await everyPage('active=true', 5)).map((item) => item.id)).not.toContain(resolved.id);
  });

  it('tier, createdFrom/createdTo and updatedSince narrow the list; sort chooses the order', async () => {
    const tiers = await Promise.all(Object.values(cases).map(async (item) => [item.id, (await read(item.id)).tier] as const));
    const climbedTo = (await read(cases.breachedOpen!.id)).tier;
    expect(climbedTo).toBeGreaterThan(0);
    for (const tier of [0, climbedTo]) {
      const listed = await everyPage(`tier=${tier}&sort=created`, 3);
      expect(listed.map((item) => item.id).sort()).toEqual(tiers.filter(([, at]) => at === tier).map(([id]) => id).sort());
    }
    const all = await everyPage('sort=created', 2);
    const createdAt = all.map((item) => item.createdAt);
    expect(createdAt).toEqual([...createdAt].sort().reverse());
    const [from, to] = [cases.breachedAcknowledged!.createdAt, cases.quietOpen!.createdAt];
    const window = await everyPage(`createdFrom=${from}&createdTo=${to}`, 1);
    expect(window.map((item) => item.id)).toEqual([cases.quietOpen!.id, cases.breachedInProgress!.id, cases.breachedAcknowledged!.id]);

    const since = new Date().toISOString();
    const touched = await act(cases.breachedOpen!.id, 'assign', { owner: 'kim@example.com', reason: 'Kim takes the night shift' });
    const changed = await everyPage(`updatedSince=${since}`, 1);
    expect(changed[0]!.id).toBe(touched.id);
    for (const item of changed) expect(Date.parse(item.updatedAt)).toBeGreaterThanOrEqual(Date.parse(since));
    const updatedAt = changed.map((item) => item.updatedAt);
    expect(updatedAt).toEqual([...updatedAt].sort().reverse());
  });

  it('bad filters and cursors of another list are 400s naming the parameter', async () => {
    const expectField = async (query: string, path: string) => {
      const answer = await api.call('GET', `/escalations?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.errors.map((e: { path: string }) => e.path), query).toContain(path);
    };
    await expectField('status=open,pending', 'query.status.1');
    await expectField('status=open&active=true', 'query.active');
    await expectField('breached=yes', 'query.breached');
    await expectField('createdFrom=2026-05-02T00:00:00Z&createdTo=2026-05-01T00:00:00Z', 'query.createdFrom');
    await expectField('updatedSince=yesterday', 'query.updatedSince');
    await expectField('sort=oldest', 'query.sort');
    const first = await api.call('GET', '/escalations?status=open,acknowledged&limit=1');
    expect(first.body.nextCursor).toBeDefined();
    await expectField(`status=open&limit=1&cursor=${first.body.nextCursor}`, 'query.cursor');
    const forged = Buffer.from(JSON.stringify({ list: JSON.parse(Buffer.from(first.body.nextCursor, 'base64url').toString()).list, after: 'ESC#x' })).toString('base64url');
    await expectField(`status=open,acknowledged&limit=1&cursor=${forged}`, 'query.cursor');
  });
});
