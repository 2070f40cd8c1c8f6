import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/free-port';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, type SentMail } from '../support/api';
import { fetchChecked, warmContract } from '../support/contract';
import { waitFor } from '../support/wait-for';
import { expectEachDeadlineActedOnOnce, HOUR_REAL_MS, SCALE, waitForOutboxSettled } from './support';
import { readCases } from '../support/stored-cases';

// `npm start` killed with SIGKILL in the middle of a wave of deadlines, then started again on
// the same data: every case's deadlines resume, every owed email goes out, nothing is acted on
// twice, and an email goes twice only if its sender was killed between SES accepting it and
// the settle write (docs/guarantees.md).

const CASES = 8;
const ROOT = path.resolve(import.meta.dirname, '../..');
const TOKEN = 'kill-and-restart-token';

interface Running {
  child: ChildProcess;
  output: () => string;
}

async function startStack(dataDir: string, ports: Record<'api' | 'ses' | 'smtp' | 'dynamo', number>): Promise<Running> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'local/start.ts', '--data-dir', dataDir, '--time-scale', String(SCALE), '--port', String(ports.api), '--ses-port', String(ports.ses), '--smtp-port', String(ports.smtp), '--dynamodb-port', String(ports.dynamo)],
    { cwd: ROOT, env: { ...process.env, API_TOKEN: TOKEN, PLAYBOOK_PATH: ROUND_THE_CLOCK_PLAYBOOK }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  await waitFor(async () => output.includes('Escalation API is running locally') || child.exitCode !== null, { timeoutMs: 90_000, everyMs: 100, what: 'npm start to be ready' });
  if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${output}`);
  return { child, output: () => output };
}

describe('kill -9 and restart on kept data', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'escalations-restart-'));
  let running: Running | undefined;
  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGINT');
      await new Promise((resolve) => running!.child.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes every case, sends every owed email, and doubles nothing beyond the window', async () => {
    const ports = { api: await freePort(), ses: await freePort(), smtp: await freePort(), dynamo: await freePort() };
    const api = `http://127.0.0.1:${ports.api}`;
    const call = async (method: string, route: string, body?: unknown) => {
      const response = await fetchChecked(api + route, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
      return { status: response.status, body: (await response.json()) as any };
    };
    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${ports.dynamo}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

    await warmContract();
    running = await startStack(dataDir, ports);
    const run = Date.now().toString(36);
    const opened = await Promise.all(
      Array.from({ length: CASES }, async (_, i) => {
        const title = `Restart ${run} case ${String(i).padStart(2, '0')}`;
        const { status, body } = await call('POST', '/escalations', escalationRequest({ title }));
        expect(status).toBe(201);
        return { id: body.id as string, title };
      }),
    );
    // Mid-way through the wave: some cases have climbed a tier, their alerts are leaving.
    await waitFor(async () => (await readCases(client, 'escalations', opened)).some((record) => record.events.some((event) => event.type === 'deadline_breached')), {
      timeoutMs: 10 * HOUR_REAL_MS,
      everyMs: 50,
      what: 'the first breach',
    });
    const breachesBefore = new Map((await readCases(client, 'escalations', opened)).map((record) => [record.id, record.events.filter((event) => event.type === 'deadline_breached').length]));
    const killedAt = Date.now();
    running.child.kill('SIGKILL');
    await new Promise((resolve) => running!.child.once('exit', resolve));

    // Started again on the same data (DynamoDB Local was stopped cleanly by its watchdog).
    running = await startStack(dataDir, ports);
    expect(running.output()).toContain(`data in ${dataDir}`);
    const resumed = await waitFor(
      async () => {
        const cases = await readCases(client, 'escalations', opened);
        return cases.every((record) => record.events.filter((event) => event.type === 'deadline_breached').length >= 3) && cases;
      },
      { timeoutMs: 60_000, everyMs: 250, what: 'three breaches on every case after the restart' },
    );
    // Every case went on climbing after the kill: its deadlines were resumed, none lost.
    for (const record of resumed) expect(record.events.filter((event) => event.type === 'deadline_breached').length, record.title).toBeGreaterThan(breachesBefore.get(record.id)!);
    // Every email owed so far goes out (the next wave, a day of case time later, is not waited for).
    const settled = await waitForOutboxSettled(client, 'escalations', opened, 60_000);
    expectEachDeadlineActedOnOnce(settled);

    const { emails } = (await (await fetch(`http://127.0.0.1:${ports.ses}/store`)).json()) as { emails: SentMail[] };
    let owed = 0;
    let twice = 0;
    for (const record of settled) {
      const ofCase = emails.filter((mail) => mail.subject.includes(record.title));
      for (const email of record.outbox) {
        owed++;
        expect(email.status, `${record.title}: ${email.template}`).toBe('sent');
        const kept = ofCase.find((mail) => mail.messageId === email.messageId);
        expect(kept, `${record.title}: ${email.template} (${email.messageId}) in the mail kept on disk`).toBeDefined();
        const copies = ofCase.filter((mail) => mail.subject === kept!.subject && mail.destination.to.join() === kept!.destination.to.join() && mail.body.text === kept!.body.text);
        if (copies.length > 1) {
          // The only way to two: SES took the first before the kill and its settle write never came.
          twice++;
          expect(copies, `${record.title}: ${email.template} went more than twice`).toHaveLength(2);
          const first = copies.find((mail) => mail.messageId !== email.messageId)!;
          expect(first.at * 1000).toBeLessThanOrEqual(killedAt + 1000);
        }
      }
    }
    expect(owed).toBeGreaterThanOrEqual(CASES * 4);
    console.info(`kill -9 mid-wave: ${CASES} cases resumed, ${owed} owed emails all delivered, ${twice} sent twice (each taken by SES before the kill, its settle lost)`);
  }, 300_000);
});
