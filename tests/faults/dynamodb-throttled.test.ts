import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultSwitch } from '../../local/faults';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type ApiAnswer, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';
import { deliveredEmails, expectEachDeadlineActedOnOnce, HOUR_REAL_MS, SCALE, waitForOutboxSettled } from './support';
import { readCases } from '../support/stored-cases';

// DynamoDB throttles three calls in ten, for every handler, workflow task and stream consumer.
// The SDK retries, the transactions retry, and what still fails is a 503 with Retry-After that
// stored nothing: a client that retries with its Idempotency-Key gets exactly one of each write.

const CASES = 8;

describe('DynamoDB throttled at 30 %', () => {
  let api: TestApi;
  const faults = new FaultSwitch();
  const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const answers: ApiAnswer[] = [];

  /** A well-behaved client: on 503 it waits Retry-After (scaled down) and sends the same request with the same key. */
  async function send(method: string, path: string, body: unknown, key: string): Promise<ApiAnswer> {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const answer = await api.call(method, path, body, { 'idempotency-key': key });
      answers.push(answer);
      if (answer.status !== 503) return answer;
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${method} ${path} still unavailable after 20 tries`);
  }

  beforeAll(async () => {
    api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 50, faults, owedEmailsEveryMs: 250 });
  });
  afterAll(() => api?.close());

  it('acts on every deadline once, loses no write, sends every email once, and answers nothing worse than 503 with Retry-After', async () => {
    faults.set({ dynamodbThrottleRate: 0.3 });
    const run = Date.now().toString(36);
    const opened = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const title = `Throttled ${run} case ${String(i).padStart(2, '0')}`;
        // The first half will be acknowledged: high gives them four hours (12 s here) to be, even through 503s.
        const severity = i < CASES / 2 ? { severity: 'high', triggers: [] } : {};
        const answer = await send('POST', '/escalations', escalationRequest({ title, ...severity }), `open-${run}-${i}`);
        expect(answer.status).toBe(201);
        return { id: answer.body.id as string, title };
      }),
    );
    // Half of them are acknowledged (at once, before their first deadline); the others climb the ladder.
    const acknowledged = opened.slice(0, CASES / 2);
    await Promise.all(
      acknowledged.map(async (escalation, i) => {
        const answer = await send('POST', `/escalations/${escalation.id}/acknowledge`, { owner: 'owner@example.com' }, `ack-${run}-${i}`);
        expect(answer.status).toBe(200);
      }),
    );
    const climbing = opened.slice(CASES / 2);
    await waitFor(
      async () => {
        const cases = await readCases(client, api.tableName, climbing);
        return cases.every((record) => record.events.filter((event) => event.type === 'deadline_breached').length >= 2);
      },
      { timeoutMs: 30 * HOUR_REAL_MS, everyMs: 250, what: 'two breaches on every unacknowledged case' },
    );
    expect(faults.counters.dynamodbThrottled).toBeGreaterThan(20);

    faults.set({});
    await api.stack.engine.stopAll();
    const settled = await waitForOutboxSettled(client, api.tableName, opened, 60_000);
    // No lost write and none doubled: every case once (the keys were replayed), every acknowledgement once.
    const listed = (await api.call('GET', `/escalations?accountId=acme&limit=100`)).body.items.filter((item: { title: string }) => item.title.includes(run));
    expect(listed).toHaveLength(CASES);
    for (const record of settled.filter((r) => acknowledged.some((a) => a.id === r.id))) {
      const acknowledgements = record.events.filter((event) => event.type === 'acknowledged');
      expect(acknowledgements).toHaveLength(1);
      // On a loaded machine the 503s can hold an acknowledgement past its 12 s; a breach recorded before it is
      // the product acting on time. What must never happen is a breach acted on after the case was acknowledged.
      const acknowledgedAt = Date.parse(acknowledgements[0]!.at);
      const breachesAfter = record.events.filter((event) => event.type === 'deadline_breached' && event.data?.kind === 'acknowledge' && Date.parse(event.at) >= acknowledgedAt);
      expect(breachesAfter).toEqual([]);
    }
    expectEachDeadlineActedOnOnce(settled.filter((r) => acknowledged.some((a) => a.id === r.id) && r.events.some((event) => event.type === 'deadline_breached')));
    expectEachDeadlineActedOnOnce(settled.filter((r) => climbing.some((c) => c.id === r.id)));
    const { owed, extra } = deliveredEmails(settled, await api.sentMail());
    expect(extra, 'an email sent twice').toBe(0);
    // Nothing worse than a 503 reached a client.
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
    console.info(`DynamoDB throttled at 30 %: ${faults.counters.dynamodbThrottled} calls throttled, ${statuses.filter((s) => s === 503).length} of ${statuses.length} requests answered 503 and retried; ${owed} emails, each once`);
  }, 180_000);
});
