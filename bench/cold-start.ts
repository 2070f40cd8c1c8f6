/**
 * Cold start: every Lambda's bundle built as CDK builds it (esbuild with the options of
 * lib/handler-function.ts), its size, what dominates it (esbuild's metafile), and its
 * init time: a fresh Node process importing the bundle with the Lambda's environment,
 * median of many runs, against a hello-world bundle built the same way.
 *
 *   npx tsx bench/cold-start.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { HANDLERS } from '../functions/http/routes';
import { WORKFLOW_TASKS } from '../functions/workflow/definition';
import { emitResult, kb, printTable, say } from './lib/report';
import { round, summarize } from './lib/stats';

const ROOT = path.resolve(import.meta.dirname, '..');
const RUNS = Number(process.env.BENCH_INIT_RUNS ?? 13);
const WARMUP_RUNS = 2;
const HANDLER_DIR = path.join(ROOT, 'functions', 'handlers');
const HELLO = path.join(ROOT, 'bench', 'fixtures', 'hello-world.ts');
const PROBE = path.join(ROOT, 'bench', 'lib', 'init-probe.mjs');

/**
 * The bundling options of lib/handler-function.ts (NodejsFunction → esbuild CLI flags
 * --bundle --platform=node --target=node24 --format=esm --minify --sourcemap
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
  return {
    options: {
      bundle: true,
      platform: 'node',
      target: target ?? `node${runtimeMajor ?? 24}`,
      format: 'esm',
      minify: true,
      sourcemap: true,
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

/**
 * What-if (measured, not the code as it is): the same source with `import { z } from 'zod'`
 * rewritten to `import * as z from 'zod'`. The named import binds zod's whole namespace
 * object, so every locale it re-exports is bundled; the namespace import lets esbuild keep
 * only what is used.
 */
const zodNamespaceImport: Plugin = {
  name: 'what-if-zod-namespace-import',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]functions[\\/].*\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/import \{ z \} from 'zod';/g, "import * as z from 'zod';"),
      loader: 'ts',
    }));
  },
};

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

/** node_modules/@scope/name/… → "@scope/name"; project files → their top directory. */
function packageOf(input: string): string {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match) return match[1]!;
  return `${input.split('/')[0]}/ (this repo)`;
}

const SDK_FAMILY = /^@(aws-sdk|smithy|aws-crypto)\//;

interface Attribution {
  topPackages: { name: string; bytes: number; share: number }[];
  awsSdkBytes: number;
  awsSdkShare: number;
  sdkClients: string[];
}

