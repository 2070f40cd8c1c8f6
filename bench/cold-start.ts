/**
 * Cold start against each function's floor. Every Lambda's bundle is built as CDK builds it
 * (esbuild with the options of lib/handler-function.ts), and so is its FLOOR: a bundle that
 * creates, at module load, the very AWS SDK clients the function's bundle holds (the DynamoDB
 * one wrapped in the document client when the function uses it, and the MIME parser for the
 * function that parses mail), whose handler sends one command through each. The floor is what
 * any function doing that function's job must load; what the function adds above it (bytes,
 * init time) is what this repository controls, and what the budgets hold.
 *
 * Init = a fresh Node process from start until the bundle is imported (bench/lib/init-probe.mjs),
 * median of BENCH_INIT_RUNS (≥ 13), under this Node (20) and under the Lambda runtime's Node
 * (24, the npm package tests/artifacts installs), all bundles round-robin so that each
 * function and its floor see the same machine.
 *
 *   npx tsx bench/cold-start.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { HANDLERS } from '../functions/http/routes';
import { WORKFLOW_TASKS } from '../functions/workflow/definition';
import { lambdaNode, TierCannotRun } from '../tests/artifacts/lambda-node';
import { emitResult, kb, printTable, say } from './lib/report';
import { round, summarize } from './lib/stats';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_INIT_RUNS ?? 13));
const WARMUP_RUNS = 2;
const HANDLER_DIR = path.join(ROOT, 'functions', 'handlers');
const PROBE = path.join(ROOT, 'bench', 'lib', 'init-probe.mjs');

/**
 * The bundling options of lib/handler-function.ts (NodejsFunction → esbuild CLI flags
 * --bundle --platform=node --target=node24 --format=esm --minify --sourcemap [--sources-content=false]
 * --main-fields=module,main --banner:js=…, nothing external), read from that file where
 * they are literal so the bench notices when the construct changes. The target is taken
 * from the file and must name the Node of its Lambda runtime (Runtime.NODEJS_<n>_X).
 * (`npm run test:artifacts` runs the bundles CDK itself builds, under that Node.)
 */
function cdkBundling(): { options: BuildOptions; nodeOptions: string; memoryMB: number; drift: string[] } {
  const source = readFileSync(path.join(ROOT, 'lib', 'handler-function.ts'), 'utf8');
  const expected: [string, RegExp][] = [
    ['format ESM', /format:\s*OutputFormat\.ESM/],
    ["mainFields ['module', 'main']", /mainFields:\s*\[\s*'module',\s*'main'\s*\]/],
    ['minify: true', /minify:\s*true/],
    ['sourceMap: true', /sourceMap:\s*true/],
    ['externalModules: [] (everything bundled)', /externalModules:\s*\[\s*\]/],
  ];
  const drift = expected.filter(([, pattern]) => !pattern.test(source)).map(([what]) => what);
  const target = /target:\s*'(node\d+)'/.exec(source)?.[1];
  const runtimeMajor = /Runtime\.NODEJS_(\d+)_X/.exec(source)?.[1];
  if (!target) drift.push("a literal esbuild target 'node<n>'");
  if (!runtimeMajor) drift.push('a Runtime.NODEJS_<n>_X runtime');
  if (target && runtimeMajor && target !== `node${runtimeMajor}`) drift.push(`target ${target} matching its runtime nodejs${runtimeMajor}.x`);
  const banner = /const ESM_REQUIRE_SHIM\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*');/.exec(source)?.[1];
  if (!banner) drift.push('ESM_REQUIRE_SHIM banner');
  const nodeOptions = /NODE_OPTIONS:\s*'([^']*)'/.exec(source)?.[1] ?? '';
  const memoryMB = Number(/memorySize:\s*(\d+)/.exec(source)?.[1] ?? 0);
  // CDK's default keeps the sources' text in the map; the construct may turn that off.
  const sourcesContent = !/sourcesContent:\s*false/.test(source);
  return {
    options: {
      bundle: true,
      platform: 'node',
      target: target ?? `node${runtimeMajor ?? 24}`,
      format: 'esm',
      minify: true,
      sourcemap: true,
      sourcesContent,
      mainFields: ['module', 'main'],
      banner: { js: banner ? (banner.startsWith('"') ? (JSON.parse(banner) as string) : banner.slice(1, -1)) : '' },
      external: [],
      metafile: true,
      logLevel: 'silent',
    },
    nodeOptions,
    memoryMB,
    drift,
  };
}

