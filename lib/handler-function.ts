import path from 'node:path';
import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { PlaybookBundle } from './playbook-bundle';

export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query'];
export const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'];

/** What a handler may do with the table. */
export type TableAccess = 'none' | 'read' | 'readWrite';

export interface HandlerFunctionProps {
  /** File name (without .ts) in functions/handlers. */
  handler: string;
  projectRoot: string;
  playbook: PlaybookBundle;
}

// esbuild's ESM output has no `require`; some bundled CommonJS code (the AWS SDK's deps) calls it.
const ESM_REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** One Lambda running one file of functions/handlers, bundled locally with esbuild. */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    // An explicit group, so retention is ours and not "never expire".
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this one log group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(props.projectRoot, 'functions', 'handlers', `${props.handler}.ts`),
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.playbook.environment },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        // Prefer the packages' ESM builds so esbuild can drop unused SDK code.
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        banner: ESM_REQUIRE_SHIM,
        // Bundle the AWS SDK v3 too: the version we test is the version we run.
        externalModules: [],
        forceDockerBundling: false,
        ...(props.playbook.commandHooks && { commandHooks: props.playbook.commandHooks }),
      },
    });

    Validations.of(this).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions; "*" is the only valid resource for them.',
      },
      {
        id: 'AwsSolutions-L1',
        reason: 'nodejs22.x is pinned on purpose: the esbuild target (node22) and the tested toolchain match it. Moving to a newer runtime is a deliberate, tested change, not a side effect of a CDK upgrade.',
      },
    );
  }

  /** Grants the table and tells the handler its name in one step, so neither can be forgotten. */
  useTable(table: Table, access: Exclude<TableAccess, 'none'>): void {
    // Exactly the calls the repository makes: no Scan, no deletes, no batch writes.
    table.grant(this.function, ...(access === 'read' ? TABLE_READ_ACTIONS : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]));
    this.function.addEnvironment('TABLE_NAME', table.tableName);

    const tableLogicalId = Stack.of(table).resolve((table.node.defaultChild as CfnElement).logicalId) as string;
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${tableLogicalId}.Arn>/index/*]`,
      reason: 'Lists query the table\'s own GSIs (one per access pattern in TABLE_DESIGN); "<table ARN>/index/*" covers exactly this table\'s indexes and nothing else.',
    });
  }
}
