import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { logicalIdOf, type HandlerFunction } from '../../lib/handler-function';

// The one way to name a construct's resource as CloudFormation sees it, for tests as for cdk-nag.
export { logicalIdOf };

/** Stage context for tests; bundling is skipped so synth stays fast and offline. */
export const TEST_CONTEXT = {
  jwtIssuer: 'https://auth.example.test/',
  jwtAudience: 'escalation-api',
  senderEmail: 'escalations@example.test',
  'aws:cdk:bundling-stacks': [],
};

/** The same, with inbound email and an alarm subscription configured. */
export const INBOUND_CONTEXT = { ...TEST_CONTEXT, inboundDomain: 'support.example.test', alarmEmail: 'oncall@example.test' };

/** The app exactly as bin/ builds it, synthesized (which runs the cdk-nag plugin). */
export function synthesize(context: Record<string, unknown> = {}) {
  const built = buildApp({ ...TEST_CONTEXT, ...context });
  return { ...built, template: Template.fromStack(built.stack) };
}


export type Resource = { Type: string; Properties: Record<string, any>; [key: string]: any };

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/**
 * cdk-nag 3 is a policy-validation plugin, not an aspect: its findings fail app.synth()
 * instead of becoming annotations. So the tests ask the pack directly, for any scope.
 */
export function unacknowledgedFindings(scope: IConstruct): string[] {
  return new AwsSolutionsChecks().validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export const actionsOf = (statements: Statement[]) => statements.flatMap((statement) => [statement.Action].flat());
export const resourcesIn = (statements: Statement[]) => statements.flatMap((statement) => [statement.Resource].flat());

/** Every Lambda of the stack by handler name: the API's, the workflow's, the event handlers. */
export function functionsByHandler(stack: EscalationApiStack): Map<string, HandlerFunction> {
  return new Map(stack.functions.map((fn) => [fn.handler, fn]));
}

/** Template views of one synthesized stack, addressed by handler name. */
export function inspect(template: Template, stack: EscalationApiStack) {
  const byHandler = functionsByHandler(stack);
  const handlerFunction = (handler: string): HandlerFunction => {
    const found = byHandler.get(handler);
    if (!found) throw new Error(`no function for handler ${handler}`);
    return found;
  };
  const functionOf = (handler: string): Resource => resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(handlerFunction(handler).function)]!;
  const statementsOfRole = (roleId: string): Statement[] =>
    Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
      .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  const statementsOf = (handler: string) => statementsOfRole(functionOf(handler).Properties.Role['Fn::GetAtt'][0]);
  const statementsWith = (handler: string, prefix: string) => statementsOf(handler).filter((statement) => actionsOf([statement]).some((action) => action.startsWith(prefix)));
  const environmentOf = (handler: string): Record<string, unknown> => functionOf(handler).Properties.Environment?.Variables ?? {};
  return { handlers: [...byHandler.keys()], handlerFunction, functionOf, statementsOfRole, statementsOf, statementsWith, environmentOf };
}

/**
 * A dashboard body is a Fn::Join of JSON text and tokens (function names, the region):
 * each token becomes the string "<token>" inside its JSON string, so the body parses.
 */
export function dashboardBody(template: Template): { widgets: any[] } {
  const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  const body = dashboards[0]!.Properties.DashboardBody;
  const text = typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((part) => (typeof part === 'string' ? part : '<token>')).join('');
  return JSON.parse(text);
}