interface Lambda {
  name: string;
  role: string;
  entry: string;
}

/** HANDLERS (the API routes), the state machine's tasks, the daily sweep, and any other handler file. */
function lambdas(): Lambda[] {
  const list: Lambda[] = [];
  const add = (name: string, role: string) => {
    if (list.some((lambda) => lambda.name === name)) return;
    const entry = path.join(HANDLER_DIR, `${name}.ts`);
    if (existsSync(entry)) list.push({ name, role, entry });
  };
  for (const name of HANDLERS) add(name, 'api');
  for (const name of Object.values(WORKFLOW_TASKS)) add(name, 'workflow task');
  add('reconcile-workflows', 'daily sweep');
  add('record-satisfaction', 'api');
  for (const file of readdirSync(HANDLER_DIR).filter((f) => f.endsWith('.ts')).sort()) add(file.slice(0, -3), 'other');
  return list;
}

/**
 * What each SDK client of a floor is: how the function creates it (container() and the
 * adapters in functions/adapters) and the one command the floor sends through it.
 */
const FLOOR_CLIENTS: Record<string, { imports: string; create: string; call: string }> = {
  '@aws-sdk/client-dynamodb': {
    imports: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';",
    create: 'const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });',
    call: "await dynamodb.send(new GetCommand({ TableName: process.env.TABLE_NAME, Key: { pk: event.id, sk: 'CASE' } }));",
  },
  '@aws-sdk/client-sfn': {
    imports: "import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';",
    create: 'const sfn = new SFNClient({});',
    call: 'await sfn.send(new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN, name: event.id }));',
  },
  '@aws-sdk/client-sesv2': {
    imports: "import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';",
    create: 'const ses = new SESv2Client({});',
    call: "await ses.send(new SendEmailCommand({ FromEmailAddress: process.env.SENDER_EMAIL, Destination: { ToAddresses: [event.to] }, Content: { Template: { TemplateName: 't', TemplateData: '{}' } } }));",
  },
  '@aws-sdk/client-s3': {
    imports: "import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';",
    create: 'const s3 = new S3Client({});',
    call: 'const object = await s3.send(new GetObjectCommand({ Bucket: process.env.INBOUND_BUCKET, Key: event.id }));',
  },
  '@aws-sdk/client-eventbridge': {
    imports: "import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';",
    create: 'const events = new EventBridgeClient({});',
    call: "await events.send(new PutEventsCommand({ Entries: [{ EventBusName: process.env.EVENT_BUS_NAME, Source: 'escalation-api', DetailType: 'x', Detail: '{}' }] }));",
  },
  '@aws-sdk/client-secrets-manager': {
    imports: "import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';",
    create: 'const secrets = new SecretsManagerClient({});',
    call: 'await secrets.send(new GetSecretValueCommand({ SecretId: process.env.SURVEY_SIGNING_KEY_SECRET_ARN }));',
  },
};
/** The MIME parser inbound-email uses (functions/adapters/mime.ts), parsing what S3 returned. */
const FLOOR_MIME = {
  imports: "import { simpleParser } from 'mailparser';",
  call: "await simpleParser(Buffer.from(event.raw ?? ''), { skipHtmlToText: false, skipTextToHtml: true, skipImageLinks: true });",
};

interface Floor {
  /** "dynamodb+sfn", "none"… */
  name: string;
  clients: string[];
  mime: boolean;
}

