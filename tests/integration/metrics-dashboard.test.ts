import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// An hour of case time per real second, so acknowledgement times are minutes, not milliseconds.
const SCALE = 3600;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.warn(`No Chromium at ${CHROMIUM}: the dashboard browser test is skipped (apt-get install chromium, or set CHROMIUM_PATH).`);
}

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20 });
});
afterAll(() => api?.close());

interface Event {
  type: string;
  data?: Record<string, any>;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const step = async (id: string, action: string, body: unknown) => {
  const answer = await api.call('POST', `/escalations/${id}/${action}`, body);
  expect(answer.status, `${action}: ${JSON.stringify(answer.body)}`).toBe(200);
};
const rank = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.ceil(q * sorted.length) - 1] : null;
};

describe('metrics and the dashboard after a scripted mix of escalations', () => {
  const cases: { id: string; severity: string }[] = [];

  beforeAll(async () => {
    const open = async (severity: string, title: string) => {
      const { body } = await api.call('POST', '/escalations', escalationRequest({ severity, title, triggers: [] }));
      cases.push({ id: body.id, severity });
      return body.id as string;
    };
    const quick = await open('critical', 'acknowledged in minutes');
    const late = await open('critical', 'nobody picks it up');
    const high = await open('high', 'resolved, customer leaves');
    await open('medium', 'still open');
    const low = await open('low', 'waiting on the customer');

    await sleep(200);
    await step(quick, 'acknowledge', { owner: 'ann@example.com' });
    await step(high, 'acknowledge', { owner: 'bob@example.com' });
    await step(low, 'acknowledge', {});
    await step(quick, 'updates', { message: 'We know the cause; a fix is being tested.' });
    await step(high, 'updates', { message: 'A workaround is in place.' });
    await step(low, 'pause', { reason: 'waiting for a screenshot' });
    await step(quick, 'resolve', { rootCause: 'a bad deploy', fix: 'rolled back', prevention: 'canary releases' });
    await step(quick, 'close', { outcome: 'retained' });
    await step(high, 'resolve', { rootCause: 'quota', fix: 'raised it', prevention: 'quota alarms' });
    await step(high, 'close', { outcome: 'churned' });
    // The second critical case misses its hour, then gets acknowledged late.
    await waitFor(async () => ((await api.call('GET', `/escalations/${late}/timeline`)).body.items as Event[]).some((e) => e.type === 'deadline_breached'), { timeoutMs: 5000, what: 'the breach' });
    await step(late, 'acknowledge', {});
  });

  it('GET /metrics matches the figures computed by hand from the timelines', async () => {
    const timelines = new Map<string, Event[]>();
    for (const { id } of cases) timelines.set(id, (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items);
    const all = [...timelines.entries()].flatMap(([id, events]) => events.map((event) => ({ ...event, caseId: id, severity: cases.find((c) => c.id === id)!.severity })));

    const metrics = await api.call('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const m = metrics.body;

    // Targets are in working time, so the report is too.
    const ackTimes = (severity?: string) =>
      all.filter((e) => e.type === 'acknowledged' && (!severity || e.severity === severity)).map((e) => e.data!.workingTimeToAcknowledgeMs);
    for (const severity of ['critical', 'high', 'medium', 'low']) {
      expect(m.timeToAcknowledge[severity].count, severity).toBe(ackTimes(severity).length);
      expect(m.timeToAcknowledge[severity].p50, severity).toBe(rank(ackTimes(severity), 0.5));
      expect(m.timeToAcknowledge[severity].p99, severity).toBe(rank(ackTimes(severity), 0.99));
    }
    expect(m.timeToAcknowledge.critical.count).toBe(2);
    expect(m.timeToAcknowledge.critical.met).toBe(false); // one came after its hour

    const acknowledgedOnTime = new Set(all.filter((e) => e.type === 'acknowledged' && e.data!.onTime).map((e) => e.caseId));
    const breachedAck = new Set(all.filter((e) => e.type === 'deadline_breached' && e.data!.kind === 'acknowledge').map((e) => e.caseId));
    const ackCases = new Set([...all.filter((e) => e.type === 'acknowledged').map((e) => e.caseId), ...breachedAck]);
    const onTime = [...ackCases].filter((id) => acknowledgedOnTime.has(id) && !breachedAck.has(id)).length;
    expect(m.compliance.acknowledge).toMatchObject({ onTime, total: ackCases.size });

    const updates = all.filter((e) => e.type === 'customer_updated');
    expect(m.updatesOnTime).toMatchObject({ onTime: updates.filter((e) => e.data!.onTime).length, total: updates.length, targetPercent: 100 });

    expect(m.churn).toMatchObject({ churned: 1, retained: 1, ratePercent: 50, targetPercent: 5, met: false });
    expect(m.open.total).toBe(3); // the medium one, the paused low one, the late critical one
    expect(m.open.bySeverity.medium.count).toBe(1);

    const critical = await api.call('GET', '/metrics?severity=critical');
    expect(critical.body.open.total).toBe(1);
    expect(critical.body.timeToAcknowledge.high.count).toBe(0);
  });

  it('bad ranges are a 400 naming the field', async () => {
    const backwards = await api.call('GET', '/metrics?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z');
    expect(backwards.status).toBe(400);
    expect(backwards.body.errors[0].path).toBe('query.from');
  });

  it.skipIf(!existsSync(CHROMIUM))('the local /dashboard draws the same figures in a real browser', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      await page.goto(`${api.url}/dashboard`);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 10_000 });
      const metrics = (await api.call('GET', '/metrics')).body;
      expect(await page.textContent('#churn')).toBe(`${metrics.churn.ratePercent} %`);
      expect(await page.textContent('#updates-on-time')).toBe(`${metrics.updatesOnTime.percent} %`);
      expect(await page.locator('rect.bar[data-label="acknowledge"]').getAttribute('data-value')).toBe(String(metrics.compliance.acknowledge.percent));
      expect(await page.locator('line.target').count()).toBeGreaterThan(0);
      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: 'test-output/dashboard.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
