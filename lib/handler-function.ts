import path from 'node:path';
import { Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
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
  /** @default 10 seconds: enough for a request; batch work (the daily sweep) asks for more. */
  timeout?: Duration;
}

/** The escalation workflow as its callers address it: by ARN strings built from its fixed name. */
export interface WorkflowAddress {
  readonly stateMachineArn: string;
  /** `...:execution:<state machine name>:*`: every execution of this state machine, none of another. */
  readonly executionsArn: string;
}

/** Who the emails come from, and the SES resources (identities, templates) a sender may use. */
export interface MailSender {
  readonly senderEmail: string;
  readonly sendingResourceArns: readonly string[];
}

/** Exactly the calls functions/adapters/sfn-workflow.ts makes. */
export const WORKFLOW_START_ACTIONS = ['states:StartExecution'];
export const WORKFLOW_EXECUTION_ACTIONS = ['states:DescribeExecution', 'states:StopExecution'];
/** SES v2 SendEmail, simple or templated, is authorized by this one action (functions/adapters/ses-mailer.ts). */
export const SEND_EMAIL_ACTIONS = ['ses:SendEmail'];

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
      timeout: props.timeout ?? Duration.seconds(10),
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

  /**
   * Lets the handler start, inspect and stop escalation workflows, and tells it the state
   * machine's ARN in the same step. The ARN is a string built from the fixed name, not a
   * reference, so the task Lambdas the state machine calls may use it without a cycle.
   */
  useWorkflow(workflow: WorkflowAddress): void {
    this.function.addEnvironment('STATE_MACHINE_ARN', workflow.stateMachineArn);
    this.function.addToRolePolicy(new PolicyStatement({ actions: WORKFLOW_START_ACTIONS, resources: [workflow.stateMachineArn] }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: WORKFLOW_EXECUTION_ACTIONS, resources: [workflow.executionsArn] }));

    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, workflow.executionsArn)}]`,
      reason: 'Execution names are "<caseId>-g<generation>", made at run time; "execution:<this state machine>:*" covers the executions of this one state machine only.',
    });
  }

  /** Lets the handler send SES email from the sender identity with the deployed templates, and tells it the From address. */
  useMailer(mailer: MailSender): void {
    this.function.addEnvironment('SENDER_EMAIL', mailer.senderEmail);
    this.function.addToRolePolicy(new PolicyStatement({ actions: SEND_EMAIL_ACTIONS, resources: [...mailer.sendingResourceArns] }));
  }
}

/** How cdk-nag names a resource in a finding: tokens such as the region become `<AWS::Region>`. */
function nagResource(scope: Construct, arn: string): string {
  const resolved = Stack.of(scope).resolve(arn) as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof resolved === 'string') return resolved;
  return resolved['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      if (ref) return `<${ref}>`;
      throw new Error(`cannot name ARN part ${JSON.stringify(part)} the way cdk-nag does`);
    })
    .join(resolved['Fn::Join'][0]);
}
