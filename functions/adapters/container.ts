import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseConfig } from '../config';
import { loadPlaybook } from '../playbook/load';
import type { Dependencies } from '../usecases/escalations';
import { DynamoDbEscalationRepository } from './dynamodb-repository';

let dependencies: Dependencies | undefined;

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
  dependencies = {
    repository: new DynamoDbEscalationRepository(dynamo, config.TABLE_NAME),
    playbook: loadPlaybook(config.PLAYBOOK_PATH),
    now: () => new Date(),
    newId: () => randomUUID(),
  };
  return dependencies;
}
