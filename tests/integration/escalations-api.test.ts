import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../../functions/http/version';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';

const HOUR = 3_600_000;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

async function create(overrides: Record<string, unknown> = {}) {
  const created = await api.call('POST', '/escalations', escalationRequest(overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created;
}

describe('intake', () => {
  it('opens a critical escalation with deadlines from the severity policy, routed by its triggers', async () => {
    const before = Date.now();
    const { body, headers } = await create();
    expect(headers.get('location')).toBe(`/escalations/${body.id}`);
    expect(headers.get('etag')).toBe('"1"');
    expect(body).toMatchObject({ status: 'open', severity: 'critical', tier: 0, version: 1, channel: 'api' });
    const createdAt = Date.parse(body.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(body.deadlines.acknowledgeBy) - createdAt).toBe(HOUR);
    expect(Date.parse(body.deadlines.nextUpdateBy) - createdAt).toBe(HOUR);
    expect(Date.parse(body.deadlines.resolveBy) - createdAt).toBe(24 * HOUR);
    expect(body.routedTo).toEqual(expect.arrayContaining(['csm', 'support_lead', 'engineering']));
    expect(body).not.toHaveProperty('generation');
  });

  it('applies the low severity targets (2 working days to acknowledge, 14 to resolve), Mon–Fri 09:00–17:00', async () => {
    const { body } = await create({ severity: 'low', triggers: [] });
    for (const [deadline, days] of [['acknowledgeBy', 2], ['resolveBy', 14]] as const) {
      const why = body.deadlineExplanations[deadline];
      expect(why).toMatchObject({ at: body.deadlines[deadline], method: 'working_days', target: `${days}d`, calendar: { name: 'business', timeZone: 'UTC' } });
      // The Nth weekday after the day the count began (the account has no zone: UTC, no holidays), at the same time of day.
      const began = new Date(why.workingDays.countedFromLocal);
      const day = new Date(Date.UTC(began.getUTCFullYear(), began.getUTCMonth(), began.getUTCDate()));
      for (let found = 0; found < days; ) {
        day.setUTCDate(day.getUTCDate() + 1);
        if (day.getUTCDay() >= 1 && day.getUTCDay() <= 5) found++;
      }
      expect(why.workingDays).toMatchObject({ days, day: day.toISOString().slice(0, 10) });
      expect(why.workingDays.sameTimeLocal.slice(11)).toBe(why.workingDays.countedFromLocal.slice(11));
      // What was counted adds up to targetMs and lies in office hours.
      expect(why.counted.reduce((sum: number, span: { ms: number }) => sum + span.ms, 0)).toBe(why.targetMs);
      for (const span of why.counted as { from: string; to: string }[]) {
        const [from, to] = [new Date(span.from), new Date(span.to)];
        expect(from.getUTCDay()).toBeGreaterThanOrEqual(1);
        expect(from.getUTCDay()).toBeLessThanOrEqual(5);
        expect(from.getUTCHours()).toBeGreaterThanOrEqual(9);
        expect(to.getUTCHours() * 60 + to.getUTCMinutes()).toBeLessThanOrEqual(17 * 60);
        expect(to.toISOString().slice(0, 10)).toBe(from.toISOString().slice(0, 10));
      }
    }
    expect(body.routedTo).toEqual(['support']);
  });

  it('reads a case back with its version as ETag, and answers 304 to a matching If-None-Match', async () => {
    const { body } = await create();
    const read = await api.call('GET', `/escalations/${body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(body);
    const unchanged = await api.call('GET', `/escalations/${body.id}`, undefined, { 'if-none-match': '"1"' });
    expect(unchanged.status).toBe(304);
  });

  it('answers 404 problem+json for an unknown id, and 400 naming path.id for one that is no id at all', async () => {
    const malformed = await api.call('GET', '/escalations/does-not-exist');
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.map((e: { path: string }) => e.path)).toEqual(['path.id']);
    const missing = await api.call('GET', `/escalations/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.body).toMatchObject({ status: 404, title: 'Not found' });
  });
});

describe('lifecycle over HTTP', () => {
  it('acknowledge: the status changes and the timeline names who and when', async () => {
    const { body: opened } = await create();
    const acked = await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'alice@example.com' });
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ status: 'acknowledged', owner: 'alice@example.com', version: 2 });
    expect(acked.headers.get('etag')).toBe('"2"');

    const timeline = await api.call('GET', `/escalations/${opened.id}/timeline`);
    const changes = timeline.body.items.filter((e: { type: string }) => e.type !== 'email_sent');
    expect(changes.map((e: { type: string }) => e.type)).toEqual(['created', 'acknowledged']);
    const ack = changes[1];
    expect(ack).toMatchObject({ actor: 'tester@example.com', data: { owner: 'alice@example.com', onTime: true } });
    expect(ack.at).toBe(acked.body.acknowledgedAt);
  });

  it('assign hands a case to a colleague: 200, the timeline says who gave it to whom and why, and the new owner gets the handoff', async () => {
    const { body: opened } = await create({ title: `Handoff ${randomUUID()}` });
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'alice@example.com' });
    const request = { owner: 'bob@example.com', reason: 'Bob wrote the payment integration' };
    const assigned = await api.call('POST', `/escalations/${opened.id}/assign`, request, { 'idempotency-key': `assign-${opened.id}` });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ owner: 'bob@example.com', status: 'acknowledged', version: 3 });

    const events = (await api.call('GET', `/escalations/${opened.id}/timeline`)).body.items;
    expect(events.find((e: { type: string }) => e.type === 'assigned')).toMatchObject({
      actor: 'tester@example.com',
      data: { from: 'alice@example.com', to: 'bob@example.com', reason: 'Bob wrote the payment integration' },
    });
    const handoffs = (await api.settledMail([opened.id])).filter((mail) => mail.subject.startsWith('[critical] Handed to you') && mail.subject.includes(opened.title));
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0]!.destination.to).toEqual(['bob@example.com']);
    expect(handoffs[0]!.body.text).toContain('tester@example.com handed this escalation to you (it was with alice@example.com)');
    expect(handoffs[0]!.body.text).toContain('Why: Bob wrote the payment integration');

    // The same request again with its Idempotency-Key: the first answer, and no second handoff.
    const retried = await api.call('POST', `/escalations/${opened.id}/assign`, request, { 'idempotency-key': `assign-${opened.id}` });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body.version).toBe(3);
    const again = (await api.settledMail([opened.id])).filter((mail) => mail.subject.startsWith('[critical] Handed to you') && mail.subject.includes(opened.title));
    expect(again).toHaveLength(1);

    // Handing it to its owner again, or to something that is no address, names the field.
    const same = await api.call('POST', `/escalations/${opened.id}/assign`, request);
    expect(same.status).toBe(409);
    expect(same.body.errors[0].path).toBe('body.owner');
    const nameOnly = await api.call('POST', `/escalations/${opened.id}/assign`, { owner: 'Bob', reason: 'x' });
    expect(nameOnly.status).toBe(400);
    expect(nameOnly.body.errors[0].path).toBe('body.owner');
  });

  it('walks a case through updates, pause, resume, resolve, reopen and close', async () => {
    const { body: opened } = await create({ severity: 'high' });
    const id = opened.id;
    const step = async (action: string, body: unknown) => {
      const answer = await api.call('POST', `/escalations/${id}/${action}`, body);
      expect(answer.status, `${action}: ${JSON.stringify(answer.body)}`).toBe(200);
      return answer.body;
    };
    await step('acknowledge', {});
    expect((await step('updates', { message: 'We reproduced it; a fix is being tested.' })).status).toBe('in_progress');
    const paused = await step('pause', { reason: 'waiting for the customer to send logs' });
    expect(paused.status).toBe('waiting_on_customer');
    expect(paused.sla.pausedSince).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const resumed = await step('resume', { note: 'logs received' });
    expect(resumed.sla.pausedMs).toBeGreaterThanOrEqual(50);
    // high counts office hours: the resolution deadline moves by the working time the pause covered (none at night).
    const skipped = resumed.deadlineExplanations.resolveBy.pausesSkipped;
    expect(skipped).toHaveLength(1);
    expect(skipped[0].workingMs).toBeLessThanOrEqual(resumed.sla.pausedMs);
    expect(Date.parse(resumed.deadlines.resolveBy)).toBeGreaterThanOrEqual(Date.parse(paused.deadlines.resolveBy));
    if (skipped[0].workingMs === 0) expect(resumed.deadlines.resolveBy).toBe(paused.deadlines.resolveBy);
    const resolved = await step('resolve', { rootCause: 'expired certificate', fix: 'renewed it', prevention: 'automatic renewal alarms' });
    expect(resolved.status).toBe('resolved');
    // The follow-up comes one working day after resolution: the next working day at the same time, or the next opening.
    const followUp = resolved.deadlineExplanations.followUpAt;
    expect(followUp).toMatchObject({ method: 'working_days', target: '1d', workingDays: { days: 1 }, countedFrom: resolved.resolvedAt, at: resolved.deadlines.followUpAt });
    expect(Date.parse(followUp.at)).toBeGreaterThanOrEqual(Date.parse(resolved.resolvedAt) + 24 * HOUR);
    expect((await step('reopen', { reason: 'it failed again overnight' })).reopenCount).toBe(1);
    await step('resolve', { rootCause: 'second certificate', fix: 'renewed it too', prevention: 'inventory of certificates' });
    const closed = await step('close', { outcome: 'retained' });
    expect(closed).toMatchObject({ status: 'closed', outcome: 'retained' });

    const timeline = await api.call('GET', `/escalations/${id}/timeline?limit=3`);
    expect(timeline.body.items).toHaveLength(3);
    expect(timeline.body.nextCursor).toBeDefined();
    const rest = await api.call('GET', `/escalations/${id}/timeline?cursor=${timeline.body.nextCursor}`);
    // The workflow sets the closed case's deletion date on its own time: not part of this walk.
    const types = [...timeline.body.items, ...rest.body.items].map((e: { type: string }) => e.type).filter((type) => type !== 'email_sent' && type !== 'deletion_scheduled');
    expect(types).toEqual(['created', 'acknowledged', 'customer_updated', 'paused', 'resumed', 'resolved', 'reopened', 'resolved', 'closed']);
  });

  it('refuses an illegal move with 409 and lists the allowed ones', async () => {
    const { body } = await create();
    const refused = await api.call('POST', `/escalations/${body.id}/resolve`, { rootCause: 'a', fix: 'b', prevention: 'c' });
    expect(refused.status).toBe(409);
    expect(refused.body.allowed).toEqual(expect.arrayContaining(['acknowledge', 'escalate', 'out-of-scope']));
    expect(refused.body.allowed).not.toContain('resolve');
    expect((await api.call('GET', `/escalations/${body.id}`)).body.version).toBe(1);
  });

  it('escalate climbs the ladder one tier at a time and refuses past the top', async () => {
    const { body } = await create();
    for (const tier of [1, 2, 3]) {
      const up = await api.call('POST', `/escalations/${body.id}/escalate`, { reason: 'customer asked for a manager' });
      expect(up.body.tier).toBe(tier);
    }
    expect((await api.call('GET', `/escalations/${body.id}`)).body.routedTo).toEqual(
      expect.arrayContaining(['csm_manager', 'vp_customer_success', 'executive_sponsor']),
    );
    const beyond = await api.call('POST', `/escalations/${body.id}/escalate`, { reason: 'again' });
    expect(beyond.status).toBe(409);
  });

  it('PATCH changes severity, recomputes open deadlines from intake and records why', async () => {
    const { body } = await create({ severity: 'medium' });
    const patched = await api.call('PATCH', `/escalations/${body.id}`, { severity: 'critical', reason: 'all stores affected now' }, { 'if-match': '"1"' });
    expect(patched.status).toBe(200);
    expect(Date.parse(patched.body.deadlines.acknowledgeBy) - Date.parse(body.createdAt)).toBe(HOUR);
    expect(Date.parse(patched.body.deadlines.resolveBy) - Date.parse(body.createdAt)).toBe(24 * HOUR);
    const timeline = await api.call('GET', `/escalations/${body.id}/timeline`);
    expect(timeline.body.items.at(-1)).toMatchObject({
      type: 'severity_changed',
      data: { from: 'medium', to: 'critical', reason: 'all stores affected now' },
    });
  });

  it('PATCH customer with If-Match adds a contact: the timeline has before and after, and the next customer update goes to them too', async () => {
    const { body: opened } = await create({ title: `Contacts ${randomUUID()}` });
    const acked = await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    const contacts = [...opened.customer.contacts, { email: 'ops-lead@acme.test', name: 'Sam' }];
    const stale = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { contacts } }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    const patched = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { contacts, healthScore: 35 }, reason: 'Sam joined the bridge call' }, { 'if-match': acked.headers.get('etag')! });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.customer).toMatchObject({ accountId: opened.customer.accountId, healthScore: 35, contacts });

    const changed = (await api.call('GET', `/escalations/${opened.id}/timeline`)).body.items.find((e: { type: string }) => e.type === 'customer_changed');
    expect(changed.data).toMatchObject({
      before: { contacts: opened.customer.contacts, healthScore: opened.customer.healthScore ?? null },
      after: { contacts, healthScore: 35 },
      contactsAdded: ['ops-lead@acme.test'],
      reason: 'Sam joined the bridge call',
    });

    await api.call('POST', `/escalations/${opened.id}/updates`, { message: 'The fix is rolling out.' });
    const updates = (await api.settledMail([opened.id])).filter((mail) => mail.subject === `Update on ${opened.title} [ref ESC-${opened.id}]`);
    expect(updates.map((mail) => mail.destination.to[0]).sort()).toEqual(['cto@acme.test', 'ops-lead@acme.test']);
    expect(updates.find((mail) => mail.destination.to[0] === 'ops-lead@acme.test')!.body.text).toContain('Hello Sam');
  });

  it('PATCH customer.timezone re-counts and re-explains the open deadlines in the new zone', async () => {
    const { body: opened } = await create({ severity: 'high', customer: { ...escalationRequest().customer, timezone: 'Europe/Berlin' } });
    const moved = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { timezone: 'America/Los_Angeles' } }, { 'if-match': '"1"' });
    expect(moved.status).toBe(200);
    expect(moved.body.deadlineExplanations.acknowledgeBy).toMatchObject({ timeZone: 'America/Los_Angeles', calendar: { timeZone: 'America/Los_Angeles' } });
    expect(moved.body.sla.timeZone).toBe('America/Los_Angeles');
    const event = (await api.call('GET', `/escalations/${opened.id}/timeline`)).body.items.find((e: { type: string }) => e.type === 'customer_changed');
    expect(event.data).toMatchObject({ timeZone: { from: 'Europe/Berlin', to: 'America/Los_Angeles' }, previousDeadlines: opened.deadlines, deadlines: moved.body.deadlines });
  });

  it('PATCH customer refuses a repeated contact and a change of account, naming the field, and stores nothing', async () => {
    const { body: opened } = await create();
    const twice = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { contacts: [{ email: 'a@acme.test' }, { email: 'A@acme.test' }] } }, { 'if-match': '"1"' });
    expect(twice.status).toBe(400);
    expect(twice.body.errors[0].path).toBe('body.customer.contacts.1.email');
    const account = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { accountId: 'someone-else' } }, { 'if-match': '"1"' });
    expect(account.status).toBe(400);
    expect(account.body.errors[0]).toMatchObject({ path: 'body.customer', message: expect.stringContaining('accountId') });
    expect((await api.call('GET', `/escalations/${opened.id}`)).body.version).toBe(1);
  });

  it('PATCH without If-Match is 428; a severity change without a reason is 400 naming the field', async () => {
    const { body } = await create();
    expect((await api.call('PATCH', `/escalations/${body.id}`, { title: 'renamed' })).status).toBe(428);
    const noReason = await api.call('PATCH', `/escalations/${body.id}`, { severity: 'low' }, { 'if-match': '"1"' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ path: 'body.reason' })]);
  });
});

