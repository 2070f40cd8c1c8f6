/**
 * Intake overhead: POST /escalations through the local API gateway (the deployed handler
 * code, DynamoDB Local; emails, the workflow and the contact directory follow from the
 * table's stream, off the request path) against the floor of what intake must do: one raw
 * TransactWriteItems of the very items intake wrote (the case, its timeline event, the
 * emails it owes), from the same process, interleaved so both see the same machine state.
 * A raw PutItem of the case item alone is kept as a second reference. Then throughput with
 * 1, 8 and 32 concurrent clients, beside the raw transaction's.
 *
 *   npx tsx bench/intake.ts        (npm run bench runs it with the others)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { container } from '../functions/adapters/container';
import { TABLE_DESIGN } from '../functions/adapters/table-design';
import { escalationRequest, startBenchStack, type BenchStack } from './lib/local';
import { findSdkClient, InvocationMeter, SdkMeter, type SdkCall } from './lib/meter';
import { emitResult, printTable, quietMetrics, say } from './lib/report';
import { round, roundSummary, summarize, type Summary } from './lib/stats';

const PAIRS = Number(process.env.BENCH_INTAKE_PAIRS ?? 400);
const KEYED_PAIRS = Math.round(PAIRS / 2);
const WARMUP = 100;
const CONCURRENCY = [1, 8, 32];
const THROUGHPUT_MS = Number(process.env.BENCH_INTAKE_THROUGHPUT_MS ?? 5_000);

interface LoopResult {
  clients: number;
  requests: number;
  errors: number;
  perSecond: number;
  latency: Summary;
}

/** `clients` callers, each sending its next request as soon as the last one answered. */
async function closedLoop(clients: number, durationMs: number, operation: () => Promise<boolean>): Promise<LoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await operation().catch(() => false);
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  return { clients, requests: latencies.length, errors, perSecond: round(latencies.length / elapsedS, 1), latency: roundSummary(summarize(latencies)) };
}

