import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { STATE_MACHINE_FILE, WORKFLOW_TASKS } from '../functions/workflow/definition';
import { HandlerFunction, type MailSender, type WorkflowAddress } from './handler-function';
import type { PlaybookBundle } from './playbook-bundle';

/** The handler the daily schedule runs: it re-arms any open case whose execution is missing. */
export const RECONCILE_HANDLER = 'reconcile-workflows';
export const RECONCILE_SCHEDULE = ScheduleExpression.rate(Duration.days(1));

type TaskVariable = keyof typeof WORKFLOW_TASKS;
type TaskHandler = (typeof WORKFLOW_TASKS)[TaskVariable];

export interface EscalationWorkflowProps {
  /** Goes into the state machine's name, so each stage of one account has its own. */
  stage: string;
  table: Table;
  mailer: MailSender;
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
      fn.useTable(props.table, 'readWrite');
      return fn;
    };

    // What each task does beyond the table (functions/usecases/deadlines.ts).
    // Past MAX_ITERATIONS_PER_EXECUTION loops a task moves the case to a new generation; the
    // table's stream starts it, so neither task starts executions itself.
    const reviewDeadlines = handlerFunction(WORKFLOW_TASKS.ReviewDeadlinesFunctionArn);
    // Acts on a deadline, then sends every email the case owes (the follow-up with signed
    // survey links: the stack adds the signing key once the API's URL exists).
    const actOnDeadline = handlerFunction(WORKFLOW_TASKS.ActOnDeadlineFunctionArn);
    actOnDeadline.useMailer(props.mailer);
    const recordFailure = handlerFunction(WORKFLOW_TASKS.RecordWorkflowFailureFunctionArn);
    this.tasks = new Map<TaskHandler, HandlerFunction>([
      [WORKFLOW_TASKS.ReviewDeadlinesFunctionArn, reviewDeadlines],
      [WORKFLOW_TASKS.ActOnDeadlineFunctionArn, actOnDeadline],
      [WORKFLOW_TASKS.RecordWorkflowFailureFunctionArn, recordFailure],
    ]);

    // Lists the running executions once, pages through every open case, re-arms any without one, sends what is still owed.
    this.reconciler = handlerFunction(RECONCILE_HANDLER);
    this.reconciler.useWorkflow(this);
    this.reconciler.useMailer(props.mailer);

    this.stateMachine = this.buildStateMachine(props.projectRoot);

    this.reconcileSchedule = this.scheduleReconciliation();

    this.failedExecutionsAlarm = new Alarm(this, 'ExecutionsFailedAlarm', {
      alarmDescription: `An execution of ${this.stateMachineName} failed: a deadline task failed after its retries (see the case timeline). The daily reconciliation re-arms the case.`,
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  private scheduleReconciliation(): Schedule {
    const stack = Stack.of(this);
    // Our own role (instead of the one LambdaInvoke would add at stack level) so it lives, and
    // is acknowledged, here. Only the default schedule group of this account may assume it.
    const role = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
          },
        },
      }),
    });
    const schedule = new Schedule(this, 'DailyReconciliation', {
      description: 'Re-arms any open escalation whose workflow execution is missing (DESIGN.md: no task may lose a deadline).',
      schedule: RECONCILE_SCHEDULE,
      // The sweep is idempotent; a few delivery retries within the hour, then the DLQ (alarmed)
      // and tomorrow's run. Once delivered, Lambda's own async retries and DLQ take over.
      target: new LambdaInvoke(this.reconciler.function, {
        role,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
        ...(this.reconciler.deadLetterQueue && { deadLetterQueue: this.reconciler.deadLetterQueue }),
      }),
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(this.reconciler.function)}.Arn>:*]`,
      reason: 'LambdaInvoke grants lambda:InvokeFunction on the reconcile function and its versions/aliases ("<function ARN>:*"); the wildcard reaches no other function.',
    });
    return schedule;
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

function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
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
