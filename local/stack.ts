import { CreateEmailTemplateCommand, SESv2Client, UpdateEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { provideLocalAdapters } from '../functions/adapters/container';
import { logger } from '../functions/adapters/logger';
import { SignedSurveyLinks } from '../functions/adapters/signed-survey-links';
import { followedBy, STREAM_CONSUMERS, type StreamConsumer } from '../functions/adapters/stored-changes';
import { loadTemplates } from '../templates/catalogue';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureTable } from './dynamodb';
import { freePort } from './free-port';
import { instrumentAwsClients } from '../functions/adapters/aws-clients';
import { WORKFLOW_TASKS } from '../functions/workflow/definition';
import type { SurveyLinks } from '../functions/ports/survey';
import type { FaultSwitch } from './faults';
import { issueLocalTokens, loadHandlers, startGateway, type ApiHandler, type Gateway, type LocalTokens } from './gateway';
import { LocalIam, type CheckedRequest } from './iam-enforcement';
import { currentInvocation, invokeLocal } from './invocation';
import { localWorld, stageEnvironment, type LocalStage } from './local-stage';
import { ScaledClock } from './scaled-clock';
import { MemoryRawMailStore, startSmtpInbound, type InboundResult } from './smtp-inbound';
import { startLocalSes } from './ses';
import { startLocalEventBus, type LocalEventBus } from './eventbridge';
import { startChatInbox, type ChatInbox } from './chat-inbox';
import { startLocalSecretsManager, type LocalSecretsManager } from './secrets-manager';
import { loadPlaybook } from '../functions/playbook/load';
import { WebhookLog } from './webhook-log';
import { HttpsWebhookSender } from '../functions/adapters/https-webhook-sender';
import { followTableStream, type TableStream } from './table-stream';
import { LocalWorkflowEngine, type TaskHandler } from './workflow-engine';
import { sleepUntil } from '../functions/support/retrying';

export interface LocalStackOptions {
  /** Signs satisfaction links; kept across restarts by `npm start` so links already sent keep working. */
  surveySigningKey?: string;
  dynamo: { endpoint: string; client: DynamoDBClient };
  tableName: string;
  port: number;
  sesPort: number;
  /** The SMTP server standing in for SES inbound (default: a free port). */
  smtpPort?: number;
  /** Customer replies go to plus-addresses of it. */
  inboundAddress?: string;
  /** The token carrying every scope (API_TOKEN); the gateway derives one token per scope from it. */
  token: string;
  principal: string;
  timeScale: number;
  /** The case clock; `npm start` resumes the one saved with its data. Default: a new one at `timeScale`. */
  clock?: ScaledClock;
  /** Tests shorten the workflow's retry waits. */
  retryIntervalMs?: number;
  /** Keep every workflow execution's history (tests read it for personal data). */
  recordWorkflowHistory?: boolean;
  /** How often the reconciliation sweep runs, in real ms (daily on the scaled clock by default). */
  reconcileEveryMs?: number;
  /** How often owed emails are looked at again, in real ms (every minute on the scaled clock, at most once a second). */
  owedEmailsEveryMs?: number;
  /** How long a claim on an email holds, in real ms (default 10 s: far beyond any local send). */
  emailLeaseRealMs?: number;
  playbookPath?: string;
  /** Where local SES keeps sent mail across restarts (npm start with data on disk). */
  sentMailFile?: string;
  /** The fault switch (`--faults`, fault tests): SES down, DynamoDB throttled, tasks crashing. */
  faults?: FaultSwitch;
  /** Replaces workflow task handlers (tests inject faults this way). */
  wrapTask?: (name: string, handler: TaskHandler) => TaskHandler;
  /**
   * The synthesized local stage (local/local-stage.ts): every call a handler makes is checked
   * against its function's IAM policy from it, and the names those calls use come from it.
   */
  stage: LocalStage;
  /** Told of every IAM request checked, allowed or denied (the grant coverage test records them). */
  onIamCheck?: (request: CheckedRequest) => void;
  /** The webhook deliveries page (default: a free port). */
  webhooksPort?: number;
  /**
   * The values of the chat secrets the playbook names (secret name → incoming-webhook URL), as
   * the local Secrets Manager serves them. A secret without one points at the local chat page.
   */
  chatSecrets?: Record<string, string>;
  /** The page of chat messages, standing in for Slack and Teams (default: a free port). */
  chatPort?: number;
}

