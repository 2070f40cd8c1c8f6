import { randomUUID } from 'node:crypto';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { caseKey, OUTBOX_PREFIX } from '../../functions/adapters/table-design';
import type { LocalTokens } from '../../local/gateway';
import { localStageFile, readLocalStage, type LocalStage } from '../../local/local-stage';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { fetchChecked, warmContract } from './contract';
import { waitFor } from './wait-for';

export { escalationRequest } from '../fixtures/escalation-request';

export interface TestApi {
  url: string;
  /** Carries every scope; `call` sends it unless the headers name another. */
  token: string;
  /** One token per scope the routes use, each carrying that scope alone. */
  tokens: LocalTokens['byScope'];
  tableName: string;
  stack: LocalStack;
  /**
   * Sends an authenticated JSON request and returns status, headers and the parsed body, once the
   * answer has been held to the OpenAPI document (tests/support/contract.ts).
   */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /** Mail the local SES accepted, newest last. */
  sentMail(): Promise<SentMail[]>;
  /**
   * The same, once every email these cases queued so far is settled, sent or given up (an email
   * SES kept refusing past the retry window): emails leave after the write that queued them (from
   * the table's stream, or the deadline task that queued them). A test that needs an email checks
   * it is among those returned.
   */
  settledMail(caseIds: string[]): Promise<SentMail[]>;
  close(): Promise<void>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Tests read whatever the API answered; the assertions say what it must be.
  body: any;
}

export interface SentMail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
}

/**
 * The API as `npm start` runs it — local gateway, real handlers, the real state machine,
 * local SES, DynamoDB Local, each call checked against its function's IAM policy — on a table of
 * its own, so test files never see each other's cases.
 */
/** The local stage the run's global setup synthesized: the IAM policies every test stack enforces. */
export const localStage = (): LocalStage => readLocalStage(inject('localStageFile'));

export async function startTestApi(
  options: Partial<Pick<LocalStackOptions, 'timeScale' | 'retryIntervalMs' | 'wrapTask' | 'reconcileEveryMs' | 'playbookPath' | 'stage' | 'onIamCheck' | 'faults' | 'emailLeaseRealMs' | 'owedEmailsEveryMs' | 'surveySigningKey' | 'recordWorkflowHistory' | 'chatSecrets'>> = {},
): Promise<TestApi> {
  // Before the stack's clock starts: the first check's compile would otherwise be case time lost.
  await warmContract();
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const token = randomUUID();
  const stack = await startLocalStack({
    dynamo: { endpoint, client },
    tableName,
    port: 0,
    sesPort: 0,
    smtpPort: 0,
    token,
    principal: 'tester@example.com',
    timeScale: options.timeScale ?? 1,
    reconcileEveryMs: options.reconcileEveryMs ?? 3_600_000,
    ...options,
    stage: options.stage ?? localStage(),
  });
  const url = stack.gateway.url;
  const sentMail = async () => {
    const response = await fetch(`${stack.sesUrl}/store`);
    const { emails } = (await response.json()) as { emails: SentMail[] };
    return emails;
  };
  return {
    url,
    token,
    tokens: stack.tokens.byScope,
    tableName,
    stack,
    async call(method, path, body, headers = {}) {
      const response = await fetchChecked(url + path, {
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
    sentMail,
    async settledMail(caseIds) {
      await stack.caseChanges.drained();
      const unsent = async (caseId: string) => {
        const { Items = [] } = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :outbox)',
            ExpressionAttributeValues: { ':pk': { S: caseKey(caseId).pk }, ':outbox': { S: OUTBOX_PREFIX } },
            ConsistentRead: true,
          }),
        );
        return Items.filter((item) => item.status?.S !== 'sent' && item.status?.S !== 'failed').length;
      };
      // The stream sends them within a second on a quiet machine; a file beside this one may be saturating DynamoDB Local.
      await waitFor(async () => (await Promise.all(caseIds.map(unsent))).every((n) => n === 0), { timeoutMs: 60_000, what: `the emails of ${caseIds.join(', ')} to settle` });
      return sentMail();
    },
    close: stack.stop,
  };
}

/**
 * Every severity on a 24×7 calendar: compressed-time tests measure the engine, not the
 * weekend (business hours would make their waits depend on the day the suite runs).
 */
export const ROUND_THE_CLOCK_PLAYBOOK = new URL('../fixtures/playbook-24x7.json', import.meta.url).pathname;

/**
 * The same, with chat channels: the support lead's and the support team's in Slack, the CSM
 * managers' in Teams, leadership's (VP Customer Success) in Slack. A stack running it needs the
 * stage synthesized from it (`stageOf`), whose senders may read exactly these secrets.
 */
export const ROUND_THE_CLOCK_CHAT_PLAYBOOK = new URL('../fixtures/playbook-24x7-chat.json', import.meta.url).pathname;

/** The local stage synthesized from this playbook (once; cached in .cdk/local-stage/ like the repository's). */
export const stageOf = async (playbook: string): Promise<LocalStage> => readLocalStage((await localStageFile({ playbook })).file);

