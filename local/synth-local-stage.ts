// Synthesizes the local stage and writes what the local stack needs from it (local/local-stage.ts
// runs this in a child process when its cached extract is stale): `tsx local/synth-local-stage.ts <file>`.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { buildApp } from '../lib/app';
import { logicalIdOf } from '../lib/handler-function';
import type { CfnResource, CfnTemplate } from './cloudformation';
import type { PolicyStatement } from './iam';
import { LOCAL_STAGE_CONTEXT, type LocalStage, type StageFunction } from './local-stage';

/** Properties that name a resource; references to it resolve with them (local/cloudformation.ts). */
const NAMING_PROPERTIES = ['FunctionName', 'Name', 'TopicName', 'QueueName', 'StateMachineName', 'LogGroupName', 'TableName', 'BucketName'];

/** The app as bin/ builds it for the local stage, bundling skipped (cdk-nag runs as in `cdk synth`). */
export function synthesizeLocalStage(context: Record<string, unknown> = {}): LocalStage {
  const { app, stack } = buildApp({ ...LOCAL_STAGE_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context });
  const assembly = app.synth();
  try {
    const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
    const functions: Record<string, StageFunction> = {};
    for (const fn of stack.functions) functions[fn.handler] = stageFunction(template, logicalIdOf(fn.function));
    const resources = Object.fromEntries(
      Object.entries(template.Resources).map(([logicalId, resource]): [string, CfnResource] => {
        const properties = Object.fromEntries(Object.entries(resource.Properties ?? {}).filter(([name]) => NAMING_PROPERTIES.includes(name)));
        return [logicalId, { Type: resource.Type, Properties: properties }];
      }),
    );
    return { stackName: stack.stackName, resources, functions };
  } finally {
    rmSync(assembly.directory, { recursive: true, force: true });
  }
}

/** A function's role: every statement of every policy attached to it, its environment. */
function stageFunction(template: CfnTemplate, logicalId: string): StageFunction {
  const properties = template.Resources[logicalId]!.Properties as { Role: { 'Fn::GetAtt': [string, string] }; Environment?: { Variables?: Record<string, unknown> } };
  const roleLogicalId = properties.Role['Fn::GetAtt'][0];
  const role = template.Resources[roleLogicalId]!.Properties as { ManagedPolicyArns?: unknown[]; Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[]; PermissionsBoundary?: unknown };
  // AWS managed policies live in AWS, not in the template: the local check could not read them.
  if (role.ManagedPolicyArns?.length) throw new Error(`${roleLogicalId} has managed policies (${JSON.stringify(role.ManagedPolicyArns)}), which the local IAM check cannot evaluate`);
  if (role.PermissionsBoundary) throw new Error(`${roleLogicalId} has a permissions boundary, which the local IAM check does not evaluate`);
  const attached = Object.values(template.Resources).filter(
    (resource) => (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') && ((resource.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((ref) => ref.Ref === roleLogicalId),
  );
  const statements = [
    ...(role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement),
    ...attached.flatMap((resource) => (resource.Properties!.PolicyDocument as { Statement: PolicyStatement[] }).Statement),
  ];
  return { logicalId, roleLogicalId, statements, environment: properties.Environment?.Variables ?? {} };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2];
  if (!target) throw new Error('usage: tsx local/synth-local-stage.ts <output file> [<playbook, relative to the repository root>]');
  // CDK's built-in CloudFormation validation (a WASM rule engine) takes some 10 s of the 12 a
  // synth takes here; `cdk synth` and the infra tests run it, the local stage needs only the
  // template. This process synthesizes nothing else.
  process.env.CDK_VALIDATION = 'false';
  const playbook = process.argv[3];
  const stage = synthesizeLocalStage(playbook ? { playbook } : {});
  // Written aside and renamed, so a concurrent reader never sees half a file.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(stage));
  renameSync(partial, target);
}
