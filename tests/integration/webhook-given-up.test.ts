import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// A receiver that never answers: its deliveries are retried for a day of case time (24 s here),
// then given up and the webhook disabled, saying why. An hour of case time passes every second.

const SCALE = 3_600;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20, playbookPath: ROUND_THE_CLOCK_PLAYBOOK });
});
afterAll(() => api?.close());

/** A loopback port nothing listens on: taken, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a webhook whose receiver stays down', () => {
  it('is retried for 24 h, then its delivery is given up and the webhook disabled', async () => {
    const hook = await api.call('POST', '/webhooks', { url: `http://127.0.0.1:${await closedPort()}/`, events: ['escalation.opened'] });
    expect(hook.status).toBe(201);
    const opened = await api.call('POST', '/escalations', escalationRequest({ severity: 'low', triggers: [] }));
    expect(opened.status).toBe(201);

    const disabled = await waitFor(
      async () => {
        const read = await api.call('GET', `/webhooks/${hook.body.id}`);
        return read.body.status === 'disabled' && read.body;
      },
      { timeoutMs: 90_000, everyMs: 500, what: 'the webhook to be disabled after a day of case time' },
    );
    expect(disabled.disabledReason).toMatch(/^a delivery was given up: still failing after \d+ attempts over 2\d h: .*ECONNREFUSED/);

    const [delivery] = (await api.call('GET', `/webhooks/${hook.body.id}/deliveries`)).body.items as { status: string; queuedAt: string; failedAt: string; attempts: number; history: { at: string; status?: number }[] }[];
    expect(delivery!.status).toBe('failed');
    const owedFor = Date.parse(delivery!.failedAt) - Date.parse(delivery!.queuedAt);
    expect(owedFor).toBeGreaterThanOrEqual(24 * 3_600_000);
    // Many attempts, none answered (their pace, 10 s first then doubling to an hour, is a rule: tests/unit/webhook-rules.test.ts).
    expect(delivery!.attempts).toBeGreaterThan(10);
    expect(delivery!.history.every((attempt) => attempt.status === undefined)).toBe(true);

    // Enabled again, it takes the next event.
    expect((await api.call('POST', `/webhooks/${hook.body.id}/enable`)).body.status).toBe('active');
  }, 150_000);
});
