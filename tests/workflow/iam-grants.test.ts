import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseKey, OUTBOX_PREFIX } from '../../functions/adapters/table-design';
import { FaultSwitch } from '../../local/faults';
import { authorize } from '../../local/iam';
import type { CheckedRequest } from '../../local/iam-enforcement';
import type { TaskHandler } from '../../local/workflow-engine';
import { escalationRequest, ROUND_THE_CLOCK_CHAT_PLAYBOOK, stageOf, startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';
import { codeGrants, withoutGrant } from '../support/grants';
import { waitFor } from '../support/wait-for';

/**
 * Every grant is needed, and none is missing, with the local stack enforcing IAM: a tour of
 * every function, down the paths that use each of its grants (some handed their event directly,
 * as Lambda's Invoke would, where the natural path takes days of case time), records every
 * request the check evaluated. None may have been refused; and taking away any single grant of
 * any function's role (an action on a kind of resource, as exact-grants.test.ts counts them)
 * must refuse at least one of them. The second half needs no second tour: the recorded requests
 * are evaluated again against each reduced policy.
 */

// Ten hours of case time per real second: a follow-up (+24 h) arrives 2.4 s after the resolve.
const SCALE = 36_000;

const checks: CheckedRequest[] = [];
const faults = new FaultSwitch();
/** While set, case-workflows lets case writes go by (a start lost) and the EventBridge target does not re-arm: the sweep's work is left over. */
const held = { starts: false, rearms: false };
const holding = (name: string, handler: TaskHandler): TaskHandler => {
  if (name === 'case-workflows') return (event, context) => (held.starts ? Promise.resolve({ held: true }) : handler(event, context));
  if (name === 'rearm-workflow') return (event, context) => (held.rearms ? Promise.resolve({ held: true }) : handler(event, context));
  return handler;
};

/** Leadership's Slack channel: answers `chatAnswer`, so the tour can have the sweep post a message the channel refused. */
let chatAnswer = 200;
const leadershipPosts: string[] = [];
const leadershipChannel = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    if (chatAnswer < 300) leadershipPosts.push(Buffer.concat(chunks).toString('utf8'));
    response.writeHead(chatAnswer).end();
  });
});

let api: TestApi;
let smtp: nodemailer.Transporter;
beforeAll(async () => {
  await new Promise<void>((resolve) => leadershipChannel.listen(0, '127.0.0.1', resolve));
  // The playbook with chat channels, and its stage: the senders' grants on the chat secrets are on the tour too.
  // An email is the stream's alone for one claim lease: 2 s here, so the owed-email sweep takes a refused one over soon.
  api = await startTestApi({
    stage: await stageOf(ROUND_THE_CLOCK_CHAT_PLAYBOOK),
    playbookPath: ROUND_THE_CLOCK_CHAT_PLAYBOOK,
    chatSecrets: { 'escalation-api/chat/leadership': `http://127.0.0.1:${(leadershipChannel.address() as AddressInfo).port}/` },
    timeScale: SCALE,
    retryIntervalMs: 20,
    emailLeaseRealMs: 2_000,
    faults,
    wrapTask: holding,
    onIamCheck: (check) => checks.push(check),
  });
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: api.stack.smtpPort, secure: false, ignoreTLS: true });
});
afterAll(async () => {
  await api?.close();
  await new Promise((resolve) => leadershipChannel.close(resolve));
});

