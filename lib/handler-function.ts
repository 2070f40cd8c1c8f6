import path from 'node:path';
import { ArnFormat, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { ASYNC_MAX_EVENT_AGE, ASYNC_RETRY_ATTEMPTS, DLQ_RETENTION, settingsOf, type FunctionSettings } from './function-settings';
import type { PlaybookBundle } from './playbook-bundle';
import { TABLE_ACCESS } from './table-access';

/** The DynamoDB actions the repository (functions/adapters/dynamodb-repository.ts) takes. */
export type TableAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem';

/** What a handler may do with the table (lib/table-access.ts says it for each). */
export interface TableAccess {
  /** Authorized on the table's ARN: item reads and writes (a transaction needs its items' actions), queries of the table's own key. */
  readonly table: readonly TableAction[];
  /** Authorized on its indexes' ARNs (`<table>/index/*`): queries of the indexes in TABLE_DESIGN. */
  readonly indexes?: readonly TableAction[];
}

export interface HandlerFunctionProps {
  /** File name (without .ts) in functions/handlers; its memory, timeout and invocation come from FUNCTION_SETTINGS. */
  handler: string;
  projectRoot: string;
  playbook: PlaybookBundle;
}

/** The escalation workflow as its callers address it: by ARN strings built from its fixed name. */
export interface WorkflowAddress {
  readonly stateMachineArn: string;
  /** `...:execution:<state machine name>:*`: every execution of this state machine, none of another. */
  readonly executionsArn: string;
}

/** Who the emails come from, how they are sent, and the SES resources a sender may use. */
export interface MailSender {
  readonly senderEmail: string;
  /** Every send names it, so SES reports bounces and complaints through its event destination. */
  readonly configurationSetName: string;
  /** SES template names are account-wide: this stage's templates are deployed as `<prefix><name>`. */
  readonly templatePrefix: string;
  /** Customer emails get a Reply-To plus-address of it (only when inbound email is configured). */
  readonly inboundAddress?: string;
  readonly sendingResourceArns: readonly string[];
  /** The identity ARN the sender sends under, when it is not the address or its domain (a parent domain, another account's). */
  readonly senderIdentityArn?: string;
  /** In the SES sandbox: every identity of the account, which SES also checks each recipient against. */
  readonly sandboxRecipientsArn?: string;
}

/** The survey links in follow-up emails: HMAC-signed with a key from Secrets Manager, pointing at the API. */
export interface SurveyLinkKey {
  readonly signingKey: ISecret;
  /** Base URL of the public satisfaction endpoint: the deployed API, never a localhost default. */
  readonly publicApiUrl: string;
}

/** Where the SES receipt rule's S3 action stores raw inbound mail: `<prefix><SES message id>`. */
export interface RawMailLocation {
  readonly bucket: IBucket;
  readonly prefix: string;
}

/**
 * What a handler does with the workflow, and the one call of functions/adapters/sfn-workflow.ts
 * each needs: on the state machine (start, list) or on its executions (stop, describe).
 */
export const WORKFLOW_OPERATIONS = {
  start: { action: 'states:StartExecution', on: 'stateMachine' },
  list: { action: 'states:ListExecutions', on: 'stateMachine' },
  stop: { action: 'states:StopExecution', on: 'executions' },
  describe: { action: 'states:DescribeExecution', on: 'executions' },
} as const;
export type WorkflowOperation = keyof typeof WORKFLOW_OPERATIONS;
/** SES v2 SendEmail, simple or templated, is authorized by this one action (functions/adapters/ses-mailer.ts). */
export const SEND_EMAIL_ACTIONS = ['ses:SendEmail'];
/** functions/adapters/container.ts reads the survey key with GetSecretValue, nothing else. */
export const READ_SECRET_ACTIONS = ['secretsmanager:GetSecretValue'];
/** functions/adapters/s3-raw-mail-store.ts: GetObject of one key. */
export const READ_RAW_MAIL_ACTIONS = ['s3:GetObject'];
/** What an erasure does to the raw inbound mail of an account's cases. */
export const ERASE_RAW_MAIL_ACTIONS = ['s3:DeleteObject'];

// esbuild's ESM output has no `require`; some bundled CommonJS code (the AWS SDK's deps) calls it.
const ESM_REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * The Lambda runtime of every handler. The esbuild target below and the Node that the
 * artifact tier (tests/artifacts) runs the bundles under follow it: change all three together.
 */
export const LAMBDA_RUNTIME = Runtime.NODEJS_24_X;

/** How every handler is bundled: by the local esbuild (no Docker), as minified ESM with source maps. */
export const BUNDLING = {
  format: OutputFormat.ESM,
  // esbuild 0.25 compares the version with its feature table; what it does not yet record for
  // node24 (such as `using`) it lowers, so the output is valid Node 24, never ahead of it.
  target: 'node24',
  // Prefer the packages' ESM builds so esbuild can drop unused SDK code.
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  // The map keeps the mappings, not a copy of every source: stack traces still name the
  // TypeScript file and line (NODE_OPTIONS=--enable-source-maps), and Node no longer reads the
  // sources in at init: about 25 ms off each cold start, and the map 1.6 MB smaller (docs/performance.md).
  sourcesContent: false,
  banner: ESM_REQUIRE_SHIM,
  // Bundle the AWS SDK v3 too: the version we test is the version we run.
  externalModules: [],
  forceDockerBundling: false,
} satisfies BundlingOptions;

/**
 * One Lambda running one file of functions/handlers, bundled locally with esbuild. Each
 * `use...` method sets the environment variables a capability needs together with its IAM
 * grant, so a function never has one without the other.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly handler: string;
  readonly settings: FunctionSettings;
  /** Asynchronous and stream functions only: where an event (or a failed batch's description) lands after its retries. */
  readonly deadLetterQueue?: Queue;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.handler = props.handler;
    this.settings = settingsOf(props.handler);
    // An explicit group, so retention is ours and not "never expire".
    const logGroup = new LogGroup(this, 'Logs', { retention: RetentionDays.ONE_MONTH });
    // Our own role instead of AWSLambdaBasicExecutionRole: it may write to this one log group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    if (this.settings.invocation !== 'sync') {
      this.deadLetterQueue = new Queue(this, 'DeadLetters', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: DLQ_RETENTION,
      });
      if (this.settings.invocation === 'stream') {
        Validations.of(this.deadLetterQueue).acknowledge({
          id: 'AwsSolutions-SQS3',
          reason: "This queue is the on-failure destination of the function's stream event source mapping (cdk-nag only recognises redrive and Lambda DeadLetterConfig): it is the end of the line for failed batches, and an alarm watches it.",
        });
      }
    }

    this.function = new NodejsFunction(this, 'Function', {
      description: `${props.handler}: ${this.settings.why}`.slice(0, 256),
      entry: path.join(props.projectRoot, 'functions', 'handlers', `${props.handler}.ts`),
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, 'package-lock.json'),
      runtime: LAMBDA_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: this.settings.memorySize,
      timeout: this.settings.timeout,
      tracing: Tracing.ACTIVE,
      role,
      logGroup,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.playbook.environment },
      ...(this.settings.invocation === 'async' && { deadLetterQueue: this.deadLetterQueue, retryAttempts: ASYNC_RETRY_ATTEMPTS, maxEventAge: ASYNC_MAX_EVENT_AGE }),
      bundling: {
        ...BUNDLING,
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
        reason: 'nodejs24.x is pinned on purpose: the esbuild target (node24) and the Node 24 the artifact tier (npm run test:artifacts) runs every bundle under match it. Moving to a newer runtime is a deliberate, tested change, not a side effect of a CDK upgrade.',
      },
    );
  }

  /**
   * Grants the table as TABLE_ACCESS says for this handler and tells the handler its name, in
   * one step, so neither can be forgotten: item actions on the table, queries on its indexes.
   */
  useTable(table: Table): void {
    const access = TABLE_ACCESS[this.handler];
    if (!access) throw new Error(`${this.handler} has no entry in TABLE_ACCESS (lib/table-access.ts): say what it does with the table`);
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    const dynamo = (actions: readonly TableAction[]) => actions.map((action) => `dynamodb:${action}`);
    if (access.table.length) this.function.addToRolePolicy(new PolicyStatement({ actions: dynamo(access.table), resources: [table.tableArn] }));
    if (access.indexes?.length) {
      this.function.addToRolePolicy(new PolicyStatement({ actions: dynamo(access.indexes), resources: [`${table.tableArn}/index/*`] }));
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(table)}.Arn>/index/*]`,
        reason: 'Lists query the table\'s own GSIs (one per access pattern in TABLE_DESIGN); "<table ARN>/index/*" covers exactly this table\'s indexes and nothing else.',
      });
    }
  }

  /**
   * Lets the handler do these operations on escalation workflows, and tells it the state
   * machine's ARN in the same step. The ARN is a string built from the fixed name, not a
   * reference, so the task Lambdas the state machine calls may use it without a cycle.
   */
  useWorkflow(workflow: WorkflowAddress, operations: readonly WorkflowOperation[]): void {
    this.function.addEnvironment('STATE_MACHINE_ARN', workflow.stateMachineArn);
    const actionsOn = (on: 'stateMachine' | 'executions') => operations.map((operation) => WORKFLOW_OPERATIONS[operation]).filter((grant) => grant.on === on).map((grant) => grant.action);
    const onStateMachine = actionsOn('stateMachine');
    const onExecutions = actionsOn('executions');
    if (onStateMachine.length) this.function.addToRolePolicy(new PolicyStatement({ actions: onStateMachine, resources: [workflow.stateMachineArn] }));
    if (onExecutions.length) {
      this.function.addToRolePolicy(new PolicyStatement({ actions: onExecutions, resources: [workflow.executionsArn] }));
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, workflow.executionsArn)}]`,
        reason: 'Execution names are "<caseId>-g<generation>", made at run time; "execution:<this state machine>:*" covers the executions of this one state machine only.',
      });
    }
  }

  /**
   * Lets the handler send SES email from the sender identity with this stage's templates and
   * configuration set, and tells it the From address, the set, the template prefix and (when
   * inbound mail is configured) the address customers reply to.
   */
  useMailer(mailer: MailSender): void {
    this.function.addEnvironment('SENDER_EMAIL', mailer.senderEmail);
    this.function.addEnvironment('SES_CONFIGURATION_SET', mailer.configurationSetName);
    this.function.addEnvironment('SES_TEMPLATE_PREFIX', mailer.templatePrefix);
    if (mailer.inboundAddress) this.function.addEnvironment('INBOUND_ADDRESS', mailer.inboundAddress);
    if (mailer.senderIdentityArn) this.function.addEnvironment('SES_FROM_IDENTITY_ARN', mailer.senderIdentityArn);
    // The domain identity would let the role send as any address of the domain: the condition keeps it to the sender.
    const fromSender = { StringEquals: { 'ses:FromAddress': mailer.senderEmail } };
    this.function.addToRolePolicy(new PolicyStatement({ actions: SEND_EMAIL_ACTIONS, resources: [...mailer.sendingResourceArns], conditions: fromSender }));
    if (mailer.sandboxRecipientsArn) {
      // In the sandbox SES authorizes each recipient's identity too; still only from the sender.
      this.function.addToRolePolicy(new PolicyStatement({ actions: SEND_EMAIL_ACTIONS, resources: [mailer.sandboxRecipientsArn], conditions: fromSender }));
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, mailer.sandboxRecipientsArn)}]`,
        reason: 'Only while the account\'s SES is in the sandbox (stage setting sesSandbox): SES then authorizes each send against every recipient\'s identity, which are any of the account\'s verified identities; the ses:FromAddress condition still keeps every send to the one sender.',
      });
    }
  }

  /**
   * Lets the handler read the survey signing key (never the key itself in the environment:
   * its ARN) and tells it the public base URL the signed links point at.
   */
  useSurveyLinks(survey: SurveyLinkKey): void {
    this.function.addEnvironment('SURVEY_SIGNING_KEY_SECRET_ARN', survey.signingKey.secretArn);
    this.function.addEnvironment('PUBLIC_API_URL', survey.publicApiUrl);
    this.function.addToRolePolicy(new PolicyStatement({ actions: READ_SECRET_ACTIONS, resources: [survey.signingKey.secretArn] }));
  }

  /**
   * Lets the handler read the chat channels' secrets (incoming-webhook URLs) by name, and tells it
   * the API's URL, where a message links to the case when the playbook has no caseLink. A secret
   * read by name is authorized on its ARN, which ends in "-" and six random characters.
   */
  useChat(secretNames: readonly string[], publicApiUrl: string): void {
    this.function.addEnvironment('PUBLIC_API_URL', publicApiUrl);
    const stack = Stack.of(this);
    const resources = secretNames.map((name) => stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${name}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: READ_SECRET_ACTIONS, resources }));
  }

  /** Lets the handler put events on the stack's bus, and tells it the bus's name, in one step. */
  usePublisher(bus: IEventBus): void {
    this.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [bus.eventBusArn] }));
  }

  /** Lets the handler read the raw inbound messages under the receipt rule's prefix, and tells it where they are. */
  useRawMail(location: RawMailLocation): void {
    this.useRawMailObjects(location, READ_RAW_MAIL_ACTIONS, 'Object keys are "<prefix><SES message id>", known only when a message arrives; the grant is GetObject under the receipt rule\'s prefix of this one bucket.');
  }

  /** Lets the handler delete raw inbound messages under the receipt rule's prefix (an account's erasure), and tells it where they are. */
  useRawMailErasure(location: RawMailLocation): void {
    this.useRawMailObjects(location, ERASE_RAW_MAIL_ACTIONS, 'An erasure deletes the messages of the account\'s cases, keys "<prefix><SES message id>" read from their timelines; the grant is DeleteObject under the receipt rule\'s prefix of this one bucket.');
  }

  /** The bucket and prefix in the environment, the actions on the prefix's objects, and why cdk-nag's wildcard finding is acknowledged. */
  private useRawMailObjects(location: RawMailLocation, actions: string[], reason: string): void {
    this.function.addEnvironment('INBOUND_BUCKET', location.bucket.bucketName);
    this.function.addEnvironment('INBOUND_PREFIX', location.prefix);
    this.function.addToRolePolicy(new PolicyStatement({ actions, resources: [location.bucket.arnForObjects(`${location.prefix}*`)] }));
    Validations.of(this).acknowledge({ id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(location.bucket)}.Arn>/${location.prefix}*]`, reason });
  }
}

/** The logical ID CloudFormation (and cdk-nag) sees for an L2 construct's main resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
}

/** How cdk-nag names a resource in a finding: tokens such as the region become `<AWS::Region>`. */
export function nagResource(scope: Construct, arn: string): string {
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
