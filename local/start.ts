// `npm start`: the whole API on one machine, offline, with the same handler code CDK deploys.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LocalStackError, startDynamoDbLocal, type LocalDynamo } from './dynamodb';
import { FaultSwitch } from './faults';
import { oauthScope, ROUTES, SCOPES_IN_USE, type Scope } from '../functions/http/routes';
import { FAULTS_PATH, FAULTS_SCOPE } from './gateway';
import { localStageFile, readLocalStage } from './local-stage';
import { ScaledClock } from './scaled-clock';
import { startLocalStack } from './stack';

const HELP = `Usage: npm start -- [options]

  --port N           HTTP API port (default 3000)
  --ses-port N       local SES API and mail viewer port (default 8005)
  --smtp-port N      inbound email (SMTP, standing in for SES receiving) port (default 2525)
  --webhooks-port N  the page of webhook deliveries (default 8006)
  --chat-port N      the page of chat messages, standing in for Slack and Teams (default 8007)
  --chat-secrets F   a JSON file of chat secrets' values, {"<secret name>": "<incoming-webhook URL>"}:
                     post to a real Slack or Teams channel; a secret the playbook names and the
                     file does not goes to the chat page
  --dynamodb-port N  DynamoDB Local port (default 8000)
  --data-dir DIR     where DynamoDB Local keeps its data (default .data)
  --in-memory        keep nothing on disk
  --time-scale N     run the clock N times faster: 3600 turns an hour into a second
  --faults           serve the fault switch at /_local/faults (GET shows, PUT sets:
                     {"ses":"ok|unavailable|throttled|paused","dynamodbThrottleRate":0..1,"taskCrashRate":0..1})
  -h, --help         this text

Environment: API_TOKEN fixes the all-scopes bearer token (otherwise one is generated;
the per-scope tokens are derived from it, so they are fixed too),
API_USER names the caller on timelines (default local-user),
PLAYBOOK_PATH points at a playbook file (default ./playbook.json when present).`;

function positiveInteger(name: string, text: string, max = 65_535): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new LocalStackError(`--${name} must be a whole number from 1 to ${max}, got "${text}"`);
  return value;
}

/** Survey links already emailed must keep working after a restart: the key lives with the data. */
function persistentKey(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(path, key, { mode: 0o600 });
  return key;
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      'ses-port': { type: 'string', default: '8005' },
      'smtp-port': { type: 'string', default: '2525' },
      'webhooks-port': { type: 'string', default: '8006' },
      'chat-port': { type: 'string', default: '8007' },
      'chat-secrets': { type: 'string' },
      'dynamodb-port': { type: 'string', default: '8000' },
      'data-dir': { type: 'string', default: '.data' },
      'in-memory': { type: 'boolean', default: false },
      'time-scale': { type: 'string', default: '1' },
      faults: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return {
    help: values.help,
    port: positiveInteger('port', values.port),
    sesPort: positiveInteger('ses-port', values['ses-port']),
    smtpPort: positiveInteger('smtp-port', values['smtp-port']),
    webhooksPort: positiveInteger('webhooks-port', values['webhooks-port']),
    chatPort: positiveInteger('chat-port', values['chat-port']),
    chatSecrets: values['chat-secrets'] === undefined ? undefined : readChatSecrets(values['chat-secrets']),
    dynamoPort: positiveInteger('dynamodb-port', values['dynamodb-port']),
    dataDir: values['in-memory'] ? undefined : resolve(values['data-dir']),
    timeScale: positiveInteger('time-scale', values['time-scale'], 1_000_000),
    faults: values.faults,
  };
}

/** The chat secrets' local values: one JSON object of secret name → incoming-webhook URL. */
function readChatSecrets(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LocalStackError(`--chat-secrets ${file}: ${(error as Error).message}`);
  }
  const valid = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((value) => typeof value === 'string');
  if (!valid) throw new LocalStackError(`--chat-secrets ${file} must hold one JSON object of secret name → webhook URL, e.g. {"escalation-api/chat/support-lead": "https://hooks.slack.com/services/..."}`);
  return parsed as Record<string, string>;
}

