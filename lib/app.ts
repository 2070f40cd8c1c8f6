import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EscalationApiStack } from './escalation-api-stack';
import { CONFIG_FILE_KEY, STAGE_KEYS, parseStageConfig } from './stage-config';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Builds the whole app. bin/ and the infra tests share it, so the tests check exactly
 * what `cdk synth` produces. Throws a StageConfigError when the stage context is bad.
 */
export function buildApp(context: Record<string, unknown> = {}) {
  const app = new App({ context });
  // Only the stage keys (and the file naming more of them): everything else in the context is CDK's own.
  const keys = [...STAGE_KEYS, CONFIG_FILE_KEY];
  const config = parseStageConfig(Object.fromEntries(keys.map((key) => [key, app.node.tryGetContext(key)])));
  const stack = new EscalationApiStack(app, `EscalationApi-${config.stage}`, {
    config,
    projectRoot: PROJECT_ROOT,
    description: `Customer-escalation API, stage ${config.stage}: HTTP API, Lambda, Step Functions, DynamoDB, SES`,
  });
  // cdk-nag 3 is a policy-validation plugin: findings fail synth unless acknowledged.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config };
}
