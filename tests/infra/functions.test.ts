import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS, ROUTES } from '../../functions/http/routes';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { HANDLERS_WITHOUT_TABLE } from '../../lib/table-access';
import { logicalIdOf, resourcesOf, synthesize, type Resource } from './synthesized';

const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];

const onlyBehindGet = (handler: string) => ROUTES.filter((route) => route.handler === handler).every((route) => route.method === 'GET' && !route.writes);
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

  it('has exactly one function per handler in the route table, besides the workflow\'s own', () => {
    const workflowFunctions = stack.workflow.tasks.size + 1; // + the daily reconciliation
    expect(Object.keys(resourcesOf(template, 'AWS::Lambda::Function'))).toHaveLength(HANDLERS.length + workflowFunctions);
    expect([...stack.handlers.keys()].sort()).toEqual([...HANDLERS].sort());
  });

  it.each(HANDLERS)('%s runs on arm64 with nodejs22.x, X-Ray and its own log group', (handler) => {
    const { Properties } = functionOf(handler);
    expect(Properties.Architectures).toEqual(['arm64']);
    expect(Properties.Runtime).toBe('nodejs22.x');
    expect(Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(Properties.Timeout).toBe(10);
    expect(Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    const logGroup = resourcesOf(template, 'AWS::Logs::LogGroup')[Properties.LoggingConfig.LogGroup.Ref]!;
    expect(logGroup.Properties.RetentionInDays).toBe(30);
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

  it.each(READ_ONLY_HANDLERS)('%s (reading GET routes only) may read but not write the table', (handler) => {
    const actions = dynamoStatementsOf(handler).flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const action of WRITE_ACTIONS) expect(actions).not.toContain(action);
  });

  it.each(WRITING_HANDLERS)('%s may write the table', (handler) => {
    const actions = dynamoStatementsOf(handler).flatMap((statement) => [statement.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']));
  });

  it.each(TABLE_HANDLERS)('%s gets table permissions on this table and its indexes only, never "*"', (handler) => {
    const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const indexArns = { 'Fn::Join': ['', [tableArn, '/index/*']] };
    const resources = dynamoStatementsOf(handler).flatMap((statement) => [statement.Resource].flat());
    expect(resources.length).toBeGreaterThan(0);
    for (const resource of resources) expect([tableArn, indexArns]).toContainEqual(resource);
  });
});