async function main() {
  const emf = quietMetrics();
  // Only to tell their SDK calls apart from the request's: the handlers the stream and the workflow run.
  const background = new InvocationMeter();
  const bench: BenchStack = await startBenchStack({ timeScale: 1, wrapTask: (name, handler) => background.wrap(name, handler) });
  try {
    const { api, dynamo, tableName } = bench;
    const intake = async (headers: Record<string, string> = {}) => {
      const answer = await api.call('POST', '/escalations', escalationRequest(), headers);
      if (answer.status !== 201) throw new Error(`POST /escalations answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer;
    };

    // The raw put writes the very item intake stored (the case, with its index attributes).
    const first = await intake();
    const id = (first.body as { id: string }).id;
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `ESC#${id}` }, sk: { S: 'CASE' } } }));
    if (!Item) throw new Error('the case item intake wrote is not in the table');
    const itemBytes = Buffer.byteLength(JSON.stringify(Item));
    // Same attributes and size, under a sort key the stream consumers ignore: a baseline write
    // must not set off workflow starts and emails of its own. Its index entries are written
    // too (same cost), in partitions of their own: the owed-email sweep reads its index every
    // minute, and must not find outbox items no email belongs to.
    const asBaseline = (item: Record<string, AttributeValue>, pk: AttributeValue): Record<string, AttributeValue> => ({
      ...item,
      ...Object.fromEntries(Object.values(TABLE_DESIGN.indexes).flatMap(({ partitionKey }) => (item[partitionKey]?.S ? [[partitionKey, { S: `BENCH#${item[partitionKey].S}` }]] : []))),
      pk,
      sk: { S: `BENCH#${item.sk!.S!}` },
    });
    const rawPut = async () => {
      const item = asBaseline(Item, { S: `ESC#${randomUUID()}` });
      const t0 = performance.now();
      await dynamo.client.send(new PutItemCommand({ TableName: tableName, Item: item }));
      return performance.now() - t0;
    };
    // The baseline: the items intake's own transaction wrote (the case, its "created" event,
    // the outbox entries for the emails it owes), as one raw TransactWriteItems. The contact
    // directory is not among them: the table's stream writes it (docs/guarantees.md).
    const { Items: partition = [] } = await dynamo.client.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `ESC#${id}` } } }),
    );
    const createItems = partition.filter((item) => {
      const sk = item.sk?.S ?? '';
      return sk === 'CASE' || sk.startsWith('OUTBOX#') || (sk.startsWith('EVENT#') && !sk.includes('#n:'));
    });
    const rawTransact = async () => {
      const pk = { S: `ESC#${randomUUID()}` };
      const t0 = performance.now();
      await dynamo.client.send(new TransactWriteItemsCommand({ TransactItems: createItems.map((item) => ({ Put: { TableName: tableName, Item: asBaseline(item, pk) } })) }));
      return performance.now() - t0;
    };

    say(`intake: warming up (${WARMUP} requests, puts and transactions)…`);
    for (let i = 0; i < WARMUP; i++) {
      await intake();
      await rawPut();
      await rawTransact();
    }

    // What a request sets off (the stream's workflow start and emails) runs on other Lambdas on
    // AWS; here it shares the 2 cores. Each timed operation starts once that work is done, so
    // intake and the raw writes are measured on the same quiet machine.
    const quiet = () => bench.stack.caseChanges.drained();
    say(`intake: ${PAIRS} sequential POST /escalations, each followed by one raw PutItem and one raw TransactWriteItems…`);
    const posts: number[] = [];
    const puts: number[] = [];
    const transacts: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      await quiet();
      posts.push((await intake()).ms);
      await quiet();
      puts.push(await rawPut());
      await quiet();
      transacts.push(await rawTransact());
    }

    say(`intake: ${KEYED_PAIRS} more with an Idempotency-Key header…`);
    const keyed: number[] = [];
        for (let i = 0; i < KEYED_PAIRS; i++) {
      await quiet();
      keyed.push((await intake({ 'idempotency-key': randomUUID() })).ms);
      await quiet();
      await rawTransact();
    }

    // Where an intake's time goes: the SDK calls inside each request, timed by a middleware
    // on the clients the handlers use (timing only: the requests themselves are unchanged).
    say(`intake: ${KEYED_PAIRS} more with the SDK calls inside each request timed…`);
    const tableMeter = new SdkMeter({ consumedCapacity: false });
    tableMeter.attach(findSdkClient(container().webhooks) /* the one DynamoDB client every table store shares */);
    const parts = { total: [] as number[], dynamoWrites: [] as number[], requestReads: [] as number[], background: [] as number[], rest: [] as number[] };
    const readsPerRequest: number[] = [];
    const writesPerRequest: number[] = [];
    // Items in the request's own TransactWriteItems, without and with an Idempotency-Key (every tenth request).
    const transactionItems = { plain: [] as number[], keyed: [] as number[] };
    for (let i = 0; i < KEYED_PAIRS; i++) {
      await quiet();
      const keyed = i % 10 === 9;
      const from = performance.now();
      const answer = await intake(keyed ? { 'idempotency-key': randomUUID() } : {});
      const until = performance.now();
      const inside = (calls: SdkCall[]) => calls.filter((call) => call.start >= from && call.start + call.ms <= until);
      const table = inside(tableMeter.calls);
      // The request writes once; calls overlapping it come from the work the table's stream set off
      // for earlier requests (case-workflows, queued-emails) and the workflows, running alongside.
      // Stream and workflow handlers are wrapped (their calls carry `from`); the API handler is not.
      const writes = table.filter((call) => call.kind === 'write' && call.from === undefined);
      // The request's own reads: the account's profile (sponsor routing), and with a key the key's record.
      const reads = table.filter((call) => call.kind === 'read' && call.from === undefined);
      const background = table.filter((call) => call.from !== undefined);
      const sum = (calls: SdkCall[]) => calls.reduce((total, call) => total + call.ms, 0);
      parts.total.push(answer.ms);
      parts.dynamoWrites.push(sum(writes));
      parts.background.push(sum(background));
      parts.requestReads.push(sum(reads));
      parts.rest.push(answer.ms - sum(writes) - sum(reads));
      readsPerRequest.push(reads.length);
      writesPerRequest.push(writes.length);
      for (const call of writes) if (call.command === 'TransactWriteItems' && call.items !== undefined) transactionItems[keyed ? 'keyed' : 'plain'].push(call.items);
      await rawPut();
    }
    const itemsPerTransaction = { plain: Math.max(...transactionItems.plain), keyed: Math.max(...transactionItems.keyed), baseline: createItems.length };
    const breakdownItems = () => `${itemsPerTransaction.plain} (the raw baseline: ${itemsPerTransaction.baseline}); with an Idempotency-Key ${itemsPerTransaction.keyed}`;
    tableMeter.enabled = false;

    const post = roundSummary(summarize(posts));
    const put = roundSummary(summarize(puts));
    const transact = roundSummary(summarize(transacts));
    const withKey = roundSummary(summarize(keyed));

    // The budget's ratio: intake against the raw transaction of its own items.
    const ratioP50 = round(post.p50 / transact.p50);
    const ratioP99 = round(post.p99 / transact.p99);
    printTable(
      `Intake latency, sequential, one client (ms). Case item ${itemBytes} bytes as DynamoDB JSON.`,
      ['operation', 'n', 'p50', 'p90', 'p99', 'max', '÷ raw transaction p50', 'p99'],
      [
        [`raw TransactWriteItems of intake's ${createItems.length} items (the baseline)`, transact.n, transact.p50, transact.p90, transact.p99, transact.max, 1, 1],
        ['raw PutItem of the case item alone (reference)', put.n, put.p50, put.p90, put.p99, put.max, round(put.p50 / transact.p50), round(put.p99 / transact.p99)],
        ['POST /escalations via local gateway', post.n, post.p50, post.p90, post.p99, post.max, ratioP50, ratioP99],
        ['  … with Idempotency-Key (one item more: the idempotency record)', withKey.n, withKey.p50, withKey.p90, withKey.p99, withKey.max, round(withKey.p50 / transact.p50), round(withKey.p99 / transact.p99)],
      ],
      `Items per intake transaction, as the request sent it: ${breakdownItems()}.`,
    );
    const p50 = (samples: number[]) => round(summarize(samples).p50);
    const breakdown = {
      total: p50(parts.total),
      dynamoWrites: p50(parts.dynamoWrites),
      dynamoReads: p50(parts.requestReads),
      dynamoReadCallsPerRequest: summarize(readsPerRequest).p50,
      gatewayHandlerAndClient: p50(parts.rest),
      dynamoWriteCallsPerRequest: summarize(writesPerRequest).p50,
      concurrentBackgroundCalls: p50(parts.background),
    };
    printTable(
      'Where a POST /escalations spends its time (p50 of each part over the same requests, ms)',
      ['part', 'p50 ms', 'calls per request'],
      [
        ['whole request (client-side)', breakdown.total, null],
        ['DynamoDB writes (TransactWriteItems …)', breakdown.dynamoWrites, breakdown.dynamoWriteCallsPerRequest],
        ["DynamoDB reads before it (the account's profile, for sponsor routing)", breakdown.dynamoReads, breakdown.dynamoReadCallsPerRequest],
        ['the rest: HTTP, gateway, middy, zod, the SLA calendar', breakdown.gatewayHandlerAndClient, null],
      ],
      `(the parts' p50s need not add up to the total's p50. Emails and the workflow start follow from the table's stream, off the request path; in this one process that work for earlier requests overlaps: p50 ${breakdown.concurrentBackgroundCalls} ms of its DynamoDB calls inside the request window)`,
    );

    const throughput: LoopResult[] = [];
    const rawThroughput: LoopResult[] = [];
    for (const clients of CONCURRENCY) {
      say(`intake: ${clients} concurrent client(s) for ${THROUGHPUT_MS / 1000} s…`);
      throughput.push(await closedLoop(clients, THROUGHPUT_MS, async () => (await api.call('POST', '/escalations', escalationRequest())).status === 201));
      rawThroughput.push(await closedLoop(clients, THROUGHPUT_MS / 2, async () => (await rawTransact()) >= 0));
    }
    printTable(
      `Throughput, closed loop (${THROUGHPUT_MS / 1000} s per row for intake, ${THROUGHPUT_MS / 2000} s for the raw transaction of intake's ${createItems.length} items)`,
      ['clients', 'intake req/s', 'p50 ms', 'p99 ms', 'errors', 'raw transactions/s', 'p50 ms', 'p99 ms'],
      throughput.map((row, i) => [row.clients, row.perSecond, row.latency.p50, row.latency.p99, row.errors, rawThroughput[i]!.perSecond, rawThroughput[i]!.latency.p50, rawThroughput[i]!.latency.p99]),
      'No budget: DynamoDB Local (one JVM) and the work the stream sets off (emails, workflow starts, the contact directory) share these 2 cores with the handler; on AWS they run elsewhere and each Lambda instance serves one request at a time.',
    );

    emitResult('intake', {
      itemBytes,
      rawPut: put,
      rawCreateTransaction: { items: createItems.length, ...transact },
      intake: post,
      ratioP50,
      ratioP99,
      itemsPerTransaction,
      intakeWithIdempotencyKey: withKey,
      ratioWithIdempotencyKeyP50: round(withKey.p50 / transact.p50),
      breakdownP50: breakdown,
      throughput: throughput.map((row) => ({ clients: row.clients, perSecond: row.perSecond, p50: row.latency.p50, p99: row.latency.p99, requests: row.requests, errors: row.errors })),
      rawTransactionThroughput: rawThroughput.map((row) => ({ clients: row.clients, perSecond: row.perSecond, p50: row.latency.p50, p99: row.latency.p99 })),
      metricLines: emf.count(),
    });
  } finally {
    await bench.stop();
  }
}

await main();
