/**
 * The local engines, started and stopped by each bench: DynamoDB Local (in memory, on a
 * free port) and the offline stack of `npm start` (local/stack.ts) on top of it. Plus the
 * small client-side helpers the benches share: an HTTP client with keep-alive, a request
 * body, a concurrency pool, memory readings and a DynamoDB meter.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startDynamoDbLocal, type LocalDynamo } from '../../local/dynamodb';
import { freePort } from '../../local/free-port';
import { localStageFile, readLocalStage } from '../../local/local-stage';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';

export { escalationRequest } from '../../tests/fixtures/escalation-request';

export const PRINCIPAL = 'bench@example.com';

/**
 * The default playbook with every severity on the 24x7 calendar. SLA clocks of the other
 * severities count office hours, so a bench started on a Sunday would see every deadline
 * land on Monday at the same instant; with this playbook a bench measures the same thing
 * whatever the day. Benches that depend on deadline timing use it.
 */
// The same fixture the compressed-time tests use: every severity on the 24×7 calendar.
export const ROUND_THE_CLOCK_PLAYBOOK = path.resolve(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'playbook-24x7.json');

export async function startDynamo(): Promise<LocalDynamo> {
  return startDynamoDbLocal(await freePort());
}

export interface BenchStack {
  dynamo: LocalDynamo;
  stack: LocalStack;
  tableName: string;
  token: string;
  api: ApiClient;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local plus the local stack, as `npm start --in-memory` runs them. The daily
 * reconciliation sweep is pushed out of the bench's way (it would otherwise run every
 * 86.4 s / timeScale and add its queries to whatever is being measured).
 */
export async function startBenchStack(options: { timeScale: number } & Partial<Pick<LocalStackOptions, 'wrapTask' | 'retryIntervalMs' | 'playbookPath'>>): Promise<BenchStack> {
  const stage = localStageFile();
  stage.catch(() => undefined); // awaited below, once DynamoDB Local is up
  const dynamo = await startDynamo();
  const tableName = `bench-${randomUUID()}`;
  const token = randomUUID();
  try {
    const stack = await startLocalStack({
      stage: readLocalStage((await stage).file),
      dynamo: { endpoint: dynamo.endpoint, client: dynamo.client },
      tableName,
      port: 0,
      sesPort: 0,
      token,
      principal: PRINCIPAL,
      reconcileEveryMs: 24 * 3_600_000,
      ...options,
    });
    const api = apiClient(stack.gateway.url, token);
    return {
      dynamo,
      stack,
      tableName,
      token,
      api,
      async stop() {
        api.close();
        await stack.stop();
        await dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}

export interface ApiAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // Whatever the API answered; each bench checks what it needs.
  body: unknown;
  /** Client-side latency: request written to last byte read. */
  ms: number;
}

export interface ApiClient {
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  close(): void;
}

/** A keep-alive HTTP client: the lowest-overhead way for Node to talk to the local gateway. */
export function apiClient(url: string, token: string): ApiClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const base = new URL(url);
  return {
    url,
    call(method, path, body, headers = {}) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const started = performance.now();
        const req = request(
          {
            agent,
            host: base.hostname,
            port: base.port,
            method,
            path,
            headers: {
              authorization: `Bearer ${token}`,
              ...(payload && { 'content-type': 'application/json', 'content-length': String(payload.length) }),
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              const ms = performance.now() - started;
              const text = Buffer.concat(chunks).toString('utf8');
              let parsed: unknown = text;
              try {
                parsed = text ? JSON.parse(text) : undefined;
              } catch {
                // not JSON: keep the text
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, ms });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}


/** Runs `work` over `items` with at most `concurrency` in flight; results in item order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface MemoryReading {
  rssMB: number;
  heapUsedMB: number;
  heapTotalMB: number;
  externalMB: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** This process's memory; with --expose-gc a full collection runs first so heap figures are live data. */
export function memory(collect = false): MemoryReading {
  if (collect) (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { rssMB: mb(usage.rss), heapUsedMB: mb(usage.heapUsed), heapTotalMB: mb(usage.heapTotal), externalMB: mb(usage.external) };
}

/** Resident memory of another process (DynamoDB Local's JVM), from /proc; undefined where there is no /proc. */
export function processRssMB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const kbLine = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kbLine ? Math.round((Number(kbLine) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}
