import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/dynamodb';
import { freePort } from '../../local/free-port';
import { localStageFile } from '../../local/local-stage';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** The synthesized local stage (local/local-stage.ts): every test stack checks its handlers' calls against its IAM policies. */
    localStageFile: string;
  }
}

/**
 * One DynamoDB Local per test run, in memory, on a free port; and the local stage's IAM policies,
 * synthesized once per run (in a child process, while DynamoDB Local starts) unless cached.
 */
export default async function setup(project: TestProject) {
  const stage = localStageFile();
  stage.catch(() => undefined); // awaited below, once DynamoDB Local is up
  const dynamo = await startDynamoDbLocal(await freePort());
  try {
    project.provide('localStageFile', (await stage).file);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}
