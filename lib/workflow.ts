import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ScheduleExpression, type Schedule } from 'aws-cdk-lib/aws-scheduler';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { STATE_MACHINE_FILE, WORKFLOW_TASKS } from '../functions/workflow/definition';
import { HandlerFunction, type WorkflowAddress } from './handler-function';
import { scheduleRuns } from './schedule';
import type { PlaybookBundle } from './playbook-bundle';

/** The handler the daily schedule runs: it re-arms any open case whose execution is missing. */
export const RECONCILE_HANDLER = 'reconcile-workflows';
export const RECONCILE_SCHEDULE = ScheduleExpression.rate(Duration.days(1));
/** The handler the execution-status rule invokes: it re-arms the case of a failed, timed-out or stopped execution. */
export const REARM_HANDLER = 'rearm-workflow';
export const REARM_ON_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'];

type TaskVariable = keyof typeof WORKFLOW_TASKS;
type TaskHandler = (typeof WORKFLOW_TASKS)[TaskVariable];

export interface EscalationWorkflowProps {
  /** Goes into the state machine's name, so each stage of one account has its own. */
  stage: string;
  table: Table;
  projectRoot: string;
  playbook: PlaybookBundle;
}

/**
 * One Step Functions execution per escalation generation (DESIGN.md, "The workflow"): the
 * state machine from statemachines/, the Lambdas its tasks call, and the daily sweep.
 *
 * The state machine needs its task Lambdas' ARNs, and some of those Lambdas need the state
 * machine's ARN. To keep CloudFormation free of a reference cycle, the state machine gets a
 * fixed name and everyone else gets its ARN as a string built from that name.
 */
export class EscalationWorkflow extends Construct implements WorkflowAddress {
  readonly stateMachineName: string;
  readonly stateMachineArn: string;
  readonly executionsArn: string;
  readonly stateMachine: StateMachine;
  /** The Lambdas behind the state machine's Task states, by handler name. */
  readonly tasks: ReadonlyMap<TaskHandler, HandlerFunction>;
  readonly reconciler: HandlerFunction;
  readonly reconcileSchedule: Schedule;
  /** Re-arms the case of an execution that failed, timed out or was stopped (EventBridge rule → Lambda). */
  readonly rearm: HandlerFunction;
  readonly rearmRule: Rule;
  readonly failedExecutionsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: EscalationWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachineName = `escalation-workflow-${props.stage}`;
    this.stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: this.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const handlerFunction = (handler: string) => {
      const fn = new HandlerFunction(this, `Handler-${handler}`, { handler, projectRoot: props.projectRoot, playbook: props.playbook });
      fn.useTable(props.table);
      return fn;
    };

    // What each task does beyond the table (functions/usecases/deadlines.ts).
    // Past MAX_ITERATIONS_PER_EXECUTION loops a task moves the case to a new generation; the
    // table's stream starts it, so neither task starts executions itself.
    const reviewDeadlines = handlerFunction(WORKFLOW_TASKS.ReviewDeadlinesFunctionArn);
    // Acts on a deadline; the emails it owes leave through the outbox (the follow-up carries
    // signed survey links: the stack adds the signing key once the API's URL exists).
    const actOnDeadline = handlerFunction(WORKFLOW_TASKS.ActOnDeadlineFunctionArn);
    const recordFailure = handlerFunction(WORKFLOW_TASKS.RecordWorkflowFailureFunctionArn);
    this.tasks = new Map<TaskHandler, HandlerFunction>([
      [WORKFLOW_TASKS.ReviewDeadlinesFunctionArn, reviewDeadlines],
      [WORKFLOW_TASKS.ActOnDeadlineFunctionArn, actOnDeadline],
      [WORKFLOW_TASKS.RecordWorkflowFailureFunctionArn, recordFailure],
    ]);

    // Lists the running executions once, pages through every open case, starts or re-arms any without one.
    this.reconciler = handlerFunction(RECONCILE_HANDLER);
    this.reconciler.useWorkflow(this, ['start', 'list', 'describe']);

    this.stateMachine = this.buildStateMachine(props.projectRoot);

    this.reconcileSchedule = scheduleRuns(this, 'DailyReconciliation', this.reconciler, {
      schedule: RECONCILE_SCHEDULE,
      description: 'Starts or re-arms any open escalation whose workflow execution is missing: the last line behind the stream and the re-arm on failed executions.',
      // The sweep is idempotent; a few delivery retries within the hour, then the DLQ (alarmed)
      // and tomorrow's run. Once delivered, Lambda's own async retries and DLQ take over.
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    });

    // A failed, timed-out or stopped execution re-arms its case within minutes (the daily
    // sweep stays the last line). Step Functions sends every status change to EventBridge.
    this.rearm = handlerFunction(REARM_HANDLER);
    this.rearmRule = new Rule(this, 'ExecutionEnded', {
      description: `An execution of ${this.stateMachineName} failed, timed out or was stopped: re-arm its case if it still has deadlines pending.`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachineArn], status: REARM_ON_STATUSES },
      },
      targets: [new LambdaFunction(this.rearm.function, { retryAttempts: 4, maxEventAge: Duration.hours(2), ...(this.rearm.deadLetterQueue && { deadLetterQueue: this.rearm.deadLetterQueue }) })],
    });

    this.failedExecutionsAlarm = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription: `An execution of ${this.stateMachineName} failed: a deadline task failed after its retries (see the case timeline). The case is re-armed in a new generation within minutes (docs/operations.md).`,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private buildStateMachine(projectRoot: string): StateMachine {
    const definition = readFileSync(path.join(projectRoot, STATE_MACHINE_FILE), 'utf8');
    assertSubstitutionsMatch(definition);
    const taskArns = Object.fromEntries(
      Object.entries(WORKFLOW_TASKS).map(([variable, handler]) => [variable, this.tasks.get(handler)!.function.functionArn]),
    );

    // vendedlogs/: Step Functions log delivery needs no per-group resource policy under this prefix.
    const logGroup = new LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${this.stateMachineName}`,
      retention: RetentionDays.ONE_MONTH,
      // A fixed name: a retained group would make the next deploy of this stage fail ("already exists").
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: this.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      // fromString, not fromFile: the definition stays inline in the template (no S3 asset).
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: taskArns,
      tracingEnabled: true,
      // Every state transition, for following a case's deadlines; without inputs and outputs,
      // which carry case data (failure causes may quote it). Execution history keeps those.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    // The ASL calls the unqualified function ARNs, so no ":*" (versions, aliases) is needed.
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(taskArns) }));

    Validations.of(stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (xray:PutTraceSegments, xray:GetSamplingRules, ...) and CloudWatch Logs delivery (logs:CreateLogDelivery, logs:DescribeResourcePolicies, ...) support no resource-level permissions; "*" is the only valid resource for them.',
    });
    return stateMachine;
  }
}

/** The ASL's `${...}` variables must be exactly the WORKFLOW_TASKS keys: a typo would deploy a broken Task. */
function assertSubstitutionsMatch(definition: string) {
  const used = new Set([...definition.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]!));
  const known = new Set(Object.keys(WORKFLOW_TASKS));
  const unknown = [...used].filter((variable) => !known.has(variable));
  const unused = [...known].filter((variable) => !used.has(variable));
  if (unknown.length || unused.length) {
    throw new Error(
      `${STATE_MACHINE_FILE} and WORKFLOW_TASKS disagree: ` +
        [unknown.length && `not in WORKFLOW_TASKS: ${unknown.join(', ')}`, unused.length && `not in the ASL: ${unused.join(', ')}`].filter(Boolean).join('; '),
    );
  }
}
