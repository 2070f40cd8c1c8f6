import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultSwitch } from '../../local/faults';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';
import { deliveredEmails, expectEachDeadlineActedOnOnce, HOUR_REAL_MS, lagsOf, SCALE, waitForOutboxSettled } from './support';
import { readCases } from '../support/stored-cases';
import { deliveryKey, outboxKey, owedDeliveryAttributes, owedEmailAttributes } from '../../functions/adapters/table-design';

// SES down (or throttling) for a stretch that covers several deadlines of every case: the
// deadlines are acted on, on time, whatever email does; the emails wait and all go out,
// once each, soon after SES is back (docs/guarantees.md, "An owed email").

const CASES = 8;

// One stack for both (a process holds one local stack: the handler modules keep their first container).
let api: TestApi;
const faults = new FaultSwitch();
const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 50, faults, owedEmailsEveryMs: 250 });
});
afterAll(() => api?.close());

describe.each(['unavailable', 'throttled'] as const)('SES %s for a stretch of deadlines', (fault) => {
  it('acts on every deadline at its time, sends nothing meanwhile, and delivers every owed email once after recovery', async () => {
    faults.set({});
    const refusedBefore = faults.counters.sesRefused;
    faults.set({ ses: fault });
    const run = Date.now().toString(36);
    const opened = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const title = `SES ${fault} ${run} case ${String(i).padStart(2, '0')}`;
        const { status, body } = await api.call('POST', '/escalations', escalationRequest({ title }));
        expect(status).toBe(201);
        return { id: body.id as string, title };
      }),
    );
    // Critical: an hour to acknowledge, then an hour per tier. Some three hours in, every case
    // has climbed two tiers, each climb on the timeline, while SES refused every email.
    const climbed = await waitFor(
      async () => {
        const cases = await readCases(client, api.tableName, opened);
        return cases.every((record) => record.events.filter((event) => event.type === 'deadline_breached').length >= 2) && cases;
      },
      { timeoutMs: 30 * HOUR_REAL_MS, everyMs: 200, what: 'two breaches on every case' },
    );
    const outage = await api.call('GET', `/escalations/${opened[0]!.id}`);
    expect(outage.body.tier).toBeGreaterThanOrEqual(2);
    expectEachDeadlineActedOnOnce(climbed);
    // On time: each action follows its deadline by moments (two hours of case time are six real
    // seconds of a loaded machine here), not by the day the daily sweep would take.
    const lags = lagsOf(climbed).sort((a, b) => a - b);
    expect(lags.at(-1)!).toBeLessThan(2 * 3_600_000);
    const sentDuringOutage = (await api.sentMail()).filter((mail) => opened.some(({ title }) => mail.subject.includes(title)));
    expect(sentDuringOutage).toEqual([]);
    expect(faults.counters.sesRefused).toBeGreaterThan(refusedBefore);
    // Nothing was given up: an outage is waited out.
    expect(climbed.flatMap((record) => record.outbox).filter((email) => email.status === 'failed')).toEqual([]);

    faults.set({ ses: 'ok' });
    const recovered = Date.now();
    // Every owed email must leave (a case's next wave of deadlines, hours of case time away, may add more: those are waited for too).
    const settled = await waitForOutboxSettled(client, api.tableName, opened, 60_000);
    const recoveryMs = Date.now() - recovered;
    const { owed, extra } = deliveredEmails(settled, await api.sentMail());
    expect(extra, 'an email sent twice').toBe(0);
    expect(owed).toBeGreaterThanOrEqual(CASES * 3); // the acknowledgement, the handoff and the breach alerts, at least
    console.info(`SES ${fault}: ${owed} owed emails, ${faults.counters.sesRefused - refusedBefore} sends refused during the outage; the last one delivered ${recoveryMs} ms after recovery; deadline lag p50 ${lags[Math.floor(lags.length / 2)]} ms, max ${lags.at(-1)} ms (case time)`);
  }, 120_000);
});

describe('an owed item the code cannot read', () => {
  it('is named in the log and left owed, while the sweep sends every other owed email', async () => {
    faults.set({ ses: 'unavailable' });
    const title = `unreadable neighbour ${Date.now().toString(36)}`;
    const { status, body } = await api.call('POST', '/escalations', escalationRequest({ title }));
    expect(status).toBe(201);
    // The acknowledgement's first send is refused: from here only the sweep can send it.
    await waitFor(async () => (await readCases(client, api.tableName, [{ id: body.id, title }]))[0]!.outbox.some((email) => email.attempts >= 1), { what: 'a refused first send' });

    // Beside it, in the owed index, an outbox item and a webhook delivery of a shape this code
    // does not read (another version wrote them, or a hand edited them), due long ago.
    const longAgo = '2020-01-01T00:00:00.000Z';
    const brokenCase = randomUUID();
    const brokenEmail = { ...outboxKey(brokenCase, 'hand-edited'), status: 'pending', queuedAt: longAgo, ...owedEmailAttributes(brokenCase, 'hand-edited', longAgo) };
    const brokenDelivery = { ...deliveryKey('wh_hand-edited', `${longAgo}#evt`), status: 'pending', queuedAt: longAgo, ...owedDeliveryAttributes('wh_hand-edited', `${longAgo}#evt`, longAgo) };
    for (const item of [brokenEmail, brokenDelivery]) await client.send(new PutItemCommand({ TableName: api.tableName, Item: marshall(item) }));
    try {
      faults.set({ ses: 'ok' });
      // The customer's acknowledgement, whose first send was refused, goes out through the sweep.
      const acknowledged = async () => (await readCases(client, api.tableName, [{ id: body.id, title }]))[0]!.outbox.find((email) => email.template === 'customer_acknowledgment');
      await waitFor(async () => (await acknowledged())?.status === 'sent', { timeoutMs: 30_000, what: 'the acknowledgement sent by the sweep' });
      const sent = (await api.sentMail()).filter((mail) => mail.subject.includes(title) && mail.destination.to.includes('cto@acme.test'));
      expect(sent.map((mail) => mail.messageId)).toContain((await acknowledged())!.messageId);
      const sweep = (await api.stack.resendOwedEmails()) as { unreadable: number; owed: number; webhooks: { unreadable: number; owed: number } };
      expect(sweep.unreadable).toBe(1);
      expect(sweep.webhooks.unreadable).toBe(1);
      // Still owed, so the oldest-owed age alarm sees them.
      expect(sweep.owed).toBeGreaterThanOrEqual(1);
      expect(sweep.webhooks.owed).toBeGreaterThanOrEqual(1);
    } finally {
      for (const item of [brokenEmail, brokenDelivery]) await client.send(new DeleteItemCommand({ TableName: api.tableName, Key: marshall({ pk: item.pk, sk: item.sk }) }));
    }
  }, 60_000);
});
