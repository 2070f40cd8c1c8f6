import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Minimal HTTP stand-ins for the AWS services that have no local engine package: only the
 * operations the functions call (functions/adapters/sfn-workflow.ts, signed-survey-links.ts,
 * s3-raw-mail-store.ts), answered in each service's wire protocol so the real SDK inside a
 * bundle parses them, errors included. Every call is recorded for the smoke test to assert.
 * Each function is given `<url>/<handler>` as its endpoint, so a call says who made it.
 */

export interface RecordedCall {
  service: 'sfn' | 'secretsmanager' | 's3' | 'events' | 'unexpected';
  /** The function that called: each function's endpoint URL ends in its handler's name. */
  caller: string;
  operation: string;
  input: Record<string, unknown>;
  /** The error code answered, if any. */
  error?: string;
}

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: number;
}

export interface StandIns {
  urls: { sfn: string; secretsManager: string; s3: string; eventBridge: string; other: string };
  calls: RecordedCall[];
  executions: Map<string, Execution>;
  executionNamed(name: string): Execution | undefined;
  /** Ends an execution as Step Functions would when it reaches a Fail state. */
  fail(name: string): void;
  /** Forgets an execution, as if its start had never reached Step Functions (a lost start). */
  forget(name: string): void;
  /** What the SES receipt rule's S3 action does: stores a raw message. */
  putObject(bucket: string, key: string, body: Buffer): void;
  stop(): Promise<void>;
}