function floorOf(metafile: Metafile): Floor {
  const inputs = Object.keys(metafile.inputs);
  const clients = Object.keys(FLOOR_CLIENTS).filter((client) => inputs.some((input) => input.includes(`node_modules/${client}/`)));
  const unknown = [...new Set(inputs.map((input) => /node_modules\/(@aws-sdk\/client-[^/]+)\//.exec(input)?.[1]).filter((client): client is string => !!client && !(client in FLOOR_CLIENTS)))];
  if (unknown.length) throw new Error(`no floor recipe for ${unknown.join(', ')}: add it to FLOOR_CLIENTS`);
  const mime = inputs.some((input) => input.includes('node_modules/mailparser/'));
  const name = [...clients.map((client) => client.replace('@aws-sdk/client-', '')), ...(mime ? ['mailparser'] : [])].join('+') || 'none';
  return { name, clients, mime };
}

function floorSource(floor: Floor): string {
  const parts = floor.clients.map((client) => FLOOR_CLIENTS[client]!);
  return [
    ...parts.map((part) => part.imports),
    ...(floor.mime ? [FLOOR_MIME.imports] : []),
    ...parts.map((part) => part.create),
    'export const handler = async (event) => {',
    ...parts.map((part) => `  ${part.call}`),
    ...(floor.mime ? [`  ${FLOOR_MIME.call}`] : []),
    "  return { statusCode: 200, body: 'ok' };",
    '};',
  ].join('\n');
}

/** node_modules/@scope/name/… → "@scope/name"; the AWS SDK's packages as one; project files as "this repo". */
function packageOf(input: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (!match) return 'this repo (functions/)';
  return /^@(aws-sdk|smithy|aws-crypto)\//.test(match[1]!) ? 'AWS SDK (more commands than the floor)' : match[1]!;
}

function bytesByPackage(metafile: Metafile): Map<string, number> {
  const output = Object.values(metafile.outputs).find((out) => out.entryPoint !== undefined) ?? Object.values(metafile.outputs)[0]!;
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  return byPackage;
}

/** What the function's bundle holds beyond its floor's, by package, largest first. */
function addedOverFloor(own: Metafile, floor: Metafile) {
  const floorBytes = bytesByPackage(floor);
  return [...bytesByPackage(own)]
    .map(([name, bytes]) => ({ name, bytes: bytes - (floorBytes.get(name) ?? 0) }))
    .filter((entry) => entry.bytes > 512)
    .sort((a, b) => b.bytes - a.bytes);
}

/** What a deployed function's environment holds at INIT (Lambda's own variables plus what CDK sets). */
function lambdaEnvironment(name: string, nodeOptions: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEEXAMPLE00',
    AWS_SECRET_ACCESS_KEY: 'example-secret-access-key-not-real-0000000',
    AWS_SESSION_TOKEN: 'example-session-token',
    TABLE_NAME: 'EscalationApi-Table',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:EscalationWorkflow',
    SENDER_EMAIL: 'escalations@example.com',
    PUBLIC_API_URL: 'https://api.example.com',
    SURVEY_SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:survey-signing-key',
    INBOUND_BUCKET: 'escalationapi-inbound-mail',
    EVENT_BUS_NAME: 'escalation-events-dev',
    // Lambda runs Node 24; the SDK's "please upgrade from Node 20" notice is not part of its init.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

interface ProbeResult {
  bootMs: number;
  importMs: number;
  totalMs: number;
  handlerType?: string;
  error?: string;
  network: string[];
}

function probe(node: string, bundle: string, env: NodeJS.ProcessEnv): ProbeResult {
  const child = spawnSync(node, [PROBE, bundle], { env, encoding: 'utf8', timeout: 30_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    return { bootMs: NaN, importMs: NaN, totalMs: NaN, error: `probe failed (exit ${child.status}): ${child.stderr.trim().slice(0, 500)}`, network: [] };
  }
}

interface Built {
  name: string;
  file: string;
  bytes: number;
  metafile: Metafile;
}

interface Runtime {
  label: 'node20' | 'node24';
  node: string;
  version: string;
}

interface InitFigure {
  ms: number;
  p90Ms: number;
  importMs: number;
  runs: number;
}

/** The Nodes to measure under: this one (20, the development Node) and the Lambda runtime's (24). */
function runtimes(): { list: Runtime[]; missing?: string } {
  const list: Runtime[] = [{ label: 'node20', node: process.execPath, version: process.version }];
  try {
    const lambda = lambdaNode(24);
    list.push({ label: 'node24', node: lambda.path, version: lambda.version });
    return { list };
  } catch (error) {
    if (!(error instanceof TierCannotRun)) throw error;
    return { list, missing: error.message };
  }
}

async function main() {
  const cdk = cdkBundling();
  if (cdk.drift.length) say(`cold-start: WARNING lib/handler-function.ts no longer shows ${cdk.drift.join(', ')}; the bench's esbuild options may be stale`);
  const outDir = mkdtempSync(path.join(tmpdir(), 'escalation-bench-'));
  try {
    const targets = lambdas();
    say(`cold-start: bundling ${targets.length} functions and their floors with CDK's esbuild options…`);
    const failed: { name: string; role: string; error: string }[] = [];
    // Building is not measured: every bundle is built at once, then each distinct floor.
    const built = await Promise.all(
      targets.map(async (target) => {
        const file = path.join(outDir, target.name, 'index.mjs');
        try {
          const result = await build({ ...cdk.options, entryPoints: [target.entry], outfile: file, absWorkingDir: ROOT });
          return { name: target.name, role: target.role, file, bytes: readFileSync(file).length, metafile: result.metafile!, floor: floorOf(result.metafile!) };
        } catch (error) {
          failed.push({ name: target.name, role: target.role, error: String((error as Error).message).slice(0, 300) });
          return undefined;
        }
      }),
    );
    const functions: (Built & { role: string; floor: Floor })[] = built.filter((fn) => fn !== undefined);
    const distinctFloors = [...new Map(functions.map((fn) => [fn.floor.name, fn.floor])).values()];
    const floors = new Map<string, Built & { floor: Floor }>(
      await Promise.all(
        distinctFloors.map(async (floor) => {
          const floorFile = path.join(outDir, `floor-${floor.name}`, 'index.mjs');
          const floorBuild = await build({
            ...cdk.options,
            stdin: { contents: floorSource(floor), resolveDir: ROOT, sourcefile: `floor-${floor.name}.mjs`, loader: 'js' },
            outfile: floorFile,
            absWorkingDir: ROOT,
          });
          return [floor.name, { name: `floor ${floor.name}`, file: floorFile, bytes: readFileSync(floorFile).length, metafile: floorBuild.metafile!, floor }] as const;
        }),
      ),
    );

    const { list: nodes, missing } = runtimes();
    if (missing) say(`cold-start: WARNING no Node 24 to measure under: ${missing}`);
    const bundles: Built[] = [...floors.values(), ...functions];
    say(`cold-start: ${RUNS} fresh-process imports per bundle and Node (+${WARMUP_RUNS} warm-up), ${bundles.length} bundles round-robin, under ${nodes.map((n) => n.version).join(' and ')}, NODE_OPTIONS="${cdk.nodeOptions}"…`);
    const samples = new Map<string, ProbeResult[]>();
    const errors = new Map<string, string>();
    for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
      for (const runtime of nodes) {
        for (const bundle of bundles) {
          const result = probe(runtime.node, bundle.file, lambdaEnvironment(bundle.name, cdk.nodeOptions));
          if (result.error || result.network.length || result.handlerType !== 'function') {
            errors.set(bundle.name, result.error ?? (result.network.length ? `reached the network at import: ${result.network.join(', ')}` : `exports no handler function (${result.handlerType})`));
          }
          const key = `${runtime.label}|${bundle.name}`;
          if (run >= WARMUP_RUNS) samples.set(key, [...(samples.get(key) ?? []), result]);
        }
      }
    }
    const init = (runtime: Runtime, bundle: Built): InitFigure | undefined => {
      const results = samples.get(`${runtime.label}|${bundle.name}`);
      if (!results || errors.has(bundle.name)) return undefined;
      const total = summarize(results.map((r) => r.totalMs));
      return { ms: round(total.p50), p90Ms: round(total.p90), importMs: round(summarize(results.map((r) => r.importMs)).p50), runs: results.length };
    };

    const rows = functions.map((fn) => {
      const floor = floors.get(fn.floor.name)!;
      const byNode = Object.fromEntries(
        nodes.map((runtime) => {
          const own = init(runtime, fn);
          const base = init(runtime, floor);
          return [runtime.label, { ...own, floorMs: base?.ms, floorImportMs: base?.importMs, ratio: own && base ? round(own.ms / base.ms) : undefined }];
        }),
      ) as Record<Runtime['label'], Partial<InitFigure> & { floorMs?: number; floorImportMs?: number; ratio?: number }>;
      return {
        name: fn.name,
        role: fn.role,
        floor: fn.floor.name,
        bytes: fn.bytes,
        floorBytes: floor.bytes,
        overFloorBytes: fn.bytes - floor.bytes,
        added: addedOverFloor(fn.metafile, floor.metafile).slice(0, 6),
        init: byNode,
        initRatio: Object.fromEntries(Object.entries(byNode).map(([label, figure]) => [label, figure.ratio])),
        ...((errors.get(fn.name) ?? errors.get(floor.name)) && { error: errors.get(fn.name) ?? `its floor: ${errors.get(floor.name)}` }),
      };
    });

    const show = (label: Runtime['label'], row: (typeof rows)[number]) => [row.init[label]?.floorMs, row.init[label]?.ms, row.init[label]?.ratio];
    printTable(
      `Bundles and init against each function's floor (minified ESM as CDK builds it; init = fresh process start → handler imported, median of ${RUNS})`,
      ['function', 'floor (its SDK clients)', 'floor KiB', 'KiB', '+ KiB', 'largest additions (KiB)', ...nodes.flatMap((n) => [`${n.label} floor ms`, `${n.label} ms`, '÷ floor'])],
      rows.map((row) => [
        row.name,
        row.floor,
        kb(row.floorBytes),
        kb(row.bytes),
        kb(row.overFloorBytes),
        row.added.slice(0, 3).map((entry) => `${entry.name} ${kb(entry.bytes)}`).join(', '),
        ...nodes.flatMap((n) => show(n.label, row)),
      ]),
      `Floors: the function's own SDK clients made at module load (the DynamoDB one in the document client), a handler sending one command through each, and for mail the MIME parser; "+ KiB" and "÷ floor" are what this repository adds. Node versions: ${nodes.map((n) => `${n.label} = ${n.version}`).join(', ')}.`,
    );
    for (const [name, error] of errors) say(`cold-start: ${name}: ${error}`);
    for (const row of failed) say(`cold-start: ${row.name} did not build: ${row.error}`);

    emitResult('cold-start', {
      runs: RUNS,
      nodes: Object.fromEntries(nodes.map((n) => [n.label, n.version])),
      ...(missing && { node24Missing: missing }),
      nodeOptions: cdk.nodeOptions,
      optionsDrift: cdk.drift,
      floors: [...floors.values()].map((floor) => ({
        name: floor.floor.name,
        clients: floor.floor.clients,
        mime: floor.floor.mime,
        bytes: floor.bytes,
        init: Object.fromEntries(nodes.map((n) => [n.label, init(n, floor)])),
      })),
      functions: [...rows, ...failed.map((row) => ({ ...row, bytes: NaN }))],
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