async function open(overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const { status, body } = await api.call('POST', '/escalations', escalationRequest(overrides), headers);
  expect(status).toBeLessThan(300);
  return body as { id: string; generation: number };
}
/** The case's workflow generation, which the API does not show: read from the table as the tasks read it. */
async function generationOf(id: string): Promise<number> {
  const table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const { Item } = await table.send(new GetCommand({ TableName: api.tableName, Key: caseKey(id), ConsistentRead: true }));
  return Item!.generation as number;
}
/** The case's outbox items, read from the table as the senders read them. */
async function outboxOf(id: string): Promise<{ template: string; status: string; lastError?: string }[]> {
  const table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const { Items = [] } = await table.send(new QueryCommand({ TableName: api.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)', ExpressionAttributeValues: { ':pk': caseKey(id).pk, ':outbox': OUTBOX_PREFIX }, ConsistentRead: true }));
  return Items as { template: string; status: string; lastError?: string }[];
}
const eventsOf = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as { type: string; data?: Record<string, unknown> }[];
const calledBy = (functionName: string) => checks.filter((check) => check.functionName === functionName);

describe('IAM grants on a tour of every function', () => {
  it('the tour: the API, the workflow tasks, the stream consumers, email in and out, the sweeps, with every call checked', async () => {
    // The API: a create retried with its key, reads, lists, metrics, an edit, an action.
    const title = `Grant tour ${Date.now()}`;
    // Sent twice at once (the key's day passes in 2.4 s here): one writes, the other reads the first one's record.
    const key = { 'idempotency-key': `grant-tour-${Date.now()}` };
    const [a, again] = await Promise.all([open({ title, severity: 'low', triggers: [] }, key), open({ title, severity: 'low', triggers: [] }, key)]);
    expect(again.id).toBe(a.id);
    const read = await api.call('GET', `/escalations/${a.id}`);
    expect(read.status).toBe(200);
    expect((await api.call('GET', `/escalations/${a.id}/timeline`)).status).toBe(200);
    expect((await api.call('GET', '/escalations?status=open')).body.items.length).toBeGreaterThan(0);
    expect((await api.call('GET', '/metrics')).status).toBe(200);
    // Ten hours pass every second: the workflow may change the case between a read and the edit.
    await waitFor(async () => {
      const { headers } = await api.call('GET', `/escalations/${a.id}`);
      const edit = await api.call('PATCH', `/escalations/${a.id}`, { businessImpact: 'Orders fail in the EU too' }, { 'if-match': headers.get('etag')! });
      return edit.status === 200 || (expect(edit.status).toBe(412), false);
    }, { what: 'an edit on the version just read' });
    // A new generation: case-workflows stops the old execution and starts the next.
    expect((await api.call('POST', `/escalations/${a.id}/acknowledge`, {})).status).toBe(200);
    // A note is only appended to the timeline (a ConditionCheck on the case, no new version).
    expect((await api.call('POST', `/escalations/${a.id}/notes`, { text: 'on the tour' })).status).toBe(200);
    const incident = await api.call('POST', '/incidents', { title: `Incident of ${title}`, escalationIds: [a.id] });
    expect(incident.status).toBe(201);
    expect((await api.call('GET', `/incidents/${incident.body.id}`)).status).toBe(200);
    expect((await api.call('POST', `/incidents/${incident.body.id}/updates`, { message: 'Traffic is moving off the slow cluster.' })).status).toBe(200);
    expect((await api.call('GET', '/incidents?status=open')).body.items.length).toBeGreaterThan(0);

    // Resolved, the follow-up comes a day later (act-on-deadline signs its links with the survey key); a link records a score.
    expect((await api.call('POST', `/escalations/${a.id}/resolve`, { rootCause: 'a full disk', fix: 'cleaned it', prevention: 'disk alarms' })).status).toBe(200);
    const followUp = await waitFor(async () => (await api.sentMail()).find((mail) => mail.subject === `Checking in on "${title}"`), { timeoutMs: 20_000, what: 'the follow-up email' });
    // Opening the link shows a page (no write); its form records the score.
    const link = new URL(/9: (http\S+)/.exec(followUp.body.text!)![1]!);
    expect((await fetchChecked(link)).status).toBe(200);
    const answered = await fetchChecked(link.origin + link.pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ score: '9' }).toString() });
    expect(answered.status).toBe(200);
    // Closed, the workflow gives every item of the case its deletion date (act-on-deadline reads the partition and stamps each item).
    expect((await api.call('POST', `/escalations/${a.id}/close`, { outcome: 'retained' })).status).toBe(200);
    await waitFor(async () => (await eventsOf(a.id)).some((event) => event.type === 'deletion_scheduled'), { timeoutMs: 20_000, what: 'the closed case\'s deletion date' });

    // An account of its own: an executive escalation resolved proposes sponsorship; the account's view, brief,
    // the admin's enrolment, the export and the erasure (the accounts function).
    const accountId = `tour-${Date.now()}`;
    const customer = { accountId, name: 'Initech', contacts: [{ email: 'bill@initech.test', name: 'Bill Lumbergh' }] };
    // Its churn-risk brief goes to leadership's Slack channel too (queued-emails reads the channel's secret); the channel
    // refuses it at first, so the owed-email sweep posts it again (resend-owed-emails reads the secret too).
    chatAnswer = 503;
    const executive = await open({ customer, severity: 'high', triggers: ['cancellation_threat'] });
    await waitFor(async () => calledBy('resend-owed-emails').some((check) => check.action === 'secretsmanager:GetSecretValue'), { timeoutMs: 20_000, what: 'the sweep to read the chat secret for a message the channel refused' });
    chatAnswer = 200;
    await waitFor(async () => leadershipPosts.some((post) => post.includes(executive.id) && post.includes('Churn risk')), { timeoutMs: 20_000, what: 'the churn-risk brief in leadership\'s channel' });
    expect((await api.call('POST', `/escalations/${executive.id}/acknowledge`, {})).status).toBe(200);
    expect((await api.call('POST', `/escalations/${executive.id}/resolve`, { rootCause: 'a lost batch', fix: 'replayed it', prevention: 'batches are checksummed' })).status).toBe(200);
    expect((await api.call('GET', `/accounts/${accountId}`)).status).toBe(200);
    expect((await api.call('GET', `/accounts/${accountId}/brief`)).status).toBe(200);
    expect((await api.call('POST', `/accounts/${accountId}/sponsorship`, { decision: 'enrol', sponsor: 'cro@example.com', reason: 'threatened to leave' })).status).toBe(200);
    expect((await api.call('GET', `/accounts/${accountId}/export`)).status).toBe(200);
    // A reply by email first: the erasure deletes its raw message from the bucket.
    await smtp.sendMail({ from: 'bill@initech.test', to: api.stack.inboundAddress.replace('@', `+${executive.id}@`), subject: 'Re: the batch', text: 'Thanks.' });
    await api.settledMail([executive.id]);
    const erased = await api.call('POST', `/accounts/${accountId}/erase`, { reason: 'the customer asked for erasure' });
    expect(erased.status).toBe(200);
    expect(erased.body.rawMailDeleted).toBe(1);

    // SES reports a bounce of A's acknowledgment (email-events), and a customer replies to B (inbound-email reads the stored mail).
    const acknowledgment = (await api.sentMail()).find((mail) => mail.subject.includes(a.id))!;
    expect(await api.stack.reportDeliveryEvent({ eventType: 'Bounce', mail: { messageId: acknowledgment.messageId }, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'cto@acme.test' }] } })).toMatchObject({ results: [{ recorded: true }] });
    const b = await open({ severity: 'low', triggers: [] });
    await smtp.sendMail({ from: 'cto@acme.test', to: api.stack.inboundAddress.replace('@', `+${b.id}@`), subject: 'Re: logs', text: 'Logs attached.' });
    expect((await eventsOf(b.id)).some((event) => event.type === 'customer_replied')).toBe(true);
    // Mail from a known contact that names no case opens one for the contact's account (the directory is looked up).
    const before = (await api.call('GET', '/escalations?accountId=acme&limit=100')).body.items.length;
    await smtp.sendMail({ from: 'cto@acme.test', to: api.stack.inboundAddress, subject: 'Another problem', text: 'Exports fail too.' });
    await waitFor(async () => (await api.call('GET', '/escalations?accountId=acme&limit=100')).body.items.length > before, { what: 'the case the mail opened' });

    // What Step Functions and EventBridge hand the tasks only after days or failures, handed over directly.
    expect(await api.stack.invoke('review-deadlines', { caseId: b.id, generation: await generationOf(b.id), iteration: 500 })).toMatchObject({ phase: 'superseded' });
    await api.stack.invoke('record-workflow-failure', { caseId: b.id, generation: await generationOf(b.id), failure: { Error: 'States.TaskFailed', Cause: 'the tour' } });
    const statusChange = { version: '0', id: 'tour', 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name: `${b.id}-g${await generationOf(b.id)}`, status: 'FAILED' } };
    expect(await api.stack.invoke('rearm-workflow', statusChange)).toMatchObject({ rearmed: true });

    // The daily sweep finds a case whose start was lost (it starts it) and one whose execution ended (it re-arms it).
    held.starts = true;
    const lost = await open({ severity: 'low', triggers: [] });
    await api.stack.caseChanges.drained();
    held.starts = false;
    held.rearms = true;
    const ended = await open({ severity: 'low', triggers: [] });
    await waitFor(async () => api.stack.engine.execution(ended.id, 1)?.status === 'RUNNING', { what: 'the execution of the case the sweep will find ended' });
    await api.stack.engine.stop(ended.id, 1);
    const swept = (await api.stack.reconcile()) as { started: string[]; rearmed: string[] };
    held.rearms = false;
    expect(swept.started).toContain(lost.id);
    expect(swept.rearmed).toContain(ended.id);

    // An email SES refused goes out with the owed-email sweep once SES is back.
    await api.stack.caseChanges.drained();
    // Paused sending: a refusal the SDK does not retry, so the email is left to the sweep.
    faults.set({ ses: 'paused' });
    const owed = await open({ severity: 'low', triggers: [] });
    // Down until queued-emails has put the acknowledgment back as owed: back at its first refusal, the SDK's own retry
    // of the same send could go through, and the sweep would find nothing to send.
    await waitFor(async () => (await outboxOf(owed.id)).some((email) => email.template === 'customer_acknowledgment' && email.status === 'pending' && email.lastError !== undefined), { what: 'SES refusing the acknowledgment, deferred' });
    // Back at once: a day of case time passes in 2.4 s, after which the other cases' emails owed during the outage are given up.
    faults.set({});
    await api.stack.caseChanges.drained();
    await waitFor(async () => calledBy('resend-owed-emails').some((check) => check.action === 'ses:SendEmail'), { timeoutMs: 30_000, what: 'the owed-email sweep to send what SES refused' });
    expect((await api.settledMail([owed.id])).some((mail) => mail.subject.includes(owed.id))).toBe(true);

    // Webhooks: registered, read, rotated, listed; events go on the bus; a delivery the receiver refused goes out with the sweep.
    let answer = 503;
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(answer).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const hook = await api.call('POST', '/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['escalation.opened'] });
      expect(hook.status).toBe(201);
      expect((await api.call('GET', `/webhooks/${hook.body.id}`)).status).toBe(200);
      expect((await api.call('POST', `/webhooks/${hook.body.id}/rotate-secret`)).status).toBe(200);
      const deliveries = async () => (await api.call('GET', `/webhooks/${hook.body.id}/deliveries`)).body.items as { status: string }[];
      await open({ severity: 'low', triggers: [] });
      await waitFor(async () => (await deliveries()).some((delivery) => delivery.status === 'pending'), { what: 'a delivery the receiver refused' });
      answer = 204;
      await waitFor(async () => (await deliveries()).every((delivery) => delivery.status === 'sent'), { timeoutMs: 30_000, what: 'the sweep to deliver it' });
      expect(calledBy('queued-emails').some((check) => check.action === 'events:PutEvents')).toBe(true);
      // An event the bus refused is owed to it: the sweep puts it again. (Throttled: failed entries, which the SDK does not retry.)
      faults.set({ eventbridge: 'throttled' });
      await open({ severity: 'low', triggers: [] });
      await waitFor(async () => faults.counters.eventsRefused > 0, { what: 'EventBridge refusing an event' });
      await api.stack.caseChanges.drained();
      faults.set({});
      await waitFor(async () => calledBy('resend-owed-emails').some((check) => check.action === 'events:PutEvents'), { timeoutMs: 30_000, what: 'the sweep to put the refused event' });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 120_000);

  it('refused nothing: every call of the tour was allowed by its function\'s role', () => {
    expect(checks.length).toBeGreaterThan(0);
    expect(checks.filter((check) => !check.decision.allowed).map((check) => `${check.functionName}: ${check.action} on ${check.resource}`)).toEqual([]);
  });

  it('needs every grant: without any one of them, some call of the tour is refused', () => {
    const unneeded: string[] = [];
    let grantsTried = 0;
    for (const functionName of Object.keys(api.stack.iam.stage.functions)) {
      const statements = api.stack.iam.statementsOf(functionName);
      // SES checks the identity the account verified: the address (as locally) or instead its domain. Both count.
      const requests = calledBy(functionName).flatMap((check) => [check, ...(check.orInstead ?? []).map((resource) => ({ ...check, resource }))]);
      for (const grant of codeGrants(statements)) {
        grantsTried++;
        const reduced = withoutGrant(statements, grant);
        if (!requests.some((request) => !authorize(reduced, request).allowed)) unneeded.push(`${functionName}: ${grant}`);
      }
    }
    expect(grantsTried).toBeGreaterThan(40);
    expect(unneeded).toEqual([]);
  });
});
