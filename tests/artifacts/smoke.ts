import assert from 'node:assert/strict';
import type { DynamoDBRecord } from 'aws-lambda';
import { parseSigningKeys, signSurveyToken } from '../../functions/domain/survey-token';
import { API_VERSION } from '../../functions/http/version';
import { escalationRequest } from '../fixtures/escalation-request';
import { sesBounceViaSns, sesReceipt, type ApiRequest } from './events';
import type { RecordedCall, StandIns } from './stand-ins';
import type { Workflow } from './workflow';

/**
 * The smoke events: one scenario in which every function of the template gets an event of its
 * real source, the data flowing between them as it does deployed. The API creates cases; the
 * table's stream (read from DynamoDB Local, through each event source mapping's filter) feeds
 * the stream consumers; their StartExecution inputs drive the deployed state machine's task
 * payloads; SES, SNS and the receipt rule deliver what they would for the mail that was sent.
 *
 * A new function in the template without a step here fails the tier, naming it: add a step
 * whose `functions` lists it, invoking it with what its event source sends.
 */

export interface ApiAnswer {
  handler: string;
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or the text. */
  body: any;
}

export interface SentEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
}

/** What a step can do; run.ts provides it. */
export interface Tier {
  /** An HTTP request as API Gateway delivers it to the function its route integrates (routes.ts + the template). */
  api(request: ApiRequest): Promise<ApiAnswer>;
  /** Invokes a function with an event, as its source would. */
  invoke(handler: string, event: unknown): Promise<any>;
  /**
   * What the consumer's event source mapping delivers next from the table's stream: every record
   * written since its last batch that passes the mapping's filter, in batches of its BatchSize,
   * each invoked; the records and the answers.
   */
  stream(handler: string): Promise<{ records: DynamoDBRecord[]; answers: any[] }>;
  workflow: Workflow;
  /** The handler a function ARN (as the functions' ARNs resolve locally) belongs to. */
  handlerOfArn(arn: string): string;
  functionArnOf(handler: string): string;
  /** A function's template environment, resolved (what its process got). */
  configured(handler: string): Record<string, string>;
  standIns: StandIns;
  sentEmails(): Promise<SentEmail[]>;
  /** Items of the table by partition-key prefix (a test-side Scan: checks stay off the functions under test). */
  items(pkPrefix: string): Promise<Record<string, any>[]>;
  /** The types of a case's timeline events, read from the table (test-side). */
  eventTypes(caseId: string): Promise<string[]>;
  surveyKey: string;
  /** The SES receipt rule's S3 action and recipients; the inbound function's ARN. */
  inbound: { bucket: string; prefix: string; recipients: string[] };
  /** The SNS topic and subscription that deliver SES bounces to email-events. */
  emailEvents: { topicArn: string; subscriptionArn: string; configurationSet: string };
  /** A schedule's target input for this handler (none: an empty object). */
  scheduleInputOf(handler: string): unknown;
  /** Step Functions' status-change event for one execution, as the deployed rule lets it through to its target. */
  executionEnded(name: string, status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'): unknown;
  /** Test-side: make an owed email look queued at `queuedAt` (as one the table stream never delivered). */
  ageOwedEmail(caseId: string, notificationId: string, queuedAt: string): Promise<void>;
}

interface Scenario {
  alertsOfC?: string[];
  caseA?: string;
  caseB?: string;
  caseC?: string;
  etagA?: string;
  incident?: string;
}

export interface Step {
  name: string;
  /** The functions this step gives a smoke event. */
  functions: string[];
  run(tier: Tier, scenario: Scenario): Promise<string>;
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`needs ${what}, which an earlier step did not produce`);
  return value;
};

const expectStatus = (answer: ApiAnswer, status: number, what: string) =>
  assert.equal(answer.status, status, `${what}: ${answer.handler} answered ${answer.status} ${typeof answer.body === 'string' ? answer.body.slice(0, 300) : JSON.stringify(answer.body)?.slice(0, 300)}`);