describe('lists', () => {
  it('lists open escalations by status, account, owner and severity, page by page', async () => {
    const account = `acct-${Date.now()}`;
    const customer = { ...escalationRequest().customer, accountId: account };
    const ids: string[] = [];
    for (const severity of ['critical', 'high', 'high', 'low', 'medium']) {
      ids.push((await create({ customer, severity })).body.id);
    }
    await api.call('POST', `/escalations/${ids[1]}/acknowledge`, { owner: `owner-${account}` });

    const open = await api.call('GET', '/escalations?status=open&limit=100');
    expect(open.body.items.map((e: { id: string }) => e.id)).toEqual(expect.arrayContaining([ids[0], ids[2], ids[3], ids[4]]));
    const deadlines = open.body.items.map((e: { deadlines: { acknowledgeBy: string } }) => e.deadlines.acknowledgeBy);
    expect(deadlines).toEqual([...deadlines].sort());

    const byAccount = await api.call('GET', `/escalations?accountId=${account}`);
    expect(byAccount.body.items.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());

    const high = await api.call('GET', `/escalations?accountId=${account}&severity=high&status=open`);
    expect(high.body.items.map((e: { id: string }) => e.id)).toEqual([ids[2]]);

    const owned = await api.call('GET', `/escalations?owner=owner-${account}`);
    expect(owned.body.items.map((e: { id: string }) => e.id)).toEqual([ids[1]]);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', `/escalations?accountId=${account}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('an unfiltered list returns the newest cases first', async () => {
    const newest = (await create()).body.id;
    const all = await api.call('GET', '/escalations?limit=1');
    expect(all.body.items[0].id).toBe(newest);
    expect(all.body.nextCursor).toBeDefined();
  });

  it('rejects a forged cursor and an out-of-range limit with 400', async () => {
    const forged = Buffer.from(JSON.stringify({ index: 'byAccount', key: { pk: 'x' } })).toString('base64url');
    const bad = await api.call('GET', `/escalations?accountId=acme&cursor=${forged}`);
    expect(bad.status).toBe(400);
    const otherAccount = Buffer.from(
      JSON.stringify({ index: 'byAccount', key: { pk: 'ESC#1', sk: 'CASE', byAccountPK: 'ACCOUNT#someone-else', byAccountSK: 'x' } }),
    ).toString('base64url');
    expect((await api.call('GET', `/escalations?accountId=acme&cursor=${otherAccount}`)).status).toBe(400);
    const { body: existing } = await create();
    const alien = Buffer.from(JSON.stringify({ index: 'timeline', key: { pk: 'ESC#another-case', sk: 'EVENT#1' } })).toString('base64url');
    expect((await api.call('GET', `/escalations/${existing.id}/timeline?cursor=${alien}`)).status).toBe(400);
    const limit = await api.call('GET', '/escalations?limit=1000');
    expect(limit.status).toBe(400);
    expect(limit.body.errors[0].path).toBe('query.limit');
  });
});

describe('service endpoints', () => {
  it('GET /health is public, as uptime checkers expect, and says only the status and the version', async () => {
    const response = await fetchChecked(`${api.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', version: API_VERSION });
    // A token changes nothing: the route has no authorizer.
    expect((await api.call('GET', '/health')).body).toEqual({ status: 'ok', version: API_VERSION });
  });

  it('GET /openapi.json documents every route with its request schema', async () => {
    const { body } = await api.call('GET', '/openapi.json');
    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/escalations', '/escalations/{id}', '/escalations/{id}/acknowledge', '/escalations/{id}/timeline']));
    const create = body.components.schemas.CreateEscalationRequest;
    expect(create.required).toEqual(expect.arrayContaining(['customer', 'title', 'severity']));
    expect(create.properties.severity.enum).toEqual(['critical', 'high', 'medium', 'low']);
  });

  it('rejects a missing or wrong bearer token with 401', async () => {
    const none = await fetchChecked(`${api.url}/escalations`);
    expect(none.status).toBe(401);
    const wrong = await api.call('GET', '/escalations', undefined, { authorization: 'Bearer wrong' });
    expect(wrong.status).toBe(401);
  });
});
