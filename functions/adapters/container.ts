import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseConfig, type Config } from '../config';
import { loadPlaybook } from '../playbook/load';
import type { RawMailStore } from '../ports/raw-mail-store';
import type { WorkflowEngine } from '../ports/workflow';
import type { Dependencies } from '../usecases/escalations';
import { DynamoDbEscalationRepository } from './dynamodb-repository';
import { EmbeddedMetrics } from './emf-metrics';
import { log } from './logger';
import { S3RawMailStore } from './s3-raw-mail-store';
import { SesMailer } from './ses-mailer';
import { SignedSurveyLinks } from './signed-survey-links';
import { StepFunctionsWorkflow } from './sfn-workflow';

let dependencies: Dependencies | undefined;
let localOverrides: Partial<Dependencies> = {};

/**
 * The local stack swaps in what has no offline AWS endpoint (the workflow engine) and its
 * scaled clock. Must be called before the first handler module is imported.
 */
export function provideLocalAdapters(overrides: Partial<Dependencies>) {
  localOverrides = overrides;
  dependencies = undefined;
}

/**
 * The one place SDK clients are made: once per Lambda container (or local process),
 * at cold start, so a bad configuration fails before the first request.
 */
export function container(): Dependencies {
  if (dependencies) return dependencies;
  const config = parseConfig(process.env);
  const dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient(config.DYNAMODB_ENDPOINT ? { endpoint: config.DYNAMODB_ENDPOINT } : {}),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const ses = new SESv2Client(config.SES_ENDPOINT ? { endpoint: config.SES_ENDPOINT } : {});
  dependencies = {
    repository: new DynamoDbEscalationRepository(dynamo, config.TABLE_NAME),
    workflow: localOverrides.workflow ?? stepFunctions(config),
    mailer: new SesMailer(ses, config.SENDER_EMAIL, config.SES_CONFIGURATION_SET, config.SES_TEMPLATE_PREFIX),
    metrics: new EmbeddedMetrics(),
    log,
    survey: new SignedSurveyLinks(config.PUBLIC_API_URL, surveyKey(config)),
    ...(config.INBOUND_ADDRESS && { inboundAddress: config.INBOUND_ADDRESS }),
    rawMail: localOverrides.rawMail ?? rawMailStore(config),
    playbook: loadPlaybook(config.PLAYBOOK_PATH),
    now: () => new Date(),
    newId: () => randomUUID(),
    ...localOverrides,
  };
  return dependencies;
}

function rawMailStore(config: Config): RawMailStore {
  if (!config.INBOUND_BUCKET) {
    return {
      get: async () => {
        throw new Error('INBOUND_BUCKET is not set for this function');
      },
    };
  }
  return new S3RawMailStore(new S3Client({}), config.INBOUND_BUCKET, config.INBOUND_PREFIX);
}

function surveyKey(config: Config): () => Promise<string> {
  if (config.SURVEY_SIGNING_KEY) return async () => config.SURVEY_SIGNING_KEY!;
  const secretArn = config.SURVEY_SIGNING_KEY_SECRET_ARN;
  if (!secretArn) {
    return async () => {
      throw new Error('no survey signing key: set SURVEY_SIGNING_KEY_SECRET_ARN');
    };
  }
  const secrets = new SecretsManagerClient({});
  return async () => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString) throw new Error('the survey signing secret is empty');
    return SecretString;
  };
}

function stepFunctions(config: Config): WorkflowEngine {
  if (!config.STATE_MACHINE_ARN) {
    // Read-only handlers never start a workflow; the ones that do must have the ARN.
    const missing = async () => {
      throw new Error('STATE_MACHINE_ARN is not set for this function');
    };
    return {
      start: missing,
      stop: missing,
      runningExecutions: async function* () {
        yield* [];
        await missing();
      },
    };
  }
  return new StepFunctionsWorkflow(new SFNClient({}), config.STATE_MACHINE_ARN);
}