const callsOf = (standIns: StandIns, service: RecordedCall['service'], operation: string, caller?: string) =>
  standIns.calls.filter((call) => call.service === service && call.operation === operation && (caller === undefined || call.caller === caller));

/** Feeds both stream consumers what the table's stream holds for them, as their mappings would. */
async function catchUp(tier: Tier) {
  const workflows = await tier.stream('case-workflows');
  const emails = await tier.stream('queued-emails');
  return { workflows, emails };
}

export const STEPS: Step[] = [
  {
    name: 'GET /health (public route)',
    functions: ['health'],
    async run(tier) {
      const answer = await tier.api({ method: 'GET', path: '/health' });
      expectStatus(answer, 200, 'health');
      assert.deepEqual(answer.body, { status: 'ok', version: API_VERSION });
      return `200 ${JSON.stringify(answer.body)}`;
    },
  },
  {
    name: 'GET /openapi.json',
    functions: ['openapi'],
    async run(tier) {
      const answer = await tier.api({ method: 'GET', path: '/openapi.json' });
      expectStatus(answer, 200, 'openapi');
      assert.match(String(answer.body.openapi), /^3\.1\./);
      assert.ok(answer.body.paths?.['/escalations'], 'the document describes /escalations');
      return `200, OpenAPI ${answer.body.openapi}, ${Object.keys(answer.body.paths).length} paths`;
    },
  },
  {
    name: 'POST /escalations (case A), and its retry with the same Idempotency-Key',
    functions: ['create-escalation'],
    async run(tier, scenario) {
      const request: ApiRequest = { method: 'POST', path: '/escalations', headers: { 'idempotency-key': 'artifact-tier-case-a' }, body: escalationRequest() };
      const created = await tier.api(request);
      expectStatus(created, 201, 'create');
      assert.equal(created.headers.location, `/escalations/${created.body.id}`);
      assert.equal(created.headers.etag, '"1"');
      assert.equal(created.body.status, 'open');
      scenario.caseA = created.body.id;
      const retried = await tier.api(request);
      expectStatus(retried, 201, 'retried create');
      assert.equal(retried.body.id, created.body.id, 'a retry with the same Idempotency-Key answers the same case');
      assert.equal(retried.headers['idempotent-replayed'], 'true');
      return `201 case ${created.body.id}; the retry replayed it`;
    },
  },
  {
    name: 'GET /escalations/{id}, then with If-None-Match',
    functions: ['get-escalation'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const answer = await tier.api({ method: 'GET', path: `/escalations/${id}` });
      expectStatus(answer, 200, 'get');
      assert.equal(answer.body.id, id);
      assert.equal(answer.body.customer.accountId, 'acme');
      scenario.etagA = answer.headers.etag;
      const unchanged = await tier.api({ method: 'GET', path: `/escalations/${id}`, headers: { 'if-none-match': need(answer.headers.etag, 'an ETag') } });
      expectStatus(unchanged, 304, 'conditional get');
      return `200 ETag ${answer.headers.etag}; 304 with If-None-Match`;
    },
  },
  {
    name: 'GET /escalations?status=open',
    functions: ['list-escalations'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const answer = await tier.api({ method: 'GET', path: '/escalations', query: { status: 'open' } });
      expectStatus(answer, 200, 'list');
      assert.ok(answer.body.items.some((item: { id: string }) => item.id === id), 'case A is listed as open');
      return `200, ${answer.body.items.length} open case(s), case A among them`;
    },
  },
  {
    name: 'PATCH /escalations/{id} with If-Match',
    functions: ['edit-escalation'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const answer = await tier.api({ method: 'PATCH', path: `/escalations/${id}`, headers: { 'if-match': need(scenario.etagA, 'case A\'s ETag') }, body: { businessImpact: 'No orders since 09:10; partners see errors too' } });
      expectStatus(answer, 200, 'edit');
      assert.equal(answer.body.businessImpact, 'No orders since 09:10; partners see errors too');
      assert.notEqual(answer.headers.etag, scenario.etagA);
      return `200 ETag ${answer.headers.etag}`;
    },
  },
  {
    name: 'POST /escalations/{id}/acknowledge',
    functions: ['escalation-action'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const answer = await tier.api({ method: 'POST', path: `/escalations/${id}/acknowledge`, body: { owner: 'alice@example.com' } });
      expectStatus(answer, 200, 'acknowledge');
      assert.equal(answer.body.status, 'acknowledged');
      assert.equal(answer.body.owner, 'alice@example.com');
      return '200 acknowledged by alice@example.com';
    },
  },
  {
    name: 'GET /escalations/{id}/timeline',
    functions: ['get-timeline'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const answer = await tier.api({ method: 'GET', path: `/escalations/${id}/timeline` });
      expectStatus(answer, 200, 'timeline');
      const types = answer.body.items.map((item: { type: string }) => item.type);
      for (const type of ['created', 'acknowledged']) assert.ok(types.includes(type), `the timeline has a ${type} event (has ${types.join(', ')})`);
      return `200, ${types.length} events`;
    },
  },
  {
    name: 'GET /accounts/acme lists case A in its account history; GET /accounts/acme/brief reads',
    functions: ['accounts'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const account = await tier.api({ method: 'GET', path: '/accounts/acme' });
      expectStatus(account, 200, 'account');
      assert.ok(account.body.escalations.some((escalation: { id: string }) => escalation.id === id), 'case A is in the account\'s history');
      const brief = await tier.api({ method: 'GET', path: '/accounts/acme/brief' });
      expectStatus(brief, 200, 'account brief');
      return `200, ${account.body.escalations.length} escalations; brief: ${brief.body.headline}`;
    },
  },
  {
    name: 'POST /webhooks registers a receiver (its secret shown once); GET /webhooks/{id} reads it back without the secret',
    functions: ['webhooks'],
    async run(tier) {
      // Registering is what is smoke-tested here; the template's stage takes https receivers on public addresses only.
      const created = await tier.api({ method: 'POST', path: '/webhooks', body: { url: 'https://hooks.example.com/escalations', events: ['deadline.breached'] } });
      expectStatus(created, 201, 'register webhook');
      assert.match(String(created.body.secret), /^whsec_/, 'the signing secret, in the Standard Webhooks form');
      const read = await tier.api({ method: 'GET', path: `/webhooks/${created.body.id}` });
      expectStatus(read, 200, 'get webhook');
      assert.equal(read.body.secret, undefined, 'the secret is never shown again');
      return `201 webhook ${created.body.id}; 200 on read, no secret`;
    },
  },
  {
    name: 'POST /incidents linking case A, then GET /incidents/{id}',
    functions: ['incidents'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const created = await tier.api({ method: 'POST', path: '/incidents', body: { title: 'Checkout outage', escalationIds: [id] } });
      expectStatus(created, 201, 'open incident');
      scenario.incident = created.body.id;
      assert.equal(created.headers.location, `/incidents/${created.body.id}`);
      const read = await tier.api({ method: 'GET', path: `/incidents/${created.body.id}` });
      expectStatus(read, 200, 'get incident');
      assert.deepEqual(read.body.escalationIds, [id]);
      return `201 incident ${created.body.id}; 200 on read`;
    },
  },
  {
    name: 'GET /metrics',
    functions: ['metrics'],
    async run(tier) {
      const answer = await tier.api({ method: 'GET', path: '/metrics' });
      expectStatus(answer, 200, 'metrics');
      assert.ok(answer.body.range?.from && answer.body.range?.to, 'the report names its range');
      return `200, ${Object.keys(answer.body).length} sections`;
    },
  },
  {
    name: 'the table stream → case-workflows and queued-emails (through their mappings\' filters)',
    functions: ['case-workflows', 'queued-emails'],
    async run(tier, scenario) {
      const id = need(scenario.caseA, 'case A');
      const { workflows, emails } = await catchUp(tier);
      assert.ok(workflows.records.length > 0, 'the filter passed case writes to case-workflows');
      assert.ok(workflows.records.every((record) => record.dynamodb?.Keys?.sk?.S === 'CASE'), 'case-workflows got case items only');
      assert.equal(workflows.answers.reduce((sum, answer) => sum + answer.followed, 0), workflows.records.length, 'case-workflows followed every record it was given');
      const stateMachineArn = tier.configured('case-workflows').STATE_MACHINE_ARN;
      const started = callsOf(tier.standIns, 'sfn', 'StartExecution', 'case-workflows').filter((call) => !call.error);
      const first = started.find((call) => call.input.name === `${id}-g1`);
      assert.ok(first, `StartExecution ${id}-g1 reached the Step Functions stand-in (calls: ${started.map((call) => call.input.name).join(', ') || 'none'})`);
      assert.equal(first.input.stateMachineArn, stateMachineArn, 'the execution starts on the state machine the template names');
      assert.deepEqual(JSON.parse(String(first.input.input)), { caseId: id, generation: 1, plan: { iteration: 0 } });

      assert.ok(emails.records.length > 0, 'the filter passed outbox inserts to queued-emails');
      // Outbox inserts to send, and timeline inserts to publish as domain events (EventBridge, webhooks).
      assert.ok(emails.records.every((record) => record.eventName === 'INSERT' && /^(OUTBOX|EVENT)#/.test(record.dynamodb?.Keys?.sk?.S ?? '')), 'queued-emails got outbox and timeline inserts only');
      assert.ok(emails.records.some((record) => record.dynamodb?.Keys?.sk?.S?.startsWith('OUTBOX#')), 'an outbox insert among them');
      const sent = await tier.sentEmails();
      const toCustomer = sent.filter((email) => email.destination.to.includes('cto@acme.test'));
      assert.ok(toCustomer.length > 0, `local SES received mail for the customer (it has ${sent.length} email(s))`);
      const sender = tier.configured('queued-emails').SENDER_EMAIL;
      assert.ok(sent.every((email) => email.from.includes(need(sender, 'SENDER_EMAIL'))), `every email comes from ${sender}`);
      return `case-workflows: ${workflows.records.length} record(s), ${started.length} StartExecution; queued-emails: ${emails.records.length} record(s), ${sent.length} email(s) in local SES`;
    },
  },
  {
    name: 'case B: POST /escalations, acknowledge, resolve',
    functions: ['create-escalation', 'escalation-action'],
    async run(tier, scenario) {
      const created = await tier.api({ method: 'POST', path: '/escalations', body: escalationRequest({ title: 'Exports time out', severity: 'high', triggers: [] }) });
      expectStatus(created, 201, 'create B');
      const id: string = created.body.id;
      scenario.caseB = id;
      expectStatus(await tier.api({ method: 'POST', path: `/escalations/${id}/acknowledge`, body: {} }), 200, 'acknowledge B');
      const resolved = await tier.api({
        method: 'POST',
        path: `/escalations/${id}/resolve`,
        body: { rootCause: 'An index was missing after a migration', fix: 'Recreated the index', prevention: 'Migrations now check the indexes they need' },
      });
      expectStatus(resolved, 200, 'resolve B');
      assert.equal(resolved.body.status, 'resolved');
      return `case ${id} resolved`;
    },
  },
  {
    name: 'case C, reported two days ago: its acknowledgement deadline has passed',
    functions: ['create-escalation'],
    async run(tier, scenario) {
      const reportedAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
      const created = await tier.api({ method: 'POST', path: '/escalations', body: escalationRequest({ title: 'Payments rejected', reportedAt }) });
      expectStatus(created, 201, 'create C');
      scenario.caseC = created.body.id;
      return `case ${created.body.id}`;
    },
  },
  {
    name: 'the stream catches up: executions for B and C, their emails sent',
    functions: ['case-workflows', 'queued-emails'],
    async run(tier, scenario) {
      const c = need(scenario.caseC, 'case C');
      const { workflows, emails } = await catchUp(tier);
      assert.ok(tier.standIns.executionNamed(`${c}-g1`)?.status === 'RUNNING', `execution ${c}-g1 runs`);
      return `${workflows.records.length} case write(s), ${emails.records.length} queued email(s)`;
    },
  },
  {
    name: 'case C\'s execution, as deployed: ReviewDeadlines, then every overdue check (WaitForAcknowledgement → EscalateOneTier, …)',
    functions: ['review-deadlines', 'act-on-deadline'],
    async run(tier, scenario) {
      const c = need(scenario.caseC, 'case C');
      const execution = need(tier.standIns.executionNamed(`${c}-g1`), `execution ${c}-g1`);
      const workflow = tier.workflow;
      let input = JSON.parse(execution.input) as Record<string, unknown>;
      const path: string[] = [];
      const runTask = async (state: string, expected: string) => {
        const call = workflow.taskCall(state, input);
        const handler = tier.handlerOfArn(call.functionArn);
        assert.equal(handler, expected, `${state} invokes ${expected}`);
        const answer = await tier.invoke(handler, call.payload);
        const after = workflow.afterTask(state, input, answer);
        input = after.output;
        path.push(state);
        return { answer, next: after.next };
      };
      const review = await runTask(need(workflow.route(workflow.startAt, input).task, 'a first Task'), 'review-deadlines');
      // Reported two days ago: the acknowledgement's at-risk warning (75 %) and its deadline are both overdue; the warning comes first.
      assert.ok(['warn_deadline_approaching', 'escalate_unacknowledged'].includes(review.answer.next), `the review plans an acknowledgement check (plan: ${JSON.stringify(review.answer)})`);
      assert.ok(Date.parse(review.answer.wakeAt) <= Date.now(), 'it is due now');
      const before = (await tier.sentEmails()).length;
      // Through every check that is already due, as the execution would; it sleeps at the first Wait in the future.
      let route = workflow.route(review.next, input);
      const isDue = (waits: { until?: string }[]) => waits.every((wait) => !wait.until || Date.parse(wait.until) <= Date.now());
      for (let acts = 0; route.task && isDue(route.waits); acts++) {
        assert.ok(acts < 10, `the execution keeps acting without waiting (${path.join(' → ')})`);
        const act = await runTask(route.task, 'act-on-deadline');
        route = workflow.route(act.next, input);
      }
      assert.ok(path.includes('EscalateOneTier'), `the overdue acknowledgement escalated the case (${path.join(' → ')})`);
      // The acts send nothing themselves: they queue their alerts in the outbox with the breach.
      assert.equal((await tier.sentEmails()).length, before, 'the acts sent no email themselves');
      const queued = (await tier.items(`ESC#${c}`)).filter((item) => String(item.sk).startsWith('OUTBOX#') && item.template === 'deadline_breach_alert' && item.status === 'pending');
      assert.ok(queued.length > 0, 'the acts queued their alerts in the outbox');
      assert.ok((await tier.eventTypes(c)).includes('deadline_breached'), 'the timeline records the breach');
      const sleep = route.waits.at(-1);
      assert.ok(route.end || (sleep?.until && Date.parse(sleep.until) > Date.now()), `afterwards the execution sleeps until a later deadline or ends (${JSON.stringify(route)})`);
      scenario.alertsOfC = queued.map((item) => String(item.id));
      return `${path.join(' → ')}; ${queued.length} alert(s) queued; then ${route.end ?? `${sleep?.state} until ${sleep?.until}`}`;
    },
  },
  {
    name: 'the minute schedule → resend-owed-emails sends an alert of case C the stream never delivered',
    functions: ['resend-owed-emails'],
    async run(tier, scenario) {
      const c = need(scenario.caseC, 'case C');
      const [skipped] = need(scenario.alertsOfC, 'the alerts case C queued');
      // As if the stream had skipped it: queued an hour ago, never claimed.
      await tier.ageOwedEmail(c, need(skipped, 'an alert'), new Date(Date.now() - 3_600_000).toISOString());
      const before = (await tier.sentEmails()).length;
      const answer = await tier.invoke('resend-owed-emails', tier.scheduleInputOf('resend-owed-emails'));
      assert.equal(answer.sent, 1, `it sent the one email that was due (answer: ${JSON.stringify(answer)})`);
      assert.ok(answer.oldestAgeMs >= 3_600_000, 'it reports the oldest owed email\'s age');
      assert.equal((await tier.sentEmails()).length, before + 1, 'local SES received it');
      return `sent 1 of ${answer.owed} owed; oldest owed ${Math.round(answer.oldestAgeMs / 60_000)} min`;
    },
  },
  {
    name: 'the stream catches up: queued-emails sends case C\'s other alerts, each once',
    functions: ['queued-emails'],
    async run(tier, scenario) {
      const c = need(scenario.caseC, 'case C');
      const before = (await tier.sentEmails()).length;
      // What is still owed: the other alerts and the at-risk warnings (the one the sweep sent is settled).
      const owedBefore = (await tier.items(`ESC#${c}`)).filter((item) => String(item.sk).startsWith('OUTBOX#') && item.status !== 'sent').length;
      assert.ok(owedBefore >= need(scenario.alertsOfC, 'the alerts').length - 1, 'the other alerts are still owed');
      await catchUp(tier);
      const outbox = (await tier.items(`ESC#${c}`)).filter((item) => String(item.sk).startsWith('OUTBOX#'));
      assert.deepEqual(outbox.filter((item) => item.status !== 'sent').map((item) => item.id), [], 'every email of case C is sent');
      const sent = (await tier.sentEmails()).length - before;
      assert.equal(sent, owedBefore, 'each owed email sent once; the one the sweep sent is not sent again');
      return `${sent} more alert(s) sent`;
    },
  },
  {
    name: 'GET /csat/{token}?score=9 for resolved case B shows the survey and records nothing; POST /csat/{token} (the form) records it (public routes; key from Secrets Manager)',
    functions: ['record-satisfaction'],
    async run(tier, scenario) {
      const b = need(scenario.caseB, 'case B');
      const token = signSurveyToken(b, new Date(Date.now() + 86_400_000), parseSigningKeys(tier.surveyKey));
      const page = await tier.api({ method: 'GET', path: `/csat/${token}`, query: { score: '9' }, headers: { accept: 'text/html' } });
      expectStatus(page, 200, 'survey page');
      assert.match(page.headers['content-type'] ?? '', /^text\/html/);
      assert.match(page.body, /value="9" required checked/);
      assert.ok(!(await tier.eventTypes(b)).includes('satisfaction_recorded'), 'opening the link records nothing');
      const secretArn = tier.configured('record-satisfaction').SURVEY_SIGNING_KEY_SECRET_ARN;
      assert.ok(callsOf(tier.standIns, 'secretsmanager', 'GetSecretValue', 'record-satisfaction').some((call) => call.input.SecretId === secretArn && !call.error), `GetSecretValue of ${secretArn} reached the stand-in`);
      const answer = await tier.api({ method: 'POST', path: `/csat/${token}`, form: { score: '9' }, headers: { accept: 'text/html' } });
      expectStatus(answer, 200, 'survey answer');
      assert.match(answer.body, /Thank you/);
      assert.equal((await tier.eventTypes(b)).filter((type) => type === 'satisfaction_recorded').length, 1, 'the form records the score once');
      const tampered = await tier.api({ method: 'GET', path: `/csat/${token.slice(0, -2)}xx`, query: { score: '9' } });
      assert.ok(tampered.status >= 400 && tampered.status < 500, `a tampered link is refused (got ${tampered.status})`);
      return `GET 200 (form, nothing recorded); POST 200 "Thank you"; a tampered token ${tampered.status}`;
    },
  },
  {
    name: 'an SES bounce of an email sent for case A, via the configuration set\'s SNS topic',
    functions: ['email-events'],
    async run(tier, scenario) {
      const a = need(scenario.caseA, 'case A');
      const sent = (await tier.items('MESSAGE#')).find((item) => item.caseId === a);
      const messageId = String(need(sent, `a sent-message record of case A`).pk).slice('MESSAGE#'.length);
      const { topicArn, subscriptionArn, configurationSet } = tier.emailEvents;
      const answer = await tier.invoke('email-events', sesBounceViaSns(topicArn, subscriptionArn, { messageId, recipient: 'cto@acme.test', source: tier.configured('queued-emails').SENDER_EMAIL!, configurationSet }));
      assert.deepEqual(answer, { results: [{ recorded: true, caseId: a }] });
      return `bounce of ${messageId} recorded on case A`;
    },
  },
  {
    name: 'a customer reply to case A through the SES receipt rule (S3 action, then Lambda action)',
    functions: ['inbound-email'],
    async run(tier, scenario) {
      const a = need(scenario.caseA, 'case A');
      const recipient = need(tier.inbound.recipients[0], 'a receipt rule recipient').replace('@', `+${a}@`);
      const sesMessageId = `artifact${Date.now().toString(36)}0000000000`;
      const raw = [
        'From: Dana Reyes <cto@acme.test>',
        `To: ${recipient}`,
        `Subject: Re: Checkout fails for every customer`,
        `Message-ID: <${sesMessageId}@mail.acme.test>`,
        `Date: ${new Date().toUTCString()}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Logs are attached to the ticket. Orders still fail.',
        '',
      ].join('\r\n');
      tier.standIns.putObject(tier.inbound.bucket, `${tier.inbound.prefix}${sesMessageId}`, Buffer.from(raw));
      const answer = await tier.invoke('inbound-email', sesReceipt(tier.functionArnOf('inbound-email'), { messageId: sesMessageId, source: 'cto@acme.test', recipients: [recipient], subject: 'Re: Checkout fails for every customer' }));
      assert.deepEqual(answer, { results: [{ outcome: 'appended', caseId: a }] });
      const env = tier.configured('inbound-email');
      const read = callsOf(tier.standIns, 's3', 'GetObject', 'inbound-email').find((call) => !call.error);
      assert.deepEqual(read?.input, { Bucket: env.INBOUND_BUCKET, Key: `${env.INBOUND_PREFIX}${sesMessageId}` }, 'the function read the object the receipt rule stored');
      return `reply appended to case A (GetObject ${env.INBOUND_BUCKET}/${env.INBOUND_PREFIX}${sesMessageId})`;
    },
  },
  {
    name: 'case A\'s execution fails: the definition\'s Catch → RecordFailure',
    functions: ['record-workflow-failure'],
    async run(tier, scenario) {
      const a = need(scenario.caseA, 'case A');
      const running = [...tier.standIns.executions.values()].filter((execution) => execution.name.startsWith(`${a}-g`) && execution.status === 'RUNNING');
      assert.equal(running.length, 1, `one execution of case A runs (${running.map((execution) => execution.name).join(', ')})`);
      const execution = running[0]!;
      const workflow = tier.workflow;
      const input = JSON.parse(execution.input) as Record<string, unknown>;
      const first = need(workflow.route(workflow.startAt, input).task, 'a first Task');
      const failed = workflow.afterFailure(first, input, { Error: 'States.TaskFailed', Cause: 'artifact tier: a simulated task failure' });
      const call = workflow.taskCall(failed.next, failed.output);
      const handler = tier.handlerOfArn(call.functionArn);
      assert.equal(handler, 'record-workflow-failure', `${failed.next} invokes record-workflow-failure`);
      await tier.invoke(handler, call.payload);
      const end = workflow.afterTask(failed.next, failed.output, null);
      const ending = workflow.route(end.next, end.output);
      assert.ok(ending.end, `after recording, the execution ends (${JSON.stringify(ending)})`);
      tier.standIns.fail(execution.name);
      assert.ok((await tier.eventTypes(a)).includes('workflow_failed'), 'the timeline records the failure');
      return `${first} failed → ${failed.next} → ${ending.end}; execution ${execution.name} failed`;
    },
  },
  {
    name: 'the execution-status rule → rearm-workflow: leaves case A (already re-armed), re-arms case B (its execution was stopped)',
    functions: ['rearm-workflow'],
    async run(tier, scenario) {
      const a = need(scenario.caseA, 'case A');
      const b = need(scenario.caseB, 'case B');
      await catchUp(tier);
      // RecordFailure re-armed A in the same write: the stream started A's next generation, so the failed one owns nothing.
      const failedA = [...tier.standIns.executions.values()].find((execution) => execution.name.startsWith(`${a}-g`) && execution.status === 'FAILED')!;
      const leftAlone = await tier.invoke('rearm-workflow', tier.executionEnded(failedA.name, 'FAILED'));
      assert.deepEqual(leftAlone, { rearmed: false }, 'a failed execution whose case moved on is left alone');
      // Someone stops B's running execution by hand: B still has its follow-up pending.
      const runningB = need([...tier.standIns.executions.values()].find((execution) => execution.name.startsWith(`${b}-g`) && execution.status === 'RUNNING'), 'a running execution of B');
      runningB.status = 'ABORTED';
      const rearmed = await tier.invoke('rearm-workflow', tier.executionEnded(runningB.name, 'ABORTED'));
      assert.deepEqual(rearmed, { rearmed: true }, 'a stopped execution that still owned an open case is re-armed');
      assert.ok((await tier.eventTypes(b)).includes('workflow_rearmed'), 'B\'s timeline records the re-arm');
      const after = await catchUp(tier);
      const nextB = [...tier.standIns.executions.values()].find((execution) => execution.name.startsWith(`${b}-g`) && execution.status === 'RUNNING');
      assert.ok(nextB && nextB.name !== runningB.name, 'the stream started B\'s next generation');
      return `${failedA.name} left alone; ${runningB.name} → ${nextB!.name}; the stream followed ${after.workflows.records.length} write(s)`;
    },
  },
  {
    name: 'the daily schedule → reconcile-workflows: starts case A\'s lost execution again, re-arms case C whose execution failed',
    functions: ['reconcile-workflows'],
    async run(tier, scenario) {
      const a = need(scenario.caseA, 'case A');
      const c = need(scenario.caseC, 'case C');
      await catchUp(tier);
      const runningOf = (id: string) => need([...tier.standIns.executions.values()].find((execution) => execution.name.startsWith(`${id}-g`) && execution.status === 'RUNNING'), `a running execution of ${id}`);
      const lost = runningOf(a).name;
      tier.standIns.forget(lost); // its start never reached Step Functions
      const failed = runningOf(c).name;
      tier.standIns.fail(failed);
      const startsBefore = callsOf(tier.standIns, 'sfn', 'StartExecution', 'reconcile-workflows').length;
      const answer = await tier.invoke('reconcile-workflows', tier.scheduleInputOf('reconcile-workflows'));
      assert.deepEqual(answer.started, [a], `it started A's lost execution again (answer: ${JSON.stringify(answer)})`);
      assert.deepEqual(answer.rearmed, [c], `it re-armed C, whose execution had failed (answer: ${JSON.stringify(answer)})`);
      assert.ok(answer.checked >= 3, `the sweep checked every open case (${answer.checked})`);
      const stateMachineArn = tier.configured('reconcile-workflows').STATE_MACHINE_ARN;
      assert.ok(callsOf(tier.standIns, 'sfn', 'ListExecutions', 'reconcile-workflows').some((call) => call.input.stateMachineArn === stateMachineArn && call.input.statusFilter === 'RUNNING'), 'it listed the running executions');
      assert.ok(callsOf(tier.standIns, 'sfn', 'DescribeExecution', 'reconcile-workflows').length >= 2, 'it asked about each case without a running execution');
      const started = callsOf(tier.standIns, 'sfn', 'StartExecution', 'reconcile-workflows').slice(startsBefore);
      assert.deepEqual(started.map((call) => call.input.name), [lost], 'it started A\'s execution under its own name');
      const after = await catchUp(tier);
      assert.ok(runningOf(c).name !== failed, 'the stream started C\'s next generation');
      return `checked ${answer.checked}: started ${lost} again, re-armed ${failed} (the stream then followed ${after.workflows.records.length} write(s))`;
    },
  },
];

/** Every function the steps give a smoke event, with the step that does. */
export function smokeEvents(): Map<string, string> {
  const events = new Map<string, string>();
  for (const step of STEPS) for (const handler of step.functions) if (!events.has(handler)) events.set(handler, step.name);
  return events;
}
