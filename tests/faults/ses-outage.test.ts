import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultSwitch } from '../../local/faults';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';
import { deliveredEmails, expectEachDeadlineActedOnOnce, HOUR_REAL_MS, lagsOf, SCALE, waitForOutboxSettled } from './support';
import { readCases } from '../support/stored-cases';

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
