import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';

/** Stage context for tests; bundling is skipped so synth stays fast and offline. */
export const TEST_CONTEXT = {
  jwtIssuer: 'https://auth.example.test/',
  jwtAudience: 'escalation-api',
  senderEmail: 'escalations@example.test',
  'aws:cdk:bundling-stacks': [],
};

/** The app exactly as bin/ builds it, synthesized (which runs the cdk-nag plugin). */
export function synthesize(context: Record<string, unknown> = {}) {
  const built = buildApp({ ...TEST_CONTEXT, ...context });
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The logical ID CloudFormation sees for an L2 construct's main resource. */
export function logicalIdOf(construct: IConstruct): string {
  return Stack.of(construct).resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
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
