import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_RETRIES_WITHIN_MS } from '../../functions/usecases/webhooks';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// A receiver that blinked hears again within seconds, from the invocation that first tried it,
// not a minute later from the sweep: here the sweep never runs (every case-clock hour at most),
// so only the stream consumer's own retries can deliver.

// Slow enough that the machine's own latency is not seconds of case time: the retry must fall
// within 15 s of case time from the batch's start (FIRST_RETRIES_WITHIN_MS), after up to 10 s of
// backoff, so at most 5 s of case time is left for the first attempt. At 6x a loaded CI machine
// (over 0.8 s real for the first attempt) pushed the retry past the budget, to the sweep; at 2x
// it has 2.5 s.
const SCALE = 2;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20, owedEmailsEveryMs: 3_600_000 });
});
afterAll(() => api?.close());

/** A receiver that answers 503 to its first `failures` calls, then 204; it keeps the bodies it took. */
async function flakyReceiver(failures: number) {
  const taken: { body: string; headers: Record<string, string> }[] = [];
  let calls = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls++;
      if (calls <= failures) return void response.writeHead(503).end('blinked');
      taken.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers as Record<string, string> });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, taken, calls: () => calls, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

type Listed = { eventType: string; status: string; attempts: number; nextAttemptAt?: string; history: { at: string; status?: number }[] };

async function deliveriesOf(webhookId: string): Promise<Listed[]> {
  return (await api.call('GET', `/webhooks/${webhookId}/deliveries?limit=50`)).body.items as Listed[];
}

describe("a webhook's first retries", () => {
  it('a receiver that answered 503 once gets the delivery 5 to 10 s later (case time), without the sweep', async () => {
    const receiver = await flakyReceiver(1);
    try {
      const hook = await api.call('POST', '/webhooks', { url: receiver.url, events: ['escalation.opened'] });
      expect(hook.status).toBe(201);
      expect((await api.call('POST', '/escalations', escalationRequest({ severity: 'high' }))).status).toBe(201);

      const [received] = await waitFor(async () => receiver.taken.length > 0 && receiver.taken, { timeoutMs: 30_000, what: 'the delivery after one 503' });
      expect(new Webhook(hook.body.secret).verify(received!.body, received!.headers)).toBeDefined();
      const [delivery] = await deliveriesOf(hook.body.id);
      expect(delivery!.status).toBe('sent');
      expect(delivery!.history.map((attempt) => attempt.status)).toEqual([503, 204]);
      // The first backoff (10 s, equal jitter): the retry came when it was due, not a sweep later.
      const gap = Date.parse(delivery!.history[1]!.at) - Date.parse(delivery!.history[0]!.at);
      expect(gap).toBeGreaterThanOrEqual(5_000);
      expect(gap).toBeLessThanOrEqual(FIRST_RETRIES_WITHIN_MS);
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it(`a receiver still down after ${FIRST_RETRIES_WITHIN_MS / 1000} s is left to the sweep, owed and not lost`, async () => {
    const receiver = await flakyReceiver(Number.POSITIVE_INFINITY);
    try {
      const hook = await api.call('POST', '/webhooks', { url: receiver.url, events: ['escalation.opened'] });
      expect(hook.status).toBe(201);
      expect((await api.call('POST', '/escalations', escalationRequest({ severity: 'high' }))).status).toBe(201);

      const [delivery] = await waitFor(
        async () => {
          const listed = await deliveriesOf(hook.body.id);
          return listed[0]?.status === 'pending' && listed[0].attempts >= 2 && listed;
        },
        { timeoutMs: 30_000, what: 'a pending delivery, retried in the invocation' },
      );
      // No more attempts from the consumer: the next one is due after the budget, and the sweep never runs here.
      const calls = receiver.calls();
      const pastNextAttempt = Date.parse(api.stack.clock.toReal(delivery!.nextAttemptAt!)) + 2_000 - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, pastNextAttempt)));
      expect(receiver.calls()).toBe(calls);
      expect((await deliveriesOf(hook.body.id))[0]!.attempts).toBe(delivery!.attempts);
      const first = Date.parse(delivery!.history[0]!.at);
      expect(delivery!.history.every((attempt) => Date.parse(attempt.at) - first <= FIRST_RETRIES_WITHIN_MS)).toBe(true);
      expect(Date.parse(delivery!.nextAttemptAt!) - first).toBeGreaterThan(FIRST_RETRIES_WITHIN_MS);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