export interface StandInOptions {
  /** The state machines that exist (their ARNs as the functions are told them). */
  stateMachines: string[];
  /** Secret ARN → its value. */
  secrets: Map<string, string>;
  buckets: string[];
}

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const calls: RecordedCall[] = [];
  const executions = new Map<string, Execution>();
  const secrets = new Map(options.secrets);
  const objects = new Map<string, Buffer>();
  const buckets = new Set(options.buckets);
  const stateMachines = new Set(options.stateMachines);

  // Step Functions: JSON 1.0 protocol, X-Amz-Target AWSStepFunctions.<Operation>.
  const sfn = await jsonService('sfn', 'AWSStepFunctions', '1.0', calls, (operation, input) => {
    switch (operation) {
      case 'StartExecution': {
        const stateMachineArn = String(input.stateMachineArn);
        if (!stateMachines.has(stateMachineArn)) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
        const name = String(input.name ?? randomUUID());
        const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
        const existing = executions.get(executionArn);
        if (existing) {
          // Step Functions: the same name and input while running is the same start; anything else is refused.
          if (existing.status === 'RUNNING' && existing.input === (input.input ?? '{}')) return { executionArn, startDate: existing.startDate };
          throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
        }
        const startDate = Date.now() / 1000;
        executions.set(executionArn, { executionArn, stateMachineArn, name, input: String(input.input ?? '{}'), status: 'RUNNING', startDate });
        return { executionArn, startDate };
      }
      case 'StopExecution': {
        const execution = executions.get(String(input.executionArn));
        if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(input.executionArn)}'`);
        if (execution.status === 'RUNNING') execution.status = 'ABORTED';
        return { stopDate: Date.now() / 1000 };
      }
      case 'DescribeExecution': {
        const execution = executions.get(String(input.executionArn));
        if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(input.executionArn)}'`);
        const { executionArn, stateMachineArn, name, status, startDate, input: executionInput } = execution;
        return { executionArn, stateMachineArn, name, status, startDate, input: executionInput };
      }
      case 'ListExecutions': {
        const stateMachineArn = String(input.stateMachineArn);
        if (!stateMachines.has(stateMachineArn)) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
        const listed = [...executions.values()].filter((execution) => execution.stateMachineArn === stateMachineArn && (!input.statusFilter || execution.status === input.statusFilter));
        return { executions: listed.map(({ executionArn, stateMachineArn: arn, name, status, startDate }) => ({ executionArn, stateMachineArn: arn, name, status, startDate })) };
      }
    }
    throw new ServiceError('UnknownOperationException', `the Step Functions stand-in (tests/artifacts/stand-ins.ts) does not implement ${operation}`);
  });

  // Secrets Manager: JSON 1.1 protocol, X-Amz-Target secretsmanager.<Operation>.
  const secretsManager = await jsonService('secretsmanager', 'secretsmanager', '1.1', calls, (operation, input) => {
    if (operation !== 'GetSecretValue') throw new ServiceError('UnknownOperationException', `the Secrets Manager stand-in does not implement ${operation}`);
    const id = String(input.SecretId);
    const value = secrets.get(id);
    if (value === undefined) throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return { ARN: id, Name: id.split(':secret:')[1] ?? id, SecretString: value, VersionId: 'artifacts-v1', VersionStages: ['AWSCURRENT'], CreatedDate: Date.now() / 1000 };
  });

  // EventBridge: JSON 1.1 protocol, X-Amz-Target AWSEvents.<Operation>; PutEvents accepts every entry.
  const eventBridge = await jsonService('events', 'AWSEvents', '1.1', calls, (operation, input) => {
    if (operation !== 'PutEvents') throw new ServiceError('UnknownOperationException', `the EventBridge stand-in does not implement ${operation}`);
    const entries = (input.Entries as unknown[] | undefined) ?? [];
    return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
  });

  // S3: REST-XML, path-style (the SDK uses it for an IP endpoint), GetObject only.
  const s3 = await serve(async (request) => {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    // Path-style (the SDK's choice for an IP endpoint) under the caller's prefix: /<handler>/<bucket>/<key>.
    const [, caller = '', bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const operation = request.method === 'GET' && key ? 'GetObject' : `${request.method} ${url.pathname}`;
    const call: RecordedCall = { service: 's3', caller, operation, input: { Bucket: decodeURIComponent(bucket), Key: key } };
    calls.push(call);
    const fail = (status: number, code: string, message: string): Answer => {
      call.error = code;
      return { status, headers: { 'content-type': 'application/xml' }, body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>` };
    };
    if (operation !== 'GetObject') return fail(501, 'NotImplemented', 'the S3 stand-in (tests/artifacts/stand-ins.ts) implements GetObject only');
    if (!buckets.has(decodeURIComponent(bucket))) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const body = objects.get(`${decodeURIComponent(bucket)}/${key}`);
    if (!body) return fail(404, 'NoSuchKey', 'The specified key does not exist.');
    return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length), etag: `"${randomUUID()}"`, 'last-modified': new Date().toUTCString() }, body };
  });

  // AWS_ENDPOINT_URL: whatever else a bundle calls has no stand-in; it is recorded and refused.
  const other = await serve(async (request, body) => {
    const target = request.headers['x-amz-target'];
    const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(String(request.headers.authorization ?? ''))?.[1];
    calls.push({ service: 'unexpected', caller: callerOf(request), operation: `${scope ?? 'unknown service'} ${target ?? `${request.method} ${request.url}`}`, input: { body: body.toString('utf8').slice(0, 500) }, error: 'NoStandIn' });
    return { status: 501, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'NoStandIn' }, body: JSON.stringify({ __type: 'NoStandIn', message: `the artifact tier has no stand-in for ${scope ?? 'this service'}` }) };
  });

  const servers = [sfn, secretsManager, s3, eventBridge, other];
  return {
    urls: { sfn: sfn.url, secretsManager: secretsManager.url, s3: s3.url, eventBridge: eventBridge.url, other: other.url },
    calls,
    executions,
    executionNamed: (name) => [...executions.values()].find((execution) => execution.name === name),
    fail(name) {
      const execution = [...executions.values()].find((candidate) => candidate.name === name);
      if (!execution) throw new Error(`the Step Functions stand-in has no execution named ${name}`);
      execution.status = 'FAILED';
    },
    forget(name) {
      const execution = [...executions.values()].find((candidate) => candidate.name === name);
      if (!execution) throw new Error(`the Step Functions stand-in has no execution named ${name}`);
      executions.delete(execution.executionArn);
    },
    putObject(bucket, key, body) {
      if (!buckets.has(bucket)) throw new Error(`the S3 stand-in has no bucket ${bucket}`);
      objects.set(`${bucket}/${key}`, body);
    },
    stop: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

/** An AWS JSON-protocol service: POST / with X-Amz-Target <prefix>.<Operation>. */
function jsonService(
  service: RecordedCall['service'],
  targetPrefix: string,
  version: '1.0' | '1.1',
  calls: RecordedCall[],
  operate: (operation: string, input: Record<string, unknown>) => Record<string, unknown>,
) {
  const contentType = `application/x-amz-json-${version}`;
  return serve(async (request, body): Promise<Answer> => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : `(X-Amz-Target "${target}")`;
    const input = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    const call: RecordedCall = { service, caller: callerOf(request), operation, input };
    calls.push(call);
    try {
      return { status: 200, headers: { 'content-type': contentType }, body: JSON.stringify(operate(operation, input)) };
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      call.error = error.code;
      return { status: error.status, headers: { 'content-type': contentType, 'x-amzn-errortype': error.code }, body: JSON.stringify({ __type: error.code, message: error.message }) };
    }
  });
}

/** The first segment of the request path: the handler whose endpoint URL this is. */
function callerOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://stand-in').pathname.split('/')[1] ?? '';
}

async function serve(answer: (request: IncomingMessage, body: Buffer) => Promise<Answer>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (request, response) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const { status, headers = {}, body } = await answer(request, Buffer.concat(chunks));
      response.writeHead(status, { 'x-amzn-requestid': randomUUID(), ...headers });
      response.end(body);
    } catch (error) {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`stand-in failed: ${String(error)}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
