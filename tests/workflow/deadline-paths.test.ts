import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../local/workflow-engine';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// One path through statemachines/escalation.asl.json per test, end to end on the local
// stack. At --time-scale 3600 an hour of case time passes in one real second.
const SCALE = 3600;
const HOUR_REAL_MS = 3_600_000 / SCALE;

let api: TestApi;
/** Cases whose act-on-deadline task fails on purpose, and how often it was called for them. */
const failingCases = new Map<string, number>();

const faultInjection = (name: string, handler: TaskHandler): TaskHandler =>
  name !== 'act-on-deadline'
    ? handler
    : async (input, context) => {
        const caseId = (input as { caseId: string }).caseId;
        if (failingCases.has(caseId)) {
          failingCases.set(caseId, failingCases.get(caseId)! + 1);
          throw new Error('injected failure: the deadline task keeps crashing');
        }
        return handler(input, context);
      };

beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 20, wrapTask: faultInjection });
});
afterAll(() => api?.close());

interface Event {
  type: string;
  at: string;
  summary: string;
  data?: Record<string, any>;
}

async function timeline(id: string): Promise<Event[]> {
  const { body } = await api.call('GET', `/escalations/${id}/timeline?limit=200`);
  return body.items;
}
const ofType = (events: Event[], type: string) => events.filter((event) => event.type === type);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function open(overrides: Record<string, unknown> = {}) {
  const { status, body } = await api.call('POST', '/escalations', escalationRequest(overrides));
  expect(status).toBe(201);
  return body;
}

