import { Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../lib/app';

/** Stage context for tests; bundling is skipped so synth stays fast and offline. */
export const TEST_CONTEXT = {
  jwtIssuer: 'https://auth.example.test/',
  jwtAudience: 'escalation-api',
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
