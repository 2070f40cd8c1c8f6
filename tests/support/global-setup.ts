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
 * Every project that needs engines lists this setup; they share the one run (kept on globalThis,
 * which all projects' setups see) and the last of them to finish stops it.
 */
export default async function setup(project: TestProject) {
  const shared = ((globalThis as { escalationEngines?: SharedEngines }).escalationEngines ??= { users: 0, started: startEngines() });
  shared.users++;
  const engines = await shared.started;
  project.provide('localStageFile', engines.stageFile);
  project.provide('dynamoEndpoint', engines.dynamoEndpoint);
  return async () => {
    if (--shared.users === 0) await engines.stop();
  };
}

interface SharedEngines {
  users: number;
  started: Promise<{ stageFile: string; dynamoEndpoint: string; stop(): Promise<void> }>;
}

async function startEngines() {
  const stage = localStageFile();
  stage.catch(() => undefined); // awaited below, once DynamoDB Local is up
  const dynamo = await startDynamoDbLocal(await freePort());
  try {
    return { stageFile: (await stage).file, dynamoEndpoint: dynamo.endpoint, stop: () => dynamo.stop() };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