export interface LocalStack {
  gateway: Gateway;
  /** The bearer tokens the gateway accepts: all scopes, and one per scope. */
  tokens: LocalTokens;
  sesUrl: string;
  smtpPort: number;
  inboundAddress: string;
  engine: LocalWorkflowEngine;
  clock: ScaledClock;
  /** The table's stream feeding case-workflows and queued-emails; `drained()` waits until both followed every write so far. */
  caseChanges: TableStream;
  reconcile(): Promise<unknown>;
  /** One run of the owed-email sweep, emails and webhook deliveries (it also runs on its own timer). */
  resendOwedEmails(): Promise<unknown>;
  /** What the stack's event bus received (EventBridge's part, local/eventbridge.ts). */
  eventBus: LocalEventBus;
  /** The inbound bucket's stand-in: raw MIME of the mail the local SMTP server took, by message id. */
  rawMail: MemoryRawMailStore;
  /** Every webhook delivery attempt, and the page that shows them. */
  webhookLog: WebhookLog;
  webhooksUrl: string;
  /** The stand-in for Slack and Teams incoming webhooks, and its page of messages. */
  chatInbox: ChatInbox;
  /** What stands in for Secrets Manager: the chat secrets' values (a test may rotate one). */
  secretsManager: LocalSecretsManager;
  /** What SES's event destination does through SNS: hands email-events a bounce or complaint notice. */
  reportDeliveryEvent(notice: object): Promise<unknown>;
  /** Lambda's Invoke: runs one function (a file of functions/handlers) on an event, as an invocation of it. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** The IAM check every handler call goes through. */
  iam: LocalIam;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/** Functions run on a schedule or an event besides the API, the workflow's tasks and the stream consumers. */
const WORKFLOW_TASK_HANDLERS = Object.values(WORKFLOW_TASKS);
const EVENT_HANDLERS = ['reconcile-workflows', 'resend-owed-emails', 'rearm-workflow'] as const;

/**
 * The offline stack shared by `npm start` and the tests: the table from TABLE_DESIGN,
 * local SES with the templates from templates/, the real state machine, and the local
 * API Gateway, all calling the handler files CDK deploys, each call marked as an invocation
 * of the function that serves it (local/invocation.ts).
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    const streamArn = await ensureTable(options.dynamo.client, options.tableName);
    // The template's names for what the handlers call, resolved to the local table, bucket and secret.
    const world = localWorld(options.stage, { name: options.tableName, streamArn });
    const names = stageEnvironment(options.stage, world);
    const iam = new LocalIam(options.stage, world, { ...(options.onIamCheck && { onCheck: options.onIamCheck }) });
    const ses = await startLocalSes(options.sesPort, { ...(options.sentMailFile && { sentMailFile: options.sentMailFile }) });
    stoppers.push(ses.stop);
    await publishTemplates(ses.url, names.SES_TEMPLATE_PREFIX ?? '');

    const eventBus = await startLocalEventBus();
    stoppers.push(eventBus.stop);
    const webhookLog = new WebhookLog();
    const webhookPage = await webhookLog.serve(options.webhooksPort ?? 0);
    stoppers.push(webhookPage.stop);

    // Chat: every secret the playbook names, served by the local Secrets Manager; those not given a URL post to the local page.
    const chatInbox = await startChatInbox(options.chatPort ?? 0);
    stoppers.push(chatInbox.stop);
    const chatSecrets = Object.fromEntries(Object.entries(loadPlaybook(options.playbookPath).chat).map(([role, channel]) => [channel.secret, chatInbox.channelUrl(channel.kind, role)]));
    const secretsManager = await startLocalSecretsManager(world.region, world.account, { ...chatSecrets, ...options.chatSecrets });
    stoppers.push(secretsManager.stop);

    const clock = options.clock ?? new ScaledClock(options.timeScale);
    // The public base URL goes into emails, so the port must be known before the handlers load.
    const port = options.port || (await freePort());
    const inboundAddress = options.inboundAddress ?? 'escalations@inbound.localhost';
    const publicApiUrl = `http://127.0.0.1:${port}`;
    Object.assign(process.env, {
      INBOUND_ADDRESS: inboundAddress,
      PUBLIC_API_URL: publicApiUrl,
      // The sender, configuration set and template prefix the template gives the mail senders.
      ...(names.SENDER_EMAIL && { SENDER_EMAIL: names.SENDER_EMAIL }),
      ...(names.SES_CONFIGURATION_SET && { SES_CONFIGURATION_SET: names.SES_CONFIGURATION_SET }),
      ...(names.SES_TEMPLATE_PREFIX !== undefined && { SES_TEMPLATE_PREFIX: names.SES_TEMPLATE_PREFIX }),
      TABLE_NAME: options.tableName,
      DYNAMODB_ENDPOINT: options.dynamo.endpoint,
      SES_ENDPOINT: ses.url,
      EVENTBRIDGE_ENDPOINT: eventBus.url,
      SECRETS_MANAGER_ENDPOINT: secretsManager.url,
      ...(names.EVENT_BUS_NAME && { EVENT_BUS_NAME: names.EVENT_BUS_NAME }),
      // Local receivers run on 127.0.0.1 over http; on AWS only https to public addresses.
      WEBHOOK_TARGETS: 'any',
      // The lease is real time (how long a send may take), read on the case clock.
      EMAIL_CLAIM_LEASE_SECONDS: String(Math.ceil(((options.emailLeaseRealMs ?? 10_000) / 1000) * clock.scale)),
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      ...(options.playbookPath && { PLAYBOOK_PATH: options.playbookPath }),
    });

    // Each handler runs as an invocation of its function; the fault switch may doom one.
    const { faults } = options;
    const asFunction = (name: string, handler: TaskHandler): TaskHandler => (input, context) => invokeLocal(name, handler, input, context, faults?.crashFor(name));
    const loadHandler = async (name: string) => asFunction(name, ((await import(`../functions/handlers/${name}.ts`)) as { handler: TaskHandler }).handler);

    // The engine needs the task handlers, and the handlers' container needs the engine:
    // the engine is created first with handlers that are resolved on first call.
    const tasks: Record<string, TaskHandler> = {};
    const lazy = (name: string): TaskHandler => (input, context) => tasks[name]!(input, context);
    const stateMachineArn = need(names.STATE_MACHINE_ARN, 'STATE_MACHINE_ARN');
    const engine = new LocalWorkflowEngine(
      clock,
      { ReviewDeadlinesFunctionArn: lazy('review-deadlines'), ActOnDeadlineFunctionArn: lazy('act-on-deadline'), RecordWorkflowFailureFunctionArn: lazy('record-workflow-failure') },
      {
        ...(options.retryIntervalMs !== undefined && { retryIntervalMs: options.retryIntervalMs }),
        // The EventBridge rule on execution status changes (lib/workflow.ts) targets rearm-workflow.
        onExecutionEnded: (event) => tasks['rearm-workflow']!(event, {} as never),
        stateMachineArn,
        ...(options.recordWorkflowHistory && { recordHistory: true }),
      },
    );
    stoppers.push(() => engine.stopAll());
    const rawMail = new MemoryRawMailStore();
    // EMF lines and info logs are for CloudWatch; on a laptop they would bury the output.
    logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
    // Outermost the IAM check, as on AWS: a call its policy refuses never reaches a fault or the engine.
    instrumentAwsClients((client, service) => {
      faults?.instrument(client, service);
      iam.instrument(client, service);
    });
    // What has no local endpoint is checked where it stands in: the engine, the raw mail, the survey key.
    const survey = surveyLinksPerFunction(publicApiUrl, iam.guardSecret(need(names.SURVEY_SIGNING_KEY_SECRET_ARN, 'SURVEY_SIGNING_KEY_SECRET_ARN'), options.surveySigningKey ?? randomBytes(32).toString('base64url')));
    provideLocalAdapters({
      // The real sender, over the network, each attempt recorded for the deliveries page.
      webhookSender: webhookLog.record(new HttpsWebhookSender({ httpsOnly: false, allowPrivate: true })),
      workflow: iam.guardWorkflow(engine, stateMachineArn),
      rawMail: iam.guardRawMail(rawMail, need(names.INBOUND_BUCKET, 'INBOUND_BUCKET'), names.INBOUND_PREFIX ?? ''),
      rawMailEraser: iam.guardRawMailEraser(rawMail, need(names.INBOUND_BUCKET, 'INBOUND_BUCKET'), names.INBOUND_PREFIX ?? ''),
      survey,
      now: clock.now,
      // Until the case clock reads `at`.
      waitUntil: (at) => sleepUntil(at, clock.now, clock.scale),
      metrics: { record: () => undefined },
    });

    for (const name of [...WORKFLOW_TASK_HANDLERS, ...EVENT_HANDLERS]) {
      const handler = await loadHandler(name);
      tasks[name] = options.wrapTask ? options.wrapTask(name, handler) : handler;
    }
    const { handler: emailEvents } = (await import('../functions/handlers/email-events')) as { handler: TaskHandler };
    const reportDeliveryEvent = (notice: object) => asFunction('email-events', emailEvents)({ Records: [{ Sns: { Message: JSON.stringify(notice) } }] }, {} as never);
    const invoke = async (functionName: string, event: unknown) => (tasks[functionName] ?? (await loadHandler(functionName)))(event, {} as never);
    const reconcile = () => tasks['reconcile-workflows']!({}, {} as never);
    const resendOwedEmails = () => tasks['resend-owed-emails']!({}, {} as never);

    // What Lambda's event source mappings do on AWS: the table's stream, read twice (each
    // consumer at its own pace, filtered as in lib/escalation-api-stack.ts), in order per shard.
    const streams = new DynamoDBStreamsClient({ endpoint: options.dynamo.endpoint, region: process.env.AWS_REGION!, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const followers: TableStream[] = [];
    for (const name of Object.keys(STREAM_CONSUMERS) as StreamConsumer[]) {
      const filter = (record: DynamoDBRecord) => followedBy(name, record);
      const handler = await loadHandler(name);
      const consumer = options.wrapTask ? options.wrapTask(name, handler) : handler;
      const follower = await followTableStream({ client: streams, streamArn, filter, handler: (event: DynamoDBStreamEvent) => consumer(event, {} as never), ...(options.retryIntervalMs !== undefined && { retryDelayMs: options.retryIntervalMs }) });
      followers.push(follower);
      stoppers.push(() => follower.stop());
    }
    const caseChanges: TableStream = {
      stop: async () => void (await Promise.all(followers.map((follower) => follower.stop()))),
      drained: async () => void (await Promise.all(followers.map((follower) => follower.drained()))),
    };
    // EventBridge Scheduler's part: the daily sweep and the minute-by-minute owed-email sweep, on the scaled clock.
    every(options.reconcileEveryMs ?? clock.realMs(24 * 3_600_000), reconcile, 'reconciliation', stoppers);
    every(options.owedEmailsEveryMs ?? Math.max(clock.realMs(60_000), 1_000), resendOwedEmails, 'owed-email sweep', stoppers);

    const { handler: inboundEmail } = (await import('../functions/handlers/inbound-email')) as { handler: TaskHandler };
    const smtp = await startSmtpInbound(options.smtpPort ?? 0, rawMail, (event) => asFunction('inbound-email', inboundEmail)(event, {} as never) as Promise<InboundResult>);
    stoppers.push(smtp.stop);

    // The dashboard runs on loopback only, so it carries a local token to call /metrics: the read-only one.
    const tokens = issueLocalTokens(options.token);
    const dashboard = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8').replace('__API_TOKEN__', tokens.byScope.read);
    const handlers = Object.fromEntries(Object.entries(await loadHandlers()).map(([name, handler]) => [name, asFunction(name, handler as TaskHandler) as ApiHandler]));
    const gateway = await startGateway({ port, tokens, principal: options.principal, handlers, pages: { '/dashboard': dashboard }, ...(faults && { faults }) });
    stoppers.push(gateway.close);
    return {
      gateway,
      tokens,
      sesUrl: ses.url,
      smtpPort: smtp.port,
      inboundAddress,
      engine,
      clock,
      caseChanges,
      reconcile,
      resendOwedEmails,
      eventBus,
      rawMail,
      webhookLog,
      webhooksUrl: webhookPage.url,
      chatInbox,
      secretsManager,
      reportDeliveryEvent,
      invoke,
      iam,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs `run` every `intervalMs` (one run at a time), until the stack stops. */
function every(intervalMs: number, run: () => Promise<unknown>, what: string, stoppers: (() => Promise<void>)[]) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = run()
      .catch((error) => console.error(`${what} failed:`, error))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  stoppers.push(async () => {
    clearInterval(timer);
    await running;
  });
}

