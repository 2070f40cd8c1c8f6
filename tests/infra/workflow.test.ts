import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS, ROUTES } from '../../functions/http/routes';
import { STATE_MACHINE_FILE, WORKFLOW_TASKS } from '../../functions/workflow/definition';
import { buildApp } from '../../lib/app';
import { CASE_WORKFLOWS_HANDLER, EMAIL_EVENTS_HANDLER, QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import type { HandlerFunction } from '../../lib/handler-function';
import { TABLE_ACCESS } from '../../lib/table-access';
import { REARM_HANDLER, RECONCILE_HANDLER } from '../../lib/workflow';
import { TEST_CONTEXT, functionsByHandler, logicalIdOf, resourcesOf, synthesize, unacknowledgedFindings, type Resource } from './synthesized';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ASL_TEXT = readFileSync(path.join(PROJECT_ROOT, STATE_MACHINE_FILE), 'utf8');
const ASL = JSON.parse(ASL_TEXT);
const TASK_VARIABLES = Object.keys(WORKFLOW_TASKS) as (keyof typeof WORKFLOW_TASKS)[];
const TASK_HANDLERS = Object.values(WORKFLOW_TASKS);

// Who may start, inspect and stop executions, and exactly which calls each makes:
// case-workflows (a stored new case or generation starts one, from the table's stream, and
// stops the one it replaces) and the sweep (lists the running ones, asks about a case without
// one, starts it again). API handlers, workflow tasks and the re-arm only write the generation.
const WRITE_API_HANDLERS = HANDLERS.filter((handler) => ROUTES.some((route) => route.handler === handler && route.method !== 'GET'));
const WORKFLOW_CALLS: Record<string, { onStateMachine: string[]; onExecutions: string[] }> = {
  [CASE_WORKFLOWS_HANDLER]: { onStateMachine: ['states:StartExecution'], onExecutions: ['states:StopExecution'] },
  [RECONCILE_HANDLER]: { onStateMachine: ['states:ListExecutions', 'states:StartExecution'], onExecutions: ['states:DescribeExecution'] },
};
const WORKFLOW_STARTERS: string[] = Object.keys(WORKFLOW_CALLS);
const ALL_FUNCTIONS = [...HANDLERS, ...TASK_HANDLERS, RECONCILE_HANDLER, REARM_HANDLER, EMAIL_EVENTS_HANDLER, CASE_WORKFLOWS_HANDLER, QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER];
const NOT_STARTERS = ALL_FUNCTIONS.filter((handler) => !WORKFLOW_STARTERS.includes(handler));

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const actionsOf = (statements: Statement[]) => statements.flatMap((statement) => [statement.Action].flat());
const resourcesIn = (statements: Statement[]) => statements.flatMap((statement) => [statement.Resource].flat());

describe('the escalation workflow', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let stateMachineId: string;
  let stateMachine: Resource;

  beforeAll(() => {
    ({ template, stack } = synthesize());
    const machines = resourcesOf(template, 'AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    [[stateMachineId, stateMachine]] = Object.entries(machines) as [[string, Resource]];
  }, 60_000);

  const handlerFunction = (handler: string): HandlerFunction => {
    const found = functionsByHandler(stack).get(handler);
    if (!found) throw new Error(`no function for handler ${handler}`);
    return found;
  };
  const functionOf = (handler: string): Resource => resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(handlerFunction(handler).function)]!;
  const functionArnOf = (handler: string) => ({ 'Fn::GetAtt': [logicalIdOf(handlerFunction(handler).function), 'Arn'] });
  const statementsOfRole = (roleId: string): Statement[] =>
    Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const statementsOf = (handler: string) => statementsOfRole(functionOf(handler).Properties.Role['Fn::GetAtt'][0]);
  const statesStatementsOf = (handler: string) => statementsOf(handler).filter((statement) => actionsOf([statement]).some((action) => action.startsWith('states:')));
  const stateMachineArn = () => stack.resolve(stack.workflow.stateMachineArn);
  const executionsArn = () => stack.resolve(stack.workflow.executionsArn);

  it('derives the function groups from the route table and WORKFLOW_TASKS (guards the derivation below)', () => {
    expect(WRITE_API_HANDLERS).toEqual(expect.arrayContaining(['create-escalation', 'edit-escalation', 'escalation-action']));
    expect(NOT_STARTERS).toEqual(expect.arrayContaining([...WRITE_API_HANDLERS, 'get-escalation', 'list-escalations', 'health', 'review-deadlines', 'act-on-deadline', 'record-workflow-failure', 'email-events', 'queued-emails']));
    expect([...stack.workflow.tasks.keys()].sort()).toEqual([...TASK_HANDLERS].sort());
  });

  describe('the state machine', () => {
    it('is a Standard state machine with a fixed, stage-specific name', () => {
      expect(stateMachine.Properties.StateMachineType).toBe('STANDARD');
      expect(stateMachine.Properties.StateMachineName).toBe('escalation-workflow-dev');
      const prod = buildApp({ ...TEST_CONTEXT, stage: 'prod' }).stack.workflow;
      expect(prod.stateMachineName).toBe('escalation-workflow-prod');
    });

    it('runs exactly the definition in statemachines/, inline in the template', () => {
      expect(typeof stateMachine.Properties.DefinitionString).toBe('string');
      expect(stateMachine.Properties.DefinitionS3Location).toBeUndefined();
      const deployed = JSON.parse(stateMachine.Properties.DefinitionString);
      expect(deployed).toEqual(ASL);
      expect(Object.keys(deployed.States).sort()).toEqual(Object.keys(ASL.States).sort());
      expect(deployed.StartAt).toBe('ReviewDeadlines');
    });

    it('substitutes each WORKFLOW_TASKS variable with the ARN of its handler\'s function', () => {
      const substitutions = stateMachine.Properties.DefinitionSubstitutions;
      expect(Object.keys(substitutions).sort()).toEqual([...TASK_VARIABLES].sort());
      for (const variable of TASK_VARIABLES) expect(substitutions[variable]).toEqual(functionArnOf(WORKFLOW_TASKS[variable]));
    });

    it('leaves no ${...} placeholder once CloudFormation has substituted', () => {
      const substituted = Object.keys(stateMachine.Properties.DefinitionSubstitutions).reduce(
        (text, variable) => text.replaceAll(`\${${variable}}`, `arn:aws:lambda:eu-west-1:123456789012:function:${variable}`),
        stateMachine.Properties.DefinitionString as string,
      );
      expect(substituted).not.toMatch(/\$\{/);
    });

    it('calls a Lambda task variable from every Task state, and uses every variable', () => {
      const tasks = Object.entries<any>(ASL.States).filter(([, state]) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      const used = new Set<string>();
      for (const [name, state] of tasks) {
        expect(state.Resource, name).toBe('arn:aws:states:::lambda:invoke');
        const variable = /^\$\{(\w+)\}$/.exec(state.Parameters.FunctionName)?.[1];
        expect(TASK_VARIABLES, `${name} calls ${state.Parameters.FunctionName}`).toContain(variable);
        used.add(variable!);
      }
      expect([...used].sort()).toEqual([...TASK_VARIABLES].sort());
    });

    it('is traced with X-Ray and logs every transition, without execution data, to a log group with retention', () => {
      expect(stateMachine.Properties.TracingConfiguration).toEqual({ Enabled: true });
      const logging = stateMachine.Properties.LoggingConfiguration;
      expect(logging).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
      expect(logging.Destinations).toHaveLength(1);
      const logGroupId = logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      const logGroup = resourcesOf(template, 'AWS::Logs::LogGroup')[logGroupId]!;
      expect(logGroup.Properties.RetentionInDays).toBe(30);
      expect(logGroup.Properties.LogGroupName).toBe('/aws/vendedlogs/states/escalation-workflow-dev');
      // Its name is fixed: retained, it would block the next deploy of the stage.
      expect(logGroup.DeletionPolicy).toBe('Delete');
    });

    it('may invoke exactly the three task functions, and no other Lambda', () => {
      const roleId = stateMachine.Properties.RoleArn['Fn::GetAtt'][0];
      const lambdaStatements = statementsOfRole(roleId).filter((statement) => actionsOf([statement]).some((action) => action.startsWith('lambda:')));
      expect(actionsOf(lambdaStatements)).toEqual(['lambda:InvokeFunction']);
      const byId = (arns: unknown[]) => arns.map((arn) => JSON.stringify(arn)).sort();
      expect(byId(resourcesIn(lambdaStatements))).toEqual(byId(TASK_HANDLERS.map(functionArnOf)));
    });

    it('is what the ARN built from its name points at', () => {
      const joined = stateMachineArn()['Fn::Join'];
      expect(joined[0]).toBe('');
      expect(joined[1].at(-1)).toBe(`:stateMachine:${stateMachine.Properties.StateMachineName}`);
      expect(JSON.stringify(joined[1])).toContain('"Ref":"AWS::AccountId"');
      expect(executionsArn()['Fn::Join'][1].at(-1)).toBe(`:execution:${stateMachine.Properties.StateMachineName}:*`);
    });
  });

  describe('the task functions', () => {
    it.each([...TASK_HANDLERS, RECONCILE_HANDLER, REARM_HANDLER])('%s is told the table and may do with it what TABLE_ACCESS says, on the table and its indexes', (handler) => {
      const tableId = Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))[0]!;
      const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
      expect(functionOf(handler).Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
      const on = (resource: unknown) => statementsOf(handler).filter((statement) => JSON.stringify([statement.Resource].flat()) === JSON.stringify([resource])).flatMap((statement) => actionsOf([statement])).filter((action) => action.startsWith('dynamodb:')).sort();
      const { table, indexes = [] } = TABLE_ACCESS[handler]!;
      expect(on(tableArn)).toEqual(table.map((action) => `dynamodb:${action}`).sort());
      expect(on({ 'Fn::Join': ['', [tableArn, '/index/*']] })).toEqual(indexes.map((action) => `dynamodb:${action}`).sort());
    });

    it.each([...TASK_HANDLERS, RECONCILE_HANDLER])('%s runs on arm64 with nodejs24.x and X-Ray', (handler) => {
      expect(functionOf(handler).Properties).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs24.x', TracingConfig: { Mode: 'Active' } });
    });

    it('gives the daily sweep fifteen minutes (the most Lambda allows) and the tasks what they were sized for', () => {
      expect(functionOf(RECONCILE_HANDLER).Properties.Timeout).toBe(900);
      expect(functionOf(WORKFLOW_TASKS.ActOnDeadlineFunctionArn).Properties).toMatchObject({ Timeout: 30, MemorySize: 512 });
      expect(functionOf(WORKFLOW_TASKS.ReviewDeadlinesFunctionArn).Properties).toMatchObject({ Timeout: 10, MemorySize: 256 });
    });
  });

  describe('starting and stopping executions', () => {
    it.each(WORKFLOW_STARTERS)('%s is told the state machine ARN, built from the fixed name', (handler) => {
      expect(functionOf(handler).Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual(stateMachineArn());
    });

    it.each(WORKFLOW_STARTERS)('%s may make exactly its calls: on this state machine, and on its executions only', (handler) => {
      const statements = statesStatementsOf(handler);
      const onStateMachine = statements.filter((statement) => JSON.stringify(resourcesIn([statement])) === JSON.stringify([stateMachineArn()]));
      const onExecutions = statements.filter((statement) => JSON.stringify(resourcesIn([statement])) === JSON.stringify([executionsArn()]));
      expect(onStateMachine.length + onExecutions.length).toBe(statements.length);
      expect(actionsOf(onStateMachine).sort()).toEqual(WORKFLOW_CALLS[handler]!.onStateMachine);
      expect(actionsOf(onExecutions).sort()).toEqual(WORKFLOW_CALLS[handler]!.onExecutions);
      for (const statement of statements) expect(statement.Effect).toBe('Allow');
    });

    it.each(NOT_STARTERS)('%s has neither the state machine ARN nor any states:* permission', (handler) => {
      expect(functionOf(handler).Properties.Environment.Variables.STATE_MACHINE_ARN).toBeUndefined();
      expect(statesStatementsOf(handler)).toEqual([]);
    });

    it('keeps the template free of reference cycles (functions ⇄ state machine)', () => {
      // Template.fromStack refuses a template with a dependency cycle ("Template is undeployable").
      expect(() => Template.fromStack(stack)).not.toThrow();
    });

    it('outputs the state machine ARN', () => {
      expect(template.toJSON().Outputs.StateMachineArn.Value).toEqual({ Ref: stateMachineId });
    });
  });

  describe('the daily reconciliation', () => {
    const reconcileSchedule = () => Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule')).find((schedule) => JSON.stringify(schedule.Properties.Target.Arn) === JSON.stringify(functionArnOf(RECONCILE_HANDLER)))!;

    it('invokes reconcile-workflows once a day through EventBridge Scheduler (and the owed-email sweep every minute)', () => {
      const schedules = Object.values(resourcesOf(template, 'AWS::Scheduler::Schedule'));
      expect(schedules.map((schedule) => schedule.Properties.ScheduleExpression).sort()).toEqual(['rate(1 day)', 'rate(1 minute)']);
      expect(reconcileSchedule().Properties).toMatchObject({ ScheduleExpression: 'rate(1 day)', State: 'ENABLED' });
      const sweep = schedules.find((schedule) => schedule.Properties.ScheduleExpression === 'rate(1 minute)')!;
      expect(sweep.Properties.Target.Arn).toEqual(functionArnOf(RESEND_OWED_EMAILS_HANDLER));
    });

    it('runs with a role the scheduler alone assumes, allowed to invoke reconcile-workflows and to dead-letter into its DLQ only', () => {
      const schedule = reconcileSchedule();
      const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
      const trust = resourcesOf(template, 'AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument.Statement;
      expect(trust).toHaveLength(1);
      expect(trust[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
      expect(trust[0].Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      const statements = statementsOfRole(roleId);
      expect(actionsOf(statements).sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
      const reconcileArn = functionArnOf(RECONCILE_HANDLER);
      const invoking = statements.filter((statement) => actionsOf([statement]).includes('lambda:InvokeFunction'));
      expect(resourcesIn(invoking)).toEqual([reconcileArn, { 'Fn::Join': ['', [reconcileArn, ':*']] }]);
      const deadLettering = statements.filter((statement) => actionsOf([statement]).includes('sqs:SendMessage'));
      expect(resourcesIn(deadLettering)).toEqual([{ 'Fn::GetAtt': [logicalIdOf(stack.workflow.reconciler.deadLetterQueue!), 'Arn'] }]);
    });

    it('retries a failed delivery a few times within the hour, then dead-letters it', () => {
      const schedule = reconcileSchedule();
      expect(schedule.Properties.Target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(stack.workflow.reconciler.deadLetterQueue!), 'Arn'] } },
      });
    });
  });

  describe('the re-arm on failed executions', () => {
    const rules = () => Object.values(resourcesOf(template, 'AWS::Events::Rule'));

    it('sends every failed, timed-out or stopped execution of this state machine (and nothing else) to rearm-workflow', () => {
      expect(rules()).toHaveLength(1);
      const rule = rules()[0]!.Properties;
      expect(rule.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [stateMachineArn()], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      });
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0]).toMatchObject({
        Arn: functionArnOf(REARM_HANDLER),
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalIdOf(stack.workflow.rearm.deadLetterQueue!), 'Arn'] } },
      });
    });

    it('lets EventBridge invoke rearm-workflow, from this rule only', () => {
      const ruleId = Object.keys(resourcesOf(template, 'AWS::Events::Rule'))[0]!;
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((permission) => permission.Properties.Principal === 'events.amazonaws.com');
      expect(permissions).toHaveLength(1);
      expect(permissions[0]!.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', FunctionName: functionArnOf(REARM_HANDLER), SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] } });
    });
  });

  it('alarms when an execution fails (ExecutionsFailed >= 1 in 5 minutes)', () => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.MetricName === 'ExecutionsFailed');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachineId } }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('leaves no cdk-nag finding unacknowledged in the workflow and email constructs', () => {
    expect(unacknowledgedFindings(stack.workflow)).toEqual([]);
    expect(unacknowledgedFindings(stack.email)).toEqual([]);
  });
});