describe('the escalation workflow', () => {
  it('ack on time: no breach, and the workflow moves on to the update deadline', async () => {
    // High: 4 h (4 s here) to acknowledge, so a slow first request on a loaded machine is still on time.
    const opened = await open({ severity: 'high', triggers: [] });
    const acked = await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'alice@example.com' });
    expect(acked.status).toBe(200);
    expect(Date.parse(acked.body.acknowledgedAt)).toBeLessThan(Date.parse(opened.deadlines.acknowledgeBy));
    await sleep(4.3 * HOUR_REAL_MS); // past the original acknowledgement deadline
    const events = await timeline(opened.id);
    expect(ofType(events, 'deadline_breached')).toEqual([]);
    expect(await api.stack.engine.isRunning(opened.id, 1)).toBe(true);
  });

  it('ack missed twice: tier 1, then tier 2, each alerted once by email with the handoff context', async () => {
    const opened = await open({ title: `Nobody acknowledges ${Date.now()}` });
    const events = await waitFor(async () => {
      const all = await timeline(opened.id);
      return ofType(all, 'deadline_breached').length >= 2 && all;
    }, { timeoutMs: 5 * HOUR_REAL_MS, what: 'two acknowledgement breaches' });
    const [first, second] = ofType(events, 'deadline_breached');
    expect(first!.data).toMatchObject({ kind: 'acknowledge', tier: 1, deadline: opened.deadlines.acknowledgeBy });
    expect(second!.data).toMatchObject({ kind: 'acknowledge', tier: 2 });
    // The second deadline is the first tier's own hour, counted from the first breach.
    expect(Date.parse(second!.data!.deadline) - Date.parse(first!.at)).toBe(3_600_000);
    expect(first!.data!.lagMs).toBeGreaterThanOrEqual(0);

    const current = await api.call('GET', `/escalations/${opened.id}`);
    expect(current.body.tier).toBeGreaterThanOrEqual(2);
    const mail = (await api.settledMail([opened.id])).filter((m) => m.subject.includes(opened.title));
    const tier1 = mail.filter((m) => m.subject.includes('tier 1'));
    expect(tier1).toHaveLength(1);
    expect(tier1[0]!.destination.to.sort()).toEqual(['csm-manager@example.com', 'support-lead@example.com']);
    expect(tier1[0]!.body.text).toContain('Acme Corp (enterprise), ARR 240000, health score 62');
    expect(tier1[0]!.body.text).toContain('No orders since 09:10');
    expect(mail.filter((m) => m.subject.includes('tier 2'))).toHaveLength(1);
  });

  it('update missed: the owner is reminded, and one cadence later the case climbs a tier', async () => {
    const opened = await open({ severity: 'critical' });
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'owner@example.com' });
    const events = await waitFor(async () => {
      const all = await timeline(opened.id);
      return ofType(all, 'deadline_breached').some((e) => e.data?.kind === 'update') && all;
    }, { timeoutMs: 4 * HOUR_REAL_MS, what: 'an update breach' });
    const reminder = ofType(events, 'reminder_sent')[0]!;
    const breach = ofType(events, 'deadline_breached').find((e) => e.data?.kind === 'update')!;
    expect(Date.parse(reminder.at)).toBeLessThan(Date.parse(breach.at));
    expect(breach.data).toMatchObject({ action: 'escalate_missed_update', tier: 1 });
    // One reminder for the missed update, before its breach.
    expect(ofType(events, 'reminder_sent').filter((e) => Date.parse(e.at) < Date.parse(breach.at))).toHaveLength(1);
    // The cadence goes on after the breach (the next update is due an hour, one real second, later):
    // pause it, then every reminder and warning the timeline records went out exactly once.
    await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'the test has seen enough' });
    const mail = await api.settledMail([opened.id]);
    const recorded = await timeline(opened.id);
    const toOwner = mail.filter((m) => m.destination.to.includes('owner@example.com') && m.subject.includes(opened.title));
    expect(toOwner.filter((m) => m.subject.startsWith('Customer update due'))).toHaveLength(ofType(recorded, 'reminder_sent').length);
    // The at-risk warning before each update deadline (75 % of the cadence) is its own email.
    const updateWarnings = ofType(recorded, 'deadline_warning').filter((e) => e.data?.kind === 'update');
    expect(updateWarnings.length).toBeGreaterThanOrEqual(1);
    expect(toOwner.filter((m) => m.subject.includes('left to update the customer on'))).toHaveLength(updateWarnings.length);
  });

  it('pause stops every deadline; resume re-arms the workflow with deadlines moved by the pause', async () => {
    const opened = await open({ severity: 'critical' });
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    const paused = await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'waiting for logs' });
    await sleep(1.5 * HOUR_REAL_MS); // the update deadline passes while paused
    expect(ofType(await timeline(opened.id), 'reminder_sent')).toEqual([]);
    const resumed = await api.call('POST', `/escalations/${opened.id}/resume`, {});
    expect(resumed.body.sla.pausedMs).toBeGreaterThanOrEqual(3_600_000);
    expect(Date.parse(resumed.body.deadlines.nextUpdateBy)).toBeGreaterThan(Date.parse(paused.body.deadlines.nextUpdateBy));
    // Resuming makes generation 2, whose execution watches the moved deadline; generation 1 has ended.
    // The resume's stored new generation starts from the table's stream, off the request path.
    await api.stack.caseChanges.drained();
    expect(await api.stack.engine.isRunning(opened.id, 2)).toBe(true);
    expect(await api.stack.engine.isRunning(opened.id, 1)).toBe(false);
    const reminder = await waitFor(async () => ofType(await timeline(opened.id), 'reminder_sent')[0], { timeoutMs: 3 * HOUR_REAL_MS, what: 'the reminder after resume' });
    expect(reminder.data!.deadline).toBe(resumed.body.deadlines.nextUpdateBy);
  });

  it('severity raised mid-wait: the earlier deadline is honoured', async () => {
    const opened = await open({ severity: 'low', triggers: [] }); // 48 h to acknowledge
    await sleep(0.2 * HOUR_REAL_MS);
    const raised = await api.call('PATCH', `/escalations/${opened.id}`, { severity: 'critical', reason: 'every store is down' }, { 'if-match': '"1"' });
    expect(raised.status).toBe(200);
    expect(Date.parse(raised.body.deadlines.acknowledgeBy) - Date.parse(opened.createdAt)).toBe(3_600_000);
    const breach = await waitFor(async () => ofType(await timeline(opened.id), 'deadline_breached')[0], { timeoutMs: 3 * HOUR_REAL_MS, what: 'the critical acknowledgement breach' });
    expect(breach.data).toMatchObject({ kind: 'acknowledge', deadline: raised.body.deadlines.acknowledgeBy });
  });

  it('a stale generation that wakes ends without acting', async () => {
    const opened = await open({ severity: 'high', triggers: [] }); // 4 h to acknowledge
    // Stopping the old execution is best effort: simulate it failing to stop.
    const realStop = api.stack.engine.stop.bind(api.stack.engine);
    api.stack.engine.stop = async () => undefined;
    try {
      const raised = await api.call('PATCH', `/escalations/${opened.id}`, { severity: 'critical', reason: 'spreading' }, { 'if-match': '"1"' });
      expect(raised.status).toBe(200);
      // The stream starts generation 2 and (here, fails to) stop generation 1 after the request.
      await api.stack.caseChanges.drained();
      expect(await api.stack.engine.isRunning(opened.id, 2)).toBe(true);
    } finally {
      api.stack.engine.stop = realStop;
    }
    // Not stopped: it runs on (or, on a loaded machine, has already woken, seen it is stale and ended).
    expect(api.stack.engine.execution(opened.id, 1)?.status).toMatch(/^(RUNNING|SUCCEEDED)$/);
    // Generation 2 acts at the critical deadline; generation 1 wakes at the old one and must not.
    await waitFor(async () => api.stack.engine.execution(opened.id, 1)?.status === 'SUCCEEDED', { timeoutMs: 6 * HOUR_REAL_MS, what: 'generation 1 to end' });
    const breaches = ofType(await timeline(opened.id), 'deadline_breached').filter((e) => e.data?.kind === 'acknowledge');
    const acknowledgeDeadlines = breaches.map((e) => e.data!.deadline);
    expect(new Set(acknowledgeDeadlines).size).toBe(acknowledgeDeadlines.length);
  });

  it('a task that keeps failing is retried, recorded on the case and re-armed at once, then with growing waits; once it works the deadline is acted on once', async () => {
    const opened = await open();
    failingCases.set(opened.id, 0);
    const failure = await waitFor(async () => ofType(await timeline(opened.id), 'workflow_failed')[0], { timeoutMs: 4 * HOUR_REAL_MS, what: 'the recorded failure' });
    expect(failure.summary).toContain('Error');
    expect(failure.data!.cause).toContain('injected failure');
    await waitFor(async () => api.stack.engine.execution(opened.id, 1)?.status === 'FAILED', { what: 'the execution to fail' });
    expect(api.stack.engine.execution(opened.id, 1)!.error).toContain('A deadline task failed after its retries');
    // Re-armed in the same write, without waiting for the daily sweep: generation 2 at once,
    // and while the task keeps failing, each next generation waits longer (functions/domain/workflow-recovery.ts).
    const rearms = await waitFor(async () => {
      const found = ofType(await timeline(opened.id), 'workflow_rearmed');
      return found.length >= 3 && found;
    }, { timeoutMs: 20 * HOUR_REAL_MS, what: 'three re-arms' });
    expect(rearms.map((event) => event.data!.generation)).toEqual([2, 3, 4, ...rearms.slice(3).map((_, i) => 5 + i)]);
    expect(rearms[0]!.data!.notBefore).toBeUndefined();
    expect(Date.parse(rearms[1]!.data!.notBefore) - Date.parse(rearms[1]!.at)).toBeGreaterThanOrEqual(30_000);
    expect(Date.parse(rearms[2]!.data!.notBefore) - Date.parse(rearms[2]!.at)).toBeGreaterThanOrEqual(60_000);
    expect(ofType(await timeline(opened.id), 'deadline_breached')).toEqual([]);

    failingCases.delete(opened.id);
    const breach = await waitFor(async () => ofType(await timeline(opened.id), 'deadline_breached')[0], { timeoutMs: 10 * HOUR_REAL_MS, what: 'the breach once the task works' });
    expect(breach.data).toMatchObject({ kind: 'acknowledge', deadline: opened.deadlines.acknowledgeBy });
    await sleep(0.5 * HOUR_REAL_MS);
    const breaches = ofType(await timeline(opened.id), 'deadline_breached').filter((e) => e.data?.deadline === opened.deadlines.acknowledgeBy);
    expect(breaches).toHaveLength(1);
  });
});
