import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const customer = (n: number) => ({
  accountId: `incident-account-${n}`,
  name: `Customer ${n}`,
  contacts: [
    { email: `ops${n}@customer${n}.test`, name: `Ops ${n}` },
    { email: `cto${n}@customer${n}.test`, name: `CTO ${n}` },
  ],
});

describe('incidents', () => {
  it('one update reaches every contact of every linked customer exactly once, personalised, and is on each case', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const { body } = await api.call('POST', '/escalations', escalationRequest({ customer: customer(n), severity: 'high', triggers: ['platform_slow'] }));
      await api.call('POST', `/escalations/${body.id}/acknowledge`, {});
      ids.push(body.id);
    }
    const created = await api.call('POST', '/incidents', { title: 'Search is slow in the EU region', escalationIds: ids });
    expect(created.status).toBe(201);
    const incidentId = created.body.id;

    const message = 'We found the overloaded cluster and are moving traffic off it; searches should be normal within 30 minutes.';
    const first = await api.call('POST', `/incidents/${incidentId}/updates`, { message }, { 'idempotency-key': 'eu-search-1' });
    expect(first.status).toBe(200);
    expect(first.body.delivered.sort()).toEqual([...ids].sort());
    const retried = await api.call('POST', `/incidents/${incidentId}/updates`, { message }, { 'idempotency-key': 'eu-search-1' });
    expect(retried.body).toMatchObject({ delivered: [], updateId: 'eu-search-1' });

    const mail = (await api.settledMail(ids)).filter((m) => m.subject.startsWith('Search is slow in the EU region'));
    expect(mail).toHaveLength(6);
    expect(mail.map((m) => m.destination.to[0]).sort()).toEqual(['cto1@customer1.test', 'cto2@customer2.test', 'cto3@customer3.test', 'ops1@customer1.test', 'ops2@customer2.test', 'ops3@customer3.test']);
    const toCto2 = mail.find((m) => m.destination.to[0] === 'cto2@customer2.test')!;
    expect(toCto2.body.text).toContain('Hello CTO 2');
    expect(toCto2.subject).toContain('Customer 2');
    expect(toCto2.body.text).toContain(message);

    for (const id of ids) {
      const events = (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items.filter((e: { type: string }) => e.type === 'incident_update_sent');
      expect(events).toHaveLength(1);
      expect(events[0].data).toMatchObject({ incidentId, updateId: 'eu-search-1', message });
    }
    const incident = (await api.call('GET', `/incidents/${incidentId}`)).body;
    expect(incident.updates).toHaveLength(1);
  });

  it('refuses unknown escalations and ones already in another incident', async () => {
    const missing = await api.call('POST', '/incidents', { title: 'x', escalationIds: ['00000000-0000-4000-8000-000000000000'] });
    expect(missing.status).toBe(404);
    const { body } = await api.call('POST', '/escalations', escalationRequest());
    expect((await api.call('POST', '/incidents', { title: 'first', escalationIds: [body.id] })).status).toBe(201);
    const again = await api.call('POST', '/incidents', { title: 'second', escalationIds: [body.id] });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].path).toBe('body.escalationIds');
  });

  it('bad input is a 400 naming the field', async () => {
    const bad = await api.call('POST', '/incidents', { title: 'x', escalationIds: ['not-a-uuid'] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('body.escalationIds.0');
  });
});

describe('listing and closing incidents', () => {
  it('GET /incidents lists the open ones newest first, page by page; closing one moves it to the closed list and stops its updates', async () => {
    const { body: escalation } = await api.call('POST', '/escalations', escalationRequest());
    const opened: string[] = [];
    for (const n of [1, 2, 3]) {
      const { body } = await api.call('POST', '/escalations', escalationRequest({ customer: customer(10 + n) }));
      opened.push((await api.call('POST', '/incidents', { title: `Outage ${n}`, escalationIds: [n === 1 ? escalation.id : body.id] })).body.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/incidents?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((incident: { id: string }) => incident.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    // Newest first; the incidents of the tests above are older and open too.
    expect(seen.slice(0, 3)).toEqual([...opened].reverse());

    const closed = await api.call('POST', `/incidents/${opened[1]}/close`, { note: 'fixed by the rollback' }, { 'idempotency-key': 'close-outage-2' });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ id: opened[1], status: 'closed', closedBy: 'tester@example.com', closingNote: 'fixed by the rollback', version: 2 });
    const again = await api.call('POST', `/incidents/${opened[1]}/close`, {});
    expect(again.body).toEqual(closed.body);

    const open = (await api.call('GET', '/incidents?limit=100')).body.items.map((incident: { id: string }) => incident.id);
    expect(open).toContain(opened[0]);
    expect(open).not.toContain(opened[1]);
    expect((await api.call('GET', '/incidents?status=closed')).body.items.map((incident: { id: string }) => incident.id)).toEqual([opened[1]]);

    const late = await api.call('POST', `/incidents/${opened[1]}/updates`, { message: 'one more thing' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('takes no more updates');
  });

  it('a bad status or a cursor of another list is a 400 naming the parameter', async () => {
    const bad = await api.call('GET', '/incidents?status=pending');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('query.status');
    const { body: page } = await api.call('GET', '/incidents?limit=1');
    expect(page.nextCursor).toBeDefined();
    const crossed = await api.call('GET', `/incidents?status=closed&cursor=${page.nextCursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.body.errors[0].path).toBe('query.cursor');
  });
});
