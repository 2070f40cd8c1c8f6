import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultSwitch } from '../../local/faults';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';
import { deliveredEmails, expectEachDeadlineActedOnOnce, HOUR_REAL_MS, SCALE, waitForOutboxSettled } from './support';
import { readCases } from '../support/stored-cases';

// One in five invocations of the deadline task and of the email senders dies right after its
// first effect, as a Lambda timeout would: the deadline task after its write, a sender after SES
// accepted an email and before the settle write. Every deadline is acted on once; every email
// goes out, and a second time only for a sender that died in that window.

const CASES = 8;

describe('tasks crashing at 20 %', () => {
  let api: TestApi;
  const faults = new FaultSwitch();
  const client = new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

  beforeAll(async () => {
    api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 50, faults, owedEmailsEveryMs: 250, emailLeaseRealMs: 3_000 });
  });
  afterAll(() => api?.close());

  it('acts on every deadline exactly once, and sends every email, twice only within the stated window', async () => {
    faults.set({ taskCrashRate: 0.2 });
    const run = Date.now().toString(36);
    const opened = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const title = `Crashing ${run} case ${String(i).padStart(2, '0')}`;
        const { status, body } = await api.call('POST', '/escalations', escalationRequest({ title }));
        expect(status).toBe(201);
        return { id: body.id as string, title };
      }),
    );
    await waitFor(
      async () => {
        const cases = await readCases(client, api.tableName, opened);
        return cases.every((record) => record.events.filter((event) => event.type === 'deadline_breached').length >= 3);
      },
      { timeoutMs: 40 * HOUR_REAL_MS, everyMs: 250, what: 'three breaches on every case' },
    );
    expect(faults.counters.tasksCrashed).toBeGreaterThan(0);

    faults.set({});
    await api.stack.engine.stopAll();
    // Claims a crashed sender held come free after their lease (3 s here) and are sent again.
    const settled = await waitForOutboxSettled(client, api.tableName, opened, 60_000);
    expectEachDeadlineActedOnOnce(settled);
    // The executions themselves survived the crashes: the deadline task was retried, not given up.
    expect(settled.flatMap((record) => record.events).filter((event) => event.type === 'workflow_failed')).toEqual([]);
    const { owed, extra } = deliveredEmails(settled, await api.sentMail());
    // A second send is possible only for an email whose sender died after SES accepted it.
    expect(extra).toBeLessThanOrEqual(faults.counters.crashedAfterSesAccepted);
    console.info(
      `tasks crashing at 20 %: ${faults.counters.tasksCrashed} invocations died (${faults.counters.crashedAfterSesAccepted} after SES accepted an email); ${owed} emails owed, all delivered, ${extra} sent twice`,
    );
  }, 240_000);
});
