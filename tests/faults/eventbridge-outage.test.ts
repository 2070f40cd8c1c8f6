import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultSwitch } from '../../local/faults';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';
import { waitForOutboxSettled } from './support';

// EventBridge down (every PutEvents refused) or throttling (every entry failed) while cases open
// and change: emails and webhook deliveries go out as if nothing happened, nothing reaches the
// bus; once EventBridge is back, every event of the outage is put on the bus, once each
// (docs/guarantees.md, "A domain event on the stack's EventBridge bus").

const CASES = 5;
// Minutes of case time per real second: the first retry of an event (10–20 s) comes within a second.
const SCALE = 60;

let api: TestApi;
const faults = new FaultSwitch();
const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
/** Event ids a webhook subscribed to everything was sent: every event of the run, taken as the receiver took them. */
const hooked: { id: string; caseId: string }[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; data: { escalationId: string } };
    hooked.push({ id: event.id, caseId: event.data.escalationId });
    response.writeHead(204).end();
  });
});

beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 20, faults, owedEmailsEveryMs: 250 });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const registered = await api.call('POST', '/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['*'] });
  expect(registered.status).toBe(201);
});
afterAll(async () => {
  await new Promise((resolve) => receiver.close(resolve));
  await api?.close();
});

/** Event ids on the local bus, with how often each was put. */
function onBus(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of api.stack.eventBus.entries()) {
    const id = (JSON.parse(entry.Detail!) as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe.each(['unavailable', 'throttled'] as const)('EventBridge %s while cases open and change', (fault) => {
  it('sends every email and webhook delivery meanwhile, then puts every event of the outage on the bus once', async () => {
    faults.set({ eventbridge: fault });
    const refusedBefore = faults.counters.eventsRefused;
    const run = Date.now().toString(36);
    const opened = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const title = `EventBridge ${fault} ${run} case ${i}`;
        const { status, body } = await api.call('POST', '/escalations', escalationRequest({ title, severity: 'low', triggers: [] }));
        expect(status).toBe(201);
        expect((await api.call('POST', `/escalations/${body.id}/acknowledge`, { owner: 'owner@example.com' })).status).toBe(200);
        return { id: body.id as string, title };
      }),
    );
    const ids = new Set(opened.map(({ id }) => id));
    const ofRun = () => hooked.filter((event) => ids.has(event.caseId));
    // Each case's opened and acknowledged events reach the webhook; its emails go out; the bus refuses them all.
    await waitFor(async () => new Set(ofRun().map((event) => event.id)).size >= 2 * CASES, { timeoutMs: 30_000, what: 'the webhook deliveries of the outage' });
    const settled = await waitForOutboxSettled(client, api.tableName, opened, 30_000);
    expect(settled.flatMap((record) => record.outbox).filter((email) => email.status !== 'sent')).toEqual([]);
    const events = [...new Set(ofRun().map((event) => event.id))];
    expect(events.filter((id) => onBus().has(id))).toEqual([]);
    expect(faults.counters.eventsRefused).toBeGreaterThan(refusedBefore);

    faults.set({});
    const recovered = Date.now();
    await waitFor(async () => events.every((id) => onBus().has(id)), { timeoutMs: 30_000, what: 'every event of the outage on the bus' });
    const counts = onBus();
    // No crash in this run, so no duplicate window opened: each event was put once.
    expect(events.filter((id) => counts.get(id) !== 1)).toEqual([]);
    console.info(`EventBridge ${fault}: ${events.length} events refused ${faults.counters.eventsRefused - refusedBefore} times during the outage; all on the bus ${Date.now() - recovered} ms after recovery`);
  }, 90_000);
});