function attribute(metafile: Metafile, outfile: string): Attribution {
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith(path.basename(outfile)))?.[1];
  if (!output) throw new Error(`no ${outfile} in the metafile`);
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const total = [...byPackage.values()].reduce((sum, bytes) => sum + bytes, 0);
  const sorted = [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
  const awsSdkBytes = sorted.filter(([name]) => SDK_FAMILY.test(name)).reduce((sum, [, bytes]) => sum + bytes, 0);
  return {
    topPackages: sorted.slice(0, 10).map(([name, bytes]) => ({ name, bytes, share: round(bytes / total, 3) })),
    awsSdkBytes,
    awsSdkShare: round(awsSdkBytes / total, 3),
    sdkClients: sorted.map(([name]) => name).filter((name) => name.startsWith('@aws-sdk/client-')),
  };
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

function probe(bundle: string, env: NodeJS.ProcessEnv): ProbeResult {
  const child = spawnSync(process.execPath, [PROBE, bundle], { env, encoding: 'utf8', timeout: 30_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    return { bootMs: NaN, importMs: NaN, totalMs: NaN, error: `probe failed (exit ${child.status}): ${child.stderr.trim().slice(0, 500)}`, network: [] };
  }
}

interface Row {
  name: string;
  role: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  zodNamespaceBytes?: number;
  zodNamespaceSdkExternalBytes?: number;
  attribution?: Attribution;
  init?: { totalMs: number; importMs: number; bootMs: number; runs: number; p90TotalMs: number };
  error?: string;
}

async function main() {
  const cdk = cdkBundling();
  if (cdk.drift.length) say(`cold-start: WARNING lib/handler-function.ts no longer shows ${cdk.drift.join(', ')}; the bench's esbuild options may be stale`);
  const outDir = mkdtempSync(path.join(tmpdir(), 'escalation-bench-'));
  try {
    const targets: Lambda[] = [{ name: 'hello-world', role: 'baseline', entry: HELLO }, ...lambdas()];
    const rows: Row[] = [];
    say(`cold-start: bundling ${targets.length} functions with CDK's esbuild options…`);
    for (const target of targets) {
      const outfile = path.join(outDir, target.name, 'index.mjs');
      try {
        const result = await build({ ...cdk.options, entryPoints: [target.entry], outfile, absWorkingDir: ROOT });
        // What-ifs (sizes only): zod imported as a namespace; and that plus the AWS SDK taken
        // from the Lambda runtime instead of bundled (not the design: see docs/performance.md).
        const whatIf = async (label: string, extra: BuildOptions) => {
          const other = await build({ ...cdk.options, entryPoints: [target.entry], outfile: path.join(outDir, `${target.name}-${label}`, 'index.mjs'), absWorkingDir: ROOT, plugins: [zodNamespaceImport], ...extra });
          return Object.entries(other.metafile!.outputs).find(([file]) => file.endsWith('index.mjs'))![1].bytes;
        };
        const code = readFileSync(outfile);
        rows.push({
          name: target.name,
          role: target.role,
          bytes: code.length,
          gzipBytes: gzipSync(code).length,
          mapBytes: statSync(`${outfile}.map`).size,
          zodNamespaceBytes: await whatIf('zod-namespace', {}),
          zodNamespaceSdkExternalBytes: await whatIf('zod-namespace-sdk-external', { external: ['@aws-sdk/*', '@smithy/*'] }),
          attribution: attribute(result.metafile!, outfile),
        });
      } catch (error) {
        rows.push({ name: target.name, role: target.role, bytes: NaN, gzipBytes: NaN, mapBytes: NaN, error: String((error as Error).message).slice(0, 300) });
      }
    }

    const built = rows.filter((row) => !row.error);
    say(`cold-start: ${RUNS} fresh-process imports per bundle (+${WARMUP_RUNS} warm-up), round-robin, NODE_OPTIONS="${cdk.nodeOptions}"…`);
    const samples = new Map<string, ProbeResult[]>(built.map((row) => [row.name, []]));
    for (let run = 0; run < WARMUP_RUNS + RUNS; run++) {
      for (const row of built) {
        const result = probe(path.join(outDir, row.name, 'index.mjs'), lambdaEnvironment(row.name, cdk.nodeOptions));
        if (result.error || result.network.length || result.handlerType !== 'function') {
          row.error = result.error ?? (result.network.length ? `reached the network at import: ${result.network.join(', ')}` : `exports no handler function (${result.handlerType})`);
        }
        if (run >= WARMUP_RUNS) samples.get(row.name)!.push(result);
      }
    }
    for (const row of built) {
      if (row.error) continue;
      const results = samples.get(row.name)!;
      const total = summarize(results.map((r) => r.totalMs));
      row.init = {
        totalMs: round(total.p50),
        p90TotalMs: round(total.p90),
        importMs: round(summarize(results.map((r) => r.importMs)).p50),
        bootMs: round(summarize(results.map((r) => r.bootMs)).p50),
        runs: results.length,
      };
    }

    const hello = rows.find((row) => row.name === 'hello-world')!;
    const functions = rows.filter((row) => row !== hello);
    const ratio = (row: Row) => (row.init && hello.init ? round(row.init.totalMs / hello.init.totalMs) : undefined);
    const importRatio = (row: Row) => (row.init && hello.init ? round(row.init.importMs / Math.max(hello.init.importMs, 0.01), 1) : undefined);
    const top = (row: Row) => row.attribution?.topPackages[0];
    printTable(
      `Lambda bundles (minified ESM as CDK builds them) and init time: fresh Node ${process.version} process, median of ${RUNS}`,
      ['function', 'role', 'KiB', 'gzip KiB', 'map KiB', 'init ms', '× hello', 'import ms', 'AWS SDK share', 'largest package', 'its share', 'KiB if zod ns', '…and SDK external'],
      rows.map((row) => [
        row.name,
        row.role,
        kb(row.bytes),
        kb(row.gzipBytes),
        kb(row.mapBytes),
        row.init?.totalMs,
        row === hello ? 1 : ratio(row),
        row.init?.importMs,
        row.attribution ? `${Math.round(row.attribution.awsSdkShare * 100)}%` : row.error,
        top(row)?.name,
        top(row) ? `${Math.round(top(row)!.share * 100)}%` : undefined,
        row.zodNamespaceBytes === undefined ? undefined : kb(row.zodNamespaceBytes),
        row.zodNamespaceSdkExternalBytes === undefined ? undefined : kb(row.zodNamespaceSdkExternalBytes),
      ]),
      'init ms = process start → handler module imported (Node bootstrap + module load and top-level code: SDK clients, config, playbook), the part of Lambda INIT a bundle controls plus the runtime start it cannot. ' +
        'import ms = the module load alone. AWS SDK share = @aws-sdk/* + @smithy/* + @aws-crypto/* bytes in the output. ' +
        'The last two columns are what-ifs, measured on rewritten builds: `import * as z from "zod"` instead of `import { z }`, and that with the AWS SDK left to the Lambda runtime.',
    );
    const example = functions.find((row) => row.name === 'get-escalation' && row.attribution) ?? functions.find((row) => row.attribution);
    if (example?.attribution) {
      printTable(
        `What a typical bundle is made of: ${example.name} (${kb(example.bytes)} KiB), largest inputs by package (esbuild metafile)`,
        ['package', 'KiB', 'share'],
        [
          ...example.attribution.topPackages.map((p) => [p.name, kb(p.bytes), `${Math.round(p.share * 1000) / 10}%`]),
          ['AWS SDK v3 in total (@aws-sdk/*, @smithy/*, @aws-crypto/*)', kb(example.attribution.awsSdkBytes), `${Math.round(example.attribution.awsSdkShare * 1000) / 10}%`],
        ],
      );
    }
    const clientSets = new Map<string, string[]>();
    for (const row of functions) {
      const key = row.attribution?.sdkClients.join(', ') || '(none)';
      clientSets.set(key, [...(clientSets.get(key) ?? []), row.name]);
    }
    printTable('AWS SDK clients inside each bundle', ['clients bundled', 'functions'], [...clientSets.entries()].map(([clients, names]) => [clients, names.join(', ')]));
    for (const row of rows.filter((r) => r.error)) say(`cold-start: ${row.name}: ${row.error}`);

    emitResult('cold-start', {
      node: process.version,
      runs: RUNS,
      nodeOptions: cdk.nodeOptions,
      lambdaMemoryMB: cdk.memoryMB,
      optionsDrift: cdk.drift,
      helloWorld: { bytes: hello.bytes, init: hello.init },
      functions: functions.map((row) => ({
        name: row.name,
        role: row.role,
        bytes: row.bytes,
        gzipBytes: row.gzipBytes,
        mapBytes: row.mapBytes,
        whatIfBytes: { zodNamespaceImport: row.zodNamespaceBytes, zodNamespaceImportAndSdkExternal: row.zodNamespaceSdkExternalBytes },
        initMs: row.init?.totalMs,
        initP90Ms: row.init?.p90TotalMs,
        importMs: row.init?.importMs,
        initRatio: ratio(row),
        importRatio: importRatio(row),
        awsSdkShare: row.attribution?.awsSdkShare,
        topPackages: row.attribution?.topPackages,
        sdkClients: row.attribution?.sdkClients,
        ...(row.error && { error: row.error }),
      })),
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
