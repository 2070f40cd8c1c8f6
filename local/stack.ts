import { CreateEmailTemplateCommand, SESv2Client, UpdateEmailTemplateCommand } from '@aws-sdk/client-sesv2';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { provideLocalAdapters } from '../functions/adapters/container';
import { logger } from '../functions/adapters/logger';
import { followedBy, STREAM_CONSUMERS, type StreamConsumer } from '../functions/adapters/stored-changes';
import { loadTemplates } from '../templates/catalogue';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ensureTable } from './dynamodb';
import { freePort } from './free-port';
import { loadHandlers, startGateway, type Gateway } from './gateway';
import { ScaledClock } from './scaled-clock';
import { MemoryRawMailStore, startSmtpInbound, type InboundResult } from './smtp-inbound';
import { startLocalSes } from './ses';
import { followTableStream, type TableStream } from './table-stream';
import { LocalWorkflowEngine, type TaskHandler } from './workflow-engine';

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
  token: string;
  principal: string;
  timeScale: number;
  /** Tests shorten the workflow's retry waits. */
  retryIntervalMs?: number;
  /** How often the reconciliation sweep runs, in real ms (daily on the scaled clock by default). */
  reconcileEveryMs?: number;
  playbookPath?: string;
  /** Replaces workflow task handlers (tests inject faults this way). */
  wrapTask?: (name: string, handler: TaskHandler) => TaskHandler;
}

export interface LocalStack {
  gateway: Gateway;
  sesUrl: string;
  smtpPort: number;
  inboundAddress: string;
  engine: LocalWorkflowEngine;
  clock: ScaledClock;
  /** The table's stream feeding case-workflows and queued-emails; `drained()` waits until both followed every write so far. */
  caseChanges: TableStream;
  reconcile(): Promise<unknown>;
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

/**
 * The offline stack shared by `npm start` and the tests: the table from TABLE_DESIGN,
 * local SES with the templates from templates/, the real state machine, and the local
 * API Gateway, all calling the handler files CDK deploys.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    const streamArn = await ensureTable(options.dynamo.client, options.tableName);
    const ses = await startLocalSes(options.sesPort);
    stoppers.push(ses.stop);
    await publishTemplates(ses.url);

    // The public base URL goes into emails, so the port must be known before the handlers load.
    const port = options.port || (await freePort());
    const inboundAddress = options.inboundAddress ?? 'escalations@inbound.localhost';
    Object.assign(process.env, {
      INBOUND_ADDRESS: inboundAddress,
      PUBLIC_API_URL: `http://127.0.0.1:${port}`,
      SURVEY_SIGNING_KEY: options.surveySigningKey ?? randomBytes(32).toString('base64url'),
      TABLE_NAME: options.tableName,
      DYNAMODB_ENDPOINT: options.dynamo.endpoint,
      SES_ENDPOINT: ses.url,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      ...(options.playbookPath && { PLAYBOOK_PATH: options.playbookPath }),
    });

    const clock = new ScaledClock(options.timeScale);
    // The engine needs the task handlers, and the handlers' container needs the engine:
    // the engine is created first with handlers that are resolved on first call.
    const tasks: Record<string, TaskHandler> = {};
    const lazy = (name: string): TaskHandler => (input, context) => tasks[name]!(input, context);
    const engine = new LocalWorkflowEngine(
      clock,
      { ReviewDeadlinesFunctionArn: lazy('review-deadlines'), ActOnDeadlineFunctionArn: lazy('act-on-deadline'), RecordWorkflowFailureFunctionArn: lazy('record-workflow-failure') },
      { ...(options.retryIntervalMs !== undefined && { retryIntervalMs: options.retryIntervalMs }) },
    );
    stoppers.push(() => engine.stopAll());
    const rawMail = new MemoryRawMailStore();
    // EMF lines and info logs are for CloudWatch; on a laptop they would bury the output.
    logger.setLogLevel((process.env.POWERTOOLS_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN');
    provideLocalAdapters({ workflow: engine, now: clock.now, rawMail, metrics: { record: () => undefined } });

    for (const name of ['review-deadlines', 'act-on-deadline', 'record-workflow-failure', 'reconcile-workflows']) {
      const { handler } = (await import(`../functions/handlers/${name}.ts`)) as { handler: TaskHandler };
      tasks[name] = options.wrapTask ? options.wrapTask(name, handler) : handler;
    }
    const reconcile = () => tasks['reconcile-workflows']!({}, {} as never);

    // What Lambda's event source mappings do on AWS: the table's stream, read twice (each
    // consumer at its own pace, filtered as in lib/escalation-api-stack.ts), in order per shard.
    const streams = new DynamoDBStreamsClient({ endpoint: options.dynamo.endpoint, region: process.env.AWS_REGION!, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const followers: TableStream[] = [];
    for (const name of Object.keys(STREAM_CONSUMERS) as StreamConsumer[]) {
      const filter = (record: DynamoDBRecord) => followedBy(name, record);
      const { handler } = (await import(`../functions/handlers/${name}.ts`)) as { handler: TaskHandler };
      const consumer = options.wrapTask ? options.wrapTask(name, handler) : handler;
      const follower = await followTableStream({ client: streams, streamArn, filter, handler: (event: DynamoDBStreamEvent) => consumer(event, {} as never), ...(options.retryIntervalMs !== undefined && { retryDelayMs: options.retryIntervalMs }) });
      followers.push(follower);
      stoppers.push(() => follower.stop());
    }
    const caseChanges: TableStream = {
      stop: async () => void (await Promise.all(followers.map((follower) => follower.stop()))),
      drained: async () => void (await Promise.all(followers.map((follower) => follower.drained()))),
    };
    const sweepEvery = options.reconcileEveryMs ?? clock.realMs(24 * 3_600_000);
    const sweep = setInterval(() => void reconcile().catch((error) => console.error('reconciliation failed:', error)), sweepEvery);
    sweep.unref();
    stoppers.push(async () => clearInterval(sweep));

    const { handler: inboundEmail } = (await import('../functions/handlers/inbound-email')) as { handler: (event: unknown, context: unknown) => Promise<InboundResult> };
    const smtp = await startSmtpInbound(options.smtpPort ?? 0, rawMail, (event) => inboundEmail(event, {}));
    stoppers.push(smtp.stop);

    // The dashboard runs on loopback only, so it carries the local token to call /metrics.
    const dashboard = readFileSync(new URL('./dashboard.html', import.meta.url), 'utf8').replace('__API_TOKEN__', options.token);
    const gateway = await startGateway({ port, token: options.token, principal: options.principal, handlers: await loadHandlers(), pages: { '/dashboard': dashboard } });
    stoppers.push(gateway.close);
    return { gateway, sesUrl: ses.url, smtpPort: smtp.port, inboundAddress, engine, clock, caseChanges, reconcile, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Creates (or refreshes) every template in local SES through the SES v2 API, as CDK does on AWS. */
async function publishTemplates(sesUrl: string) {
  const ses = new SESv2Client({ endpoint: sesUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  for (const template of loadTemplates()) {
    const content = { TemplateName: template.name, TemplateContent: { Subject: template.subject, Html: template.html, Text: template.text } };
    try {
      await ses.send(new CreateEmailTemplateCommand(content));
    } catch (error) {
      if ((error as Error).name !== 'AlreadyExistsException') throw error;
      await ses.send(new UpdateEmailTemplateCommand(content));
    }
  }
}
