import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '../../local/dynamodb';
import { loadHandlers, startGateway } from '../../local/gateway';

export interface TestApi {
  url: string;
  token: string;
  tableName: string;
  /** Sends an authenticated JSON request and returns status, headers and the parsed body. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Tests read whatever the API answered; the assertions say what it must be.
  body: any;
}

/**
 * The API as `npm start` runs it — local gateway, real handlers, DynamoDB Local — on a
 * table of its own, so test files never see each other's cases.
 */
export async function startTestApi(env: Record<string, string> = {}): Promise<TestApi> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(client, tableName);
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...env,
  });
  const token = randomUUID();
  const gateway = await startGateway({ port: 0, token, principal: 'tester@example.com', handlers: await loadHandlers() });
  return {
    url: gateway.url,
    token,
    tableName,
    async call(method, path, body, headers = {}) {
      const response = await fetch(gateway.url + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    close: gateway.close,
  };
}

export function escalationRequest(overrides: Record<string, unknown> = {}) {
  return {
    customer: {
      accountId: 'acme',
      name: 'Acme Corp',
      segment: 'enterprise',
      arr: 240000,
      healthScore: 62,
      renewalDate: '2027-03-31',
      contacts: [{ email: 'cto@acme.test', name: 'Dana Reyes', role: 'CTO' }],
    },
    title: 'Checkout fails for every customer',
    businessImpact: 'No orders since 09:10',
    severity: 'critical',
    triggers: ['platform_down'],
    ...overrides,
  };
}
