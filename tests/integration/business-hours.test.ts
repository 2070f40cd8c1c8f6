import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { container } from '../../functions/adapters/container';
import { parsePlaybook } from '../../functions/playbook/load';
import type { Playbook } from '../../functions/domain/playbook';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';

// Business-hours SLA clocks through the API, on the local stack: calendars, reportedAt,
// explanations, pause records and re-evaluation against a changed playbook.

const HOUR = 3_600_000;
let api: TestApi;
let original: Playbook;

beforeAll(async () => {
  api = await startTestApi();
  original = structuredClone(container().playbook);
});
afterAll(() => api?.close());
// Every handler's dependencies share one playbook object: replacing its contents in place
// stands in for deploying a new playbook.
const deployPlaybook = (playbook: Playbook) => Object.assign(container().playbook, structuredClone(playbook));
afterEach(() => {
  deployPlaybook(original);
});

const account = (timezone?: string) => ({
  ...escalationRequest().customer,
  accountId: `acct-${Math.random().toString(36).slice(2)}`,
  ...(timezone && { timezone }),
});

async function create(overrides: Record<string, unknown>) {
  const created = await api.call('POST', '/escalations', escalationRequest({ triggers: [], ...overrides }));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

const timeline = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as { type: string; actor: string; data?: any }[];

describe('calendars and reportedAt', () => {
  it('a high escalation reported Friday 16:00 in Europe/Berlin is to be acknowledged Monday 12:00 Berlin time, and the API says why', async () => {
    const body = await create({ severity: 'high', customer: account('Europe/Berlin'), reportedAt: '2026-03-06T16:00:00+01:00' });
    expect(body.reportedAt).toBe('2026-03-06T15:00:00.000Z');
    expect(Date.parse(body.createdAt)).toBeGreaterThan(Date.parse(body.reportedAt));
    expect(body.deadlines.acknowledgeBy).toBe('2026-03-09T11:00:00.000Z');
    const why = body.deadlineExplanations.acknowledgeBy;
    expect(why).toMatchObject({
      at: '2026-03-09T11:00:00.000Z',
      atLocal: '2026-03-09T12:00:00+01:00',
      timeZone: 'Europe/Berlin',
      calendar: { name: 'business', timeZone: 'Europe/Berlin', hours: 'Mon–Fri 09:00–17:00', alwaysOpen: false },
      method: 'working_time',
      countedFrom: '2026-03-06T15:00:00.000Z',
      countedFromLocal: '2026-03-06T16:00:00+01:00',
      target: '4h',
      targetMs: 4 * HOUR,
      counted: [
        { from: '2026-03-06T16:00:00+01:00', to: '2026-03-06T17:00:00+01:00', ms: HOUR },
        { from: '2026-03-09T09:00:00+01:00', to: '2026-03-09T12:00:00+01:00', ms: 3 * HOUR },
      ],
      pausesSkipped: [],
      holidaysSkipped: [],
    });
    expect(why.summary).toBe(
      '4h of working time on calendar "business" (Mon–Fri 09:00–17:00, Europe/Berlin) from Fri 6 Mar 2026 16:00: ' +
        'counted Fri 6 Mar 2026 16:00–17:00 (1h), Mon 9 Mar 2026 09:00–12:00 (3h) → Mon 9 Mar 2026 12:00 Europe/Berlin (2026-03-09T11:00:00.000Z)',
    );
    expect(body.sla).toMatchObject({ calendar: 'business', timeZone: 'Europe/Berlin', targets: { acknowledgeWithin: '4h', updateEvery: '4h', resolveWithin: '3d' } });
    const created = (await timeline(body.id)).find((event) => event.type === 'created')!;
    expect(created.data).toMatchObject({ reportedAt: '2026-03-06T15:00:00.000Z', calendar: 'business', timeZone: 'Europe/Berlin', deadlines: { acknowledgeBy: '2026-03-09T11:00:00.000Z' } });
  });

  it('acceptance: a medium case opened Monday 10:00 on the default calendar is to be resolved on the 7th working day at 10:00, and the API says "7 working days"', async () => {
    const body = await create({ severity: 'medium', customer: account(), reportedAt: '2026-03-02T10:00:00Z' });
    expect(body.deadlines).toMatchObject({ acknowledgeBy: '2026-03-03T10:00:00.000Z', resolveBy: '2026-03-11T10:00:00.000Z' });
    expect(body.sla.targets).toEqual({ acknowledgeWithin: '1d', updateEvery: '1d', resolveWithin: '7d' });
    const why = body.deadlineExplanations.resolveBy;
    expect(why).toMatchObject({
      at: '2026-03-11T10:00:00.000Z',
      method: 'working_days',
      target: '7d',
      targetMs: 56 * HOUR,
      workingDays: { days: 7, countedFromLocal: '2026-03-02T10:00:00Z', day: '2026-03-11', sameTimeLocal: '2026-03-11T10:00:00Z' },
      calendar: { name: 'business', timeZone: 'UTC', hours: 'Mon–Fri 09:00–17:00', alwaysOpen: false },
    });
    expect(why.summary).toBe(
      '7 working days on calendar "business" (Mon–Fri 09:00–17:00, UTC) from Mon 2 Mar 2026 10:00: ' +
        'the same time on the 7th working day, Wed 11 Mar 2026 → Wed 11 Mar 2026 10:00 UTC (2026-03-11T10:00:00.000Z)',
    );
    // The read answers the same: the snapshot went through the table and back.
    const read = await api.call('GET', `/escalations/${body.id}`);
    expect(read.body.deadlineExplanations.resolveBy).toEqual(why);
  });

  it('a whole-day target keeps the wall time across a DST change (New York: Friday 10:00 EST → the 7th working day 10:00 EDT)', async () => {
    const body = await create({ severity: 'medium', customer: account('America/New_York'), reportedAt: '2026-03-06T10:00:00-05:00' });
    expect(body.deadlines.resolveBy).toBe('2026-03-17T14:00:00.000Z');
    expect(body.deadlineExplanations.resolveBy.atLocal).toBe('2026-03-17T10:00:00-04:00');
  });

  it('counts across a DST change in the account\'s zone (New York, spring forward)', async () => {
    const body = await create({ severity: 'high', customer: account('America/New_York'), reportedAt: '2026-03-06T15:00:00-05:00' });
    expect(body.deadlines.acknowledgeBy).toBe('2026-03-09T15:00:00.000Z');
    expect(body.deadlineExplanations.acknowledgeBy.atLocal).toBe('2026-03-09T11:00:00-04:00');
  });

  it('an account without a time zone counts in the team\'s zone; critical runs 24×7', async () => {
    const high = await create({ severity: 'high', customer: account(), reportedAt: '2026-03-06T16:00:00Z' });
    expect(high.deadlines.acknowledgeBy).toBe('2026-03-09T12:00:00.000Z'); // Fri 16–17, Mon 09–12 UTC
    expect(high.deadlineExplanations.acknowledgeBy.timeZone).toBe('UTC');
    const critical = await create({ severity: 'critical', customer: account('Europe/Berlin'), reportedAt: '2026-03-06T16:00:00Z' });
    expect(critical.deadlines.acknowledgeBy).toBe('2026-03-06T17:00:00.000Z');
    expect(critical.deadlineExplanations.acknowledgeBy.calendar).toMatchObject({ name: '24x7', hours: '24×7', alwaysOpen: true });
  });

  it('reportedAt defaults to now and may not be in the future (400 naming the field)', async () => {
    const before = Date.now();
    const body = await create({ severity: 'critical', customer: account() });
    expect(Date.parse(body.reportedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(body.reportedAt).toBe(body.createdAt);
    const future = await api.call('POST', '/escalations', escalationRequest({ reportedAt: new Date(Date.now() + 2 * HOUR).toISOString() }));
    expect(future.status).toBe(400);
    expect(future.body.errors).toEqual([expect.objectContaining({ path: 'body.reportedAt' })]);
    const zone = await api.call('POST', '/escalations', escalationRequest({ customer: { ...account(), timezone: 'Europe/Berln' } }));
    expect(zone.status).toBe(400);
    expect(zone.body.errors).toEqual([expect.objectContaining({ path: 'body.customer.timezone' })]);
  });
});

describe('pauses are records', () => {
  it('who, why, from and to are on the case and the timeline; the total paused time is in the API', async () => {
    const { id } = await create({ severity: 'critical', customer: account('Europe/Berlin') });
    await api.call('POST', `/escalations/${id}/acknowledge`, {});
    const paused = await api.call('POST', `/escalations/${id}/pause`, { reason: 'waiting for the HAR file' });
    expect(paused.body.sla.pauses).toEqual([{ from: paused.body.sla.pausedSince, by: 'tester@example.com', reason: 'waiting for the HAR file' }]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const resumed = (await api.call('POST', `/escalations/${id}/resume`, { note: 'received' })).body;
    const [pause] = resumed.sla.pauses;
    expect(pause).toMatchObject({ from: paused.body.sla.pausedSince, by: 'tester@example.com', reason: 'waiting for the HAR file', resumedBy: 'tester@example.com' });
    expect(pause.pausedMs).toBe(Date.parse(pause.to) - Date.parse(pause.from));
    expect(resumed.sla.pausedMs).toBe(pause.pausedMs);
    // 24×7: the resolution deadline moves by exactly the pause, and its explanation names it.
    expect(Date.parse(resumed.deadlines.resolveBy) - Date.parse(paused.body.deadlines.resolveBy)).toBe(pause.pausedMs);
    expect(resumed.deadlineExplanations.resolveBy.pausesSkipped).toEqual([
      expect.objectContaining({ workingMs: pause.pausedMs, by: 'tester@example.com', reason: 'waiting for the HAR file' }),
    ]);
    const event = (await timeline(id)).find((e) => e.type === 'resumed')!;
    expect(event.data.pause).toEqual({ from: pause.from, to: pause.to, by: pause.by, reason: pause.reason, resumedBy: pause.resumedBy });
  });
});

describe('a playbook change applies to new escalations; open ones keep theirs until re-evaluated', () => {
  it('keeps the targets a case started with, and re-evaluate applies the new ones and records the change', async () => {
    const customer = account('Europe/Berlin');
    const old = await create({ severity: 'high', customer, reportedAt: '2026-03-06T16:00:00+01:00' });

    deployPlaybook(parsePlaybook({
      severities: { high: { acknowledgeWithin: '1h', updateEvery: '2h', resolveWithin: '2d' } },
      calendars: { business: { week: { fri: [['09:00', '20:00']] } } },
    }));
    const fresh = await create({ severity: 'high', customer, reportedAt: '2026-03-06T16:00:00+01:00' });
    expect(fresh.deadlines.acknowledgeBy).toBe('2026-03-06T16:00:00.000Z'); // Fri 17:00 Berlin, open until 20:00 now
    expect(fresh.sla.targets.acknowledgeWithin).toBe('1h');

    // A change to the old case recomputes from its own policy, not the new playbook.
    const noted = await api.call('POST', `/escalations/${old.id}/notes`, { text: 'customer called' });
    expect(noted.body.deadlines.resolveBy).toBe(old.deadlines.resolveBy);
    expect(noted.body.sla.targets.acknowledgeWithin).toBe('4h');
    expect(noted.body.sla.policyTakenAt).toBe(old.sla.policyTakenAt);

    const noReason = await api.call('POST', `/escalations/${old.id}/re-evaluate`, {});
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ path: 'body.reason' })]);

    const reevaluated = await api.call('POST', `/escalations/${old.id}/re-evaluate`, { reason: 'support now open until 20:00 on Fridays' });
    expect(reevaluated.status, JSON.stringify(reevaluated.body)).toBe(200);
    expect(reevaluated.body.sla.targets).toMatchObject({ acknowledgeWithin: '1h', updateEvery: '2h', resolveWithin: '2d' });
    // Two working days from Friday 16:00 Berlin, not three: Tuesday 16:00.
    expect(old.deadlines.resolveBy).toBe('2026-03-11T15:00:00.000Z');
    expect(reevaluated.body.deadlines.resolveBy).toBe('2026-03-10T15:00:00.000Z');
    expect(reevaluated.body.deadlineExplanations.resolveBy.summary).toContain('2 working days');
    expect(Date.parse(reevaluated.body.sla.policyTakenAt)).toBeGreaterThan(Date.parse(old.sla.policyTakenAt));
    const event = (await timeline(old.id)).find((e) => e.type === 're_evaluated')!;
    expect(event).toMatchObject({
      actor: 'tester@example.com',
      data: {
        reason: 'support now open until 20:00 on Fridays',
        before: { policy: { acknowledgeWithin: '4h', source: 'case snapshot' }, deadlines: expect.objectContaining({ resolveBy: old.deadlines.resolveBy }) },
        after: { policy: { acknowledgeWithin: '1h', updateEvery: '2h', resolveWithin: '2d' }, deadlines: reevaluated.body.deadlines },
      },
    });
    expect(event.data.changed).toEqual(expect.arrayContaining(['resolveBy']));
  });

  it('the OpenAPI document lists the re-evaluate action and the explanations', async () => {
    const { body } = await api.call('GET', '/openapi.json');
    expect(Object.keys(body.paths)).toContain('/escalations/{id}/re-evaluate');
    const escalation = body.components.schemas.Escalation;
    expect(escalation.properties).toHaveProperty('deadlineExplanations');
    expect(escalation.properties).toHaveProperty('reportedAt');
    expect(body.components.schemas.CreateEscalationRequest.properties).toHaveProperty('reportedAt');
  });
});