/** What a token of this scope opens, for the start-up banner: the routes (or how many), and the fault switch. */
function scopeUse(scope: Scope, withFaults: boolean): string {
  const routes = ROUTES.filter((route) => route.scope === scope);
  const methods = [...new Set(routes.map((route) => route.method))].join('/');
  const listed = routes.length <= 2 ? routes.map((route) => `${route.method} ${route.path}`).join(', ') : `${routes.length} routes (${methods})`;
  return withFaults && scope === FAULTS_SCOPE ? `${listed}, the fault switch` : listed;
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    console.log(HELP);
    return;
  }
  const started = Date.now();
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stopAll().then(() => process.exit(143)));

  try {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    // Each function's IAM policy comes from the synthesized template: cached in .cdk/local-stage/,
    // or synthesized in a child process while DynamoDB Local starts.
    const playbookPath = process.env.PLAYBOOK_PATH ?? (existsSync('playbook.json') ? resolve('playbook.json') : undefined);
    const stageReady = localStageFile(playbookPath ? { playbook: playbookPath } : {});
    stageReady.catch(() => undefined); // awaited below, once DynamoDB Local is up
    const dynamo: LocalDynamo = await startDynamoDbLocal(options.dynamoPort, options.dataDir);
    stoppers.push(dynamo.stop);
    const dynamoReadyAt = Date.now();
    const stageFile = await stageReady;
    const iamWait = Date.now() - dynamoReadyAt;
    const tableName = 'escalations';
    const token = process.env.API_TOKEN ?? randomBytes(18).toString('base64url');
    // Data kept on disk was written on the case clock of the last run: go on from there.
    const clock = options.dataDir ? ScaledClock.resume(resolve(options.dataDir, 'clock.json'), options.timeScale) : new ScaledClock(options.timeScale);
    const faults = options.faults ? new FaultSwitch() : undefined;
    const stack = await startLocalStack({
      stage: readLocalStage(stageFile.file),
      surveySigningKey: options.dataDir ? persistentKey(resolve(options.dataDir, 'survey-signing-key')) : randomBytes(32).toString('base64url'),
      dynamo,
      tableName,
      port: options.port,
      sesPort: options.sesPort,
      smtpPort: options.smtpPort,
      webhooksPort: options.webhooksPort,
      chatPort: options.chatPort,
      ...(options.chatSecrets && { chatSecrets: options.chatSecrets }),
      token,
      principal: process.env.API_USER ?? 'local-user',
      timeScale: options.timeScale,
      clock,
      ...(options.dataDir && { sentMailFile: resolve(options.dataDir, 'sent-mail.jsonl') }),
      ...(faults && { faults }),
      ...(playbookPath && { playbookPath }),
    });
    stoppers.push(stack.stop);
    // Local executions end with the process: start again every case a previous run left open,
    // and send what it owed (claims it held come free when their lease runs out).
    await stack.reconcile();
    await stack.resendOwedEmails();
    const { gateway } = stack;
    const ses = { url: stack.sesUrl };

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`
Escalation API is running locally (ready in ${seconds}s)

  HTTP API        ${gateway.url}            (bearer tokens below)
  Dashboard       ${gateway.url}/dashboard   (the playbook metrics as charts)
  OpenAPI         ${gateway.url}/openapi.json
  Health          ${gateway.url}/health
  Sent email UI   ${ses.url}/   (local SES; GET /store lists messages)
  Webhooks sent   ${stack.webhooksUrl}/   (every delivery: request, signature, answer; GET /deliveries as JSON)
  Chat messages   ${stack.chatInbox.url}/   (alerts posted to the playbook's Slack and Teams channels; GET /messages as JSON)
  Event bus       ${stack.eventBus.url}/events   (what went on the EventBridge bus)
  Inbound email   smtp://127.0.0.1:${stack.smtpPort}   replies to ${stack.inboundAddress.replace('@', '+<case id>@')}
  DynamoDB Local  ${dynamo.endpoint}   table "${tableName}", ${options.dataDir ? `data in ${options.dataDir}` : 'in memory'}
  Playbook        ${playbookPath ?? 'built-in defaults (PLAYBOOK.md)'}
  IAM             every call checked against its function's policy in the template (stage "local"; ${stageFile.synthesized ? `synthesized in ${(stageFile.ms / 1000).toFixed(1)} s, ${(iamWait / 1000).toFixed(1)} s of it after DynamoDB Local was ready` : 'cached in .cdk/local-stage/'})
  Clock           ${options.timeScale === 1 ? 'real time' : `${options.timeScale}× real time (an hour passes in ${(3600 / options.timeScale).toFixed(2)} s)`}${options.dataDir ? `, now ${clock.now().toISOString()}` : ''}
${faults ? `  Fault switch    ${gateway.url}${FAULTS_PATH}   (GET shows, PUT sets; needs ${oauthScope(FAULTS_SCOPE)})\n` : ''}
Bearer tokens: each route needs its scope, as the JWT authorizer checks it on AWS (403 without it)
  API_TOKEN=${token}   every scope
${SCOPES_IN_USE.map((scope) => `  ${oauthScope(scope).padEnd(18)} ${stack.tokens.byScope[scope]}   ${scopeUse(scope, Boolean(faults))}`).join('\n')}

Try:
  curl -s -H "Authorization: Bearer ${stack.tokens.byScope.read}" ${gateway.url}/escalations?status=open

Ctrl-C stops everything.`);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof Error && (error.name === 'LocalStackError' || error.name === 'PlaybookConfigError' || error.name === 'ConfigurationError')) {
    console.error(`\n${error.message}\n`);
  } else if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    console.error(`\nA port is already in use (${error.message}). Pick another with --port, --ses-port, --smtp-port, --webhooks-port, --chat-port or --dynamodb-port.\n`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