function need(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`the synthesized local stage gives no function ${name}, which the local stack needs`);
  return value;
}

/**
 * The survey links each function signs or checks with, one per function as each Lambda has its
 * own container: the key is fetched on a function's first use, as from Secrets Manager.
 */
function surveyLinksPerFunction(publicApiUrl: string, signingKey: () => Promise<string>): SurveyLinks {
  const byFunction = new Map<string, SignedSurveyLinks>();
  const links = () => {
    // Outside an invocation the key's check fails loudly; the name here only files it.
    const name = currentInvocation()?.functionName ?? '';
    let found = byFunction.get(name);
    if (!found) byFunction.set(name, (found = new SignedSurveyLinks(publicApiUrl, signingKey)));
    return found;
  };
  return { linksFor: (caseId, now) => links().linksFor(caseId, now), verify: (token, now) => links().verify(token, now) };
}

/** Creates (or refreshes) every template in local SES through the SES v2 API, under the stage's prefix, as CDK does on AWS. */
async function publishTemplates(sesUrl: string, prefix: string) {
  const ses = new SESv2Client({ endpoint: sesUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const template of loadTemplates()) {
    const content = { TemplateName: `${prefix}${template.name}`, TemplateContent: { Subject: template.subject, Html: template.html, Text: template.text } };
    try {
      await ses.send(new CreateEmailTemplateCommand(content));
    } catch (error) {
      // aws-ses-v2-local names the error in its body's `type`, which the SDK does not read: its message tells.
      const exists = (error as Error).name === 'AlreadyExistsException' || /already exists/i.test((error as Error).message);
      if (!exists) throw error;
      await ses.send(new UpdateEmailTemplateCommand(content));
    }
  }
}
