import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { awsClient, clientOptions } from '../../functions/adapters/aws-clients';
import { container } from '../../functions/adapters/container';
import { stepFunctionsWorkflow } from '../../functions/adapters/sfn-workflow';
import { caseKey } from '../../functions/adapters/table-design';
import { FaultSwitch } from '../../local/faults';
import type { CheckedRequest } from '../../local/iam-enforcement';
import { invokeLocal } from '../../local/invocation';
import type { LocalStage } from '../../local/local-stage';
import { escalationRequest, localStage, startTestApi, type TestApi } from '../support/api';

/**
 * The stack definition with one grant taken away: list-escalations' role without
 * dynamodb:BatchGetItem, as every list had it before TABLE_ACCESS said otherwise. The local
 * stack must then fail GET /escalations exactly as AWS would.
 */
function withoutAction(stage: LocalStage, handler: string, action: string): LocalStage {
  const fn = stage.functions[handler]!;
  const statements = fn.statements
    .map((statement) => ({ ...statement, Action: [statement.Action ?? []].flat().filter((candidate) => candidate !== action) }))
    .filter((statement) => statement.Action.length > 0);
  return { ...stage, functions: { ...stage.functions, [handler]: { ...fn, statements } } };
}

let api: TestApi;
const checks: CheckedRequest[] = [];
const faults = new FaultSwitch();
const stage = withoutAction(localStage(), 'list-escalations', 'dynamodb:BatchGetItem');

beforeAll(async () => {
  expect(JSON.stringify(localStage().functions['list-escalations']!.statements)).toContain('dynamodb:BatchGetItem');
  api = await startTestApi({ stage, faults, onIamCheck: (check) => checks.push(check) });
});
afterAll(() => api?.close());
afterEach(() => void faults.set({}));

const tableArn = () => `arn:aws:dynamodb:us-east-1:000000000000:table/${api.tableName}`;
/** A document client made as the handlers make theirs (awsClient), so the stack's checks sit in it. */
const handlerStyleDynamo = () => DynamoDBDocumentClient.from(awsClient('dynamodb', new DynamoDBClient({ ...clientOptions('dynamodb', inject('dynamoEndpoint')), region: 'us-east-1' })));
const batchGet = (id: string) => new BatchGetCommand({ RequestItems: { [api.tableName]: { Keys: [caseKey(id)] } } });

/** What the handlers log while `run` runs (Powertools writes JSON lines to stdout and stderr). */
async function logsDuring(run: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  const capture = (chunk: unknown) => void lines.push(String(chunk));
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (capture(chunk), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (capture(chunk), true));
  try {
    await run();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines.flatMap((line) => line.split('\n')).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, any>];
    } catch {
      return [];
    }
  });
}

describe('a grant taken from the stack definition', () => {
  it('GET /escalations fails as on AWS: AccessDeniedException naming dynamodb:BatchGetItem on the table, and nothing internal in the answer', async () => {
    const { status } = await api.call('POST', '/escalations', escalationRequest());
    expect(status).toBe(201);
    let answer!: Awaited<ReturnType<TestApi['call']>>;
    const logs = await logsDuring(async () => (answer = await api.call('GET', '/escalations?status=open')));

    expect(answer.status).toBe(500);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(answer.body)).not.toMatch(/AccessDenied|dynamodb|arn:/);

    // The handler's own log of what the SDK raised (the request's, the only one in flight).
    const logged = logs.find((line) => line.message === 'unhandled error');
    expect(logged?.error.name).toBe('AccessDeniedException');
    expect(logged?.error.message).toMatch(/^User: arn:aws:sts::000000000000:assumed-role\/\S+\/\S+ is not authorized to perform: dynamodb:BatchGetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/test-[\w-]+ because no identity-based policy allows the dynamodb:BatchGetItem action$/);
    expect(checks).toContainEqual(expect.objectContaining({ functionName: 'list-escalations', action: 'dynamodb:BatchGetItem', resource: tableArn(), decision: expect.objectContaining({ allowed: false, explicit: false }) }));
  });

  it('the SDK raises what it raises on AWS (AccessDeniedException, HTTP 400, a client fault), for that function only', async () => {
    const { body } = await api.call('POST', '/escalations', escalationRequest());
    const denied = invokeLocal('list-escalations', () => handlerStyleDynamo().send(batchGet(body.id)), {}, undefined);
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
    await expect(denied).rejects.toThrow(`dynamodb:BatchGetItem on resource: ${tableArn()}`);
    // metrics keeps its grant: the same call as metrics goes through.
    const allowed = (await invokeLocal('metrics', () => handlerStyleDynamo().send(batchGet(body.id)), {}, undefined)) as { Responses: Record<string, unknown[]> };
    expect(allowed.Responses[api.tableName]).toHaveLength(1);
  });
});

describe('every service, as AWS answers it', () => {
  it('SES answers a function without a send grant 403 AccessDeniedException, in its own words', async () => {
    const ses = awsClient('sesv2', new SESv2Client({ ...clientOptions('sesv2', api.stack.sesUrl), region: 'us-east-1' }));
    const send = new SendEmailCommand({
      FromEmailAddress: 'escalations@example.com',
      Destination: { ToAddresses: ['cto@acme.test'] },
      Content: { Simple: { Subject: { Data: 'hi' }, Body: { Text: { Data: 'hi' } } } },
    });
    const denied = invokeLocal('create-escalation', () => ses.send(send), {}, undefined);
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    await expect(denied).rejects.toThrow(/^User `arn:aws:sts::000000000000:assumed-role\/\S+' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:us-east-1:000000000000:identity\/escalations@example.com'$/);
  });

  it('the workflow engine refuses states:StartExecution to a function whose role lacks it, as Step Functions would', async () => {
    const { body } = await api.call('POST', '/escalations', escalationRequest());
    // create-escalation only writes: were it to start workflows itself, AWS would refuse it.
    const started = invokeLocal('create-escalation', () => container({ workflow: stepFunctionsWorkflow }).workflow.start(body.id, 5), {}, undefined);
    await expect(started).rejects.toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    await expect(started).rejects.toThrow(/is not authorized to perform: states:StartExecution on resource: arn:aws:states:us-east-1:000000000000:stateMachine:escalation-workflow-local because/);
    expect(api.stack.engine.execution(body.id, 5)).toBeUndefined();
  });
});

describe('how the check sits in the local stack', () => {
  it('comes before the fault switch: a refused call is refused, never throttled', async () => {
    const { body } = await api.call('POST', '/escalations', escalationRequest());
    faults.set({ dynamodbThrottleRate: 1 });
    await expect(invokeLocal('list-escalations', () => handlerStyleDynamo().send(batchGet(body.id)), {}, undefined)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(faults.counters.dynamodbThrottled).toBe(0);
  });

  it('fails loudly on a call made outside any function invocation: a bug of the local stack, not a denial', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      await expect(handlerStyleDynamo().send(batchGet('x'))).rejects.toMatchObject({ name: 'LocalStackBug', message: expect.stringContaining('outside any function invocation') });
      expect(logged).toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });
});
