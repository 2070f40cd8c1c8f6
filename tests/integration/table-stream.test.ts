import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record,
  type GetShardIteratorCommandInput,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { followTableStream, type TableStream, type TableStreamOptions } from '../../local/table-stream';
import { waitFor } from '../support/wait-for';

const endpoint = inject('dynamoEndpoint');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dynamo = new DynamoDBClient({ endpoint, region: 'local', credentials });
const streams = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials });

const tables: string[] = [];
const followers: TableStream[] = [];

afterEach(async () => {
  await Promise.all(followers.splice(0).map((follower) => follower.stop()));
});
afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamo.send(new DeleteTableCommand({ TableName }))));
});

/** A pk/sk table of its own per test, its stream as the deployed table's: new and old images. */
async function freshTable() {
  const name = `stream-${randomUUID()}`;
  const { TableDescription } = await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  tables.push(name);
  const streamArn = TableDescription?.LatestStreamArn;
  if (!streamArn) throw new Error('CreateTable answered no stream ARN');
  return {
    streamArn,
    put: (pk: string, attributes: Record<string, AttributeValue> = {}) =>
      dynamo.send(new PutItemCommand({ TableName: name, Item: { pk: { S: pk }, sk: { S: '1' }, ...attributes } })),
    update: (pk: string, n: number) =>
      dynamo.send(
        new UpdateItemCommand({ TableName: name, Key: { pk: { S: pk }, sk: { S: '1' } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: String(n) } } }),
      ),
  };
}

async function follow(options: Omit<TableStreamOptions, 'client'> & { client?: DynamoDBStreamsClient }) {
  const follower = await followTableStream({ client: streams, ...options });
  followers.push(follower);
  return follower;
}

const pkOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.pk?.S;
const key = (pk: string) => ({ pk: { S: pk }, sk: { S: '1' } });

describe('the table stream, delivered as Lambda delivers it', () => {
  it('inserts and a modify arrive in write order, as DynamoDB JSON with both images; earlier writes are not replayed', async () => {
    const table = await freshTable();
    await table.put('before-start');
    const received: DynamoDBRecord[] = [];
    const startedAt = Date.now();
    const stream = await follow({ streamArn: table.streamArn, handler: async (event) => void received.push(...event.Records) });

    await table.put('a', { n: { N: '1' }, blob: { B: new Uint8Array([1, 2, 3]) }, tags: { SS: ['x', 'y'] }, nested: { M: { list: { L: [{ B: new Uint8Array([255]) }, { NULL: true }] }, empty: { M: {} } } } });
    await table.put('b');
    await table.put('c', { n: { N: '7' } });
    await table.update('a', 2);
    await waitFor(async () => received.length >= 4, { what: 'four records' });
    await stream.drained();

    expect(received.map((record) => [record.eventName, record.dynamodb?.Keys])).toEqual([
      ['INSERT', key('a')],
      ['INSERT', key('b')],
      ['INSERT', key('c')],
      ['MODIFY', key('a')],
    ]);
    const imageOfA = { ...key('a'), blob: { B: 'AQID' }, tags: { SS: ['x', 'y'] }, nested: { M: { list: { L: [{ B: '/w==' }, { NULL: true }] }, empty: { M: {} } } } };
    const [insert, , , modify] = received;
    expect(insert).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: table.streamArn, eventVersion: '1.1', eventID: expect.any(String), awsRegion: expect.any(String) });
    expect(insert?.dynamodb?.NewImage).toEqual({ ...imageOfA, n: { N: '1' } });
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(modify?.dynamodb).toMatchObject({
      NewImage: { ...imageOfA, n: { N: '2' } },
      OldImage: { ...imageOfA, n: { N: '1' } },
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      SizeBytes: expect.any(Number),
    });
    // Lambda's event is plain JSON: no Date, no Uint8Array survives a round trip unchanged.
    expect(JSON.parse(JSON.stringify(received))).toEqual(received);
    const sequence = received.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? '0'));
    expect(sequence.every((number, index) => index === 0 || number > sequence[index - 1]!)).toBe(true);
    expect(new Set(received.map((record) => record.eventID)).size).toBe(4);
    for (const record of received) {
      // Epoch seconds as Lambda sends them; DynamoDB Local rounds down to the minute.
      expect(record.dynamodb?.ApproximateCreationDateTime).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) - 60);
      expect(record.dynamodb?.ApproximateCreationDateTime).toBeLessThanOrEqual(Date.now() / 1000);
    }
  });

  it('the filter keeps records out of the handler', async () => {
    const table = await freshTable();
    const delivered: string[] = [];
    const filtered: string[] = [];
    const stream = await follow({
      streamArn: table.streamArn,
      filter: (record) => {
        filtered.push(pkOf(record)!);
        return record.dynamodb?.NewImage?.kind?.S === 'case';
      },
      handler: async (event) => void delivered.push(...event.Records.map((record) => pkOf(record)!)),
    });
    await table.put('case-1', { kind: { S: 'case' } });
    await table.put('event-1', { kind: { S: 'timeline' } });
    await table.put('case-2', { kind: { S: 'case' } });
    await waitFor(async () => delivered.includes('case-2'), { what: 'case-2' });
    await stream.drained();
    expect(filtered).toEqual(['case-1', 'event-1', 'case-2']);
    expect(delivered).toEqual(['case-1', 'case-2']);
  });

  it('a batch whose handler fails twice is retried whole and then delivered: nothing lost, skipped or reordered', async () => {
    const table = await freshTable();
    const attempts: string[][] = [];
    const delivered: string[] = [];
    const failures: DynamoDBRecord[][] = [];
    const stream = await follow({
      streamArn: table.streamArn,
      maxRetries: 3,
      retryDelayMs: 10,
      onFailure: (records) => failures.push(records),
      handler: async (event) => {
        const keys = event.Records.map((record) => pkOf(record)!);
        attempts.push(keys);
        if (attempts.length <= 2) throw new Error('transient');
        delivered.push(...keys);
      },
    });
    for (const pk of ['k1', 'k2', 'k3', 'k4']) await table.put(pk);
    await waitFor(async () => delivered.length >= 4, { what: 'four deliveries' });
    await stream.drained();
    expect(delivered).toEqual(['k1', 'k2', 'k3', 'k4']);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(failures).toEqual([]);
  });

  it('a batch that always fails goes to onFailure after maxRetries, with backoff, and later records still arrive', async () => {
    const table = await freshTable();
    const poisonAttempts: number[] = [];
    const delivered: string[] = [];
    const failures: { keys: string[]; error: unknown }[] = [];
    const stream = await follow({
      streamArn: table.streamArn,
      maxRetries: 2,
      retryDelayMs: 50,
      onFailure: (records, error) => failures.push({ keys: records.map((record) => pkOf(record)!), error }),
      handler: async (event) => {
        const keys = event.Records.map((record) => pkOf(record)!);
        if (keys.includes('poison')) {
          poisonAttempts.push(performance.now());
          throw new Error('poison');
        }
        delivered.push(...keys);
      },
    });
    await table.put('poison');
    await waitFor(async () => failures.length > 0, { what: 'onFailure' });
    expect(failures).toEqual([{ keys: ['poison'], error: new Error('poison') }]);
    expect(poisonAttempts).toHaveLength(3);
    // Timers may fire a millisecond early; the waits double from retryDelayMs.
    expect(poisonAttempts[1]! - poisonAttempts[0]!).toBeGreaterThanOrEqual(49);
    expect(poisonAttempts[2]! - poisonAttempts[1]!).toBeGreaterThanOrEqual(99);

    await table.put('after');
    await waitFor(async () => delivered.includes('after'), { what: 'the record after the poison one' });
    await stream.drained();
    expect(delivered).toEqual(['after']);
    expect(poisonAttempts).toHaveLength(3);
    expect(failures).toHaveLength(1);
  });

  it('an expired iterator resumes after the last record handled: nothing replayed, nothing skipped', async () => {
    const table = await freshTable();
    const client = new DynamoDBStreamsClient({ endpoint, region: 'local', credentials });
    const iteratorRequests: Record<string, unknown>[] = [];
    let expire: { reached: () => void; release: Promise<void> } | undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetShardIteratorCommand') iteratorRequests.push({ ...(args.input as Record<string, unknown>) });
        if (context.commandName === 'GetRecordsCommand' && expire) {
          const { reached, release } = expire;
          expire = undefined;
          reached();
          await release;
          throw new ExpiredIteratorException({ message: 'Iterator expired', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: 'expireOneIterator' },
    );
    const delivered: DynamoDBRecord[] = [];
    const stream = await follow({ client, streamArn: table.streamArn, handler: async (event) => void delivered.push(...event.Records) });
    await table.put('k1');
    await waitFor(async () => delivered.length === 1, { what: 'k1' });

    // Hold the reader's next poll, write behind its back, then tell it its iterator expired.
    let reached!: () => void;
    let release!: () => void;
    const atGate = new Promise<void>((resolve) => (reached = resolve));
    expire = { reached, release: new Promise<void>((resolve) => (release = resolve)) };
    await atGate;
    await table.put('k2');
    await table.put('k3');
    release();
    await waitFor(async () => delivered.length >= 3, { what: 'k2 and k3' });
    await stream.drained();

    expect(delivered.map(pkOf)).toEqual(['k1', 'k2', 'k3']);
    expect(iteratorRequests.at(-1)).toMatchObject({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: delivered[0]?.dynamodb?.SequenceNumber });
  });

  it('drained() resolves only once every earlier write has been handled', async () => {
    const table = await freshTable();
    const delivered: string[] = [];
    const stream = await follow({
      streamArn: table.streamArn,
      batchSize: 1,
      handler: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        delivered.push(...event.Records.map((record) => pkOf(record)!));
      },
    });
    const written = ['d1', 'd2', 'd3', 'd4', 'd5'];
    for (const pk of written) await table.put(pk);
    await stream.drained();
    expect(delivered).toEqual(written);
  });

  it('stop() waits for the batch in flight, then nothing more is delivered', async () => {
    const table = await freshTable();
    const seen: string[] = [];
    const witnessed: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const stream = await follow({
      streamArn: table.streamArn,
      handler: async (event) => {
        seen.push(...event.Records.map((record) => pkOf(record)!));
        await gate;
        finished = true;
      },
    });
    // A second reader of the same stream shows the later writes did reach it.
    const witness = await follow({ streamArn: table.streamArn, handler: async (event) => void witnessed.push(...event.Records.map((record) => pkOf(record)!)) });

    await table.put('in-flight');
    await waitFor(async () => seen.includes('in-flight'), { what: 'the slow batch' });
    let stopped = false;
    const stopping = stream.stop().then(() => (stopped = true));
    await table.put('during-stop');
    await waitFor(async () => witnessed.includes('during-stop'), { what: 'the witness to see during-stop' });
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);

    await table.put('after-stop');
    await waitFor(async () => witnessed.includes('after-stop'), { what: 'the witness to see after-stop' });
    await witness.drained();
    // Proving an absence takes a wait: several poll intervals of a reader that should be gone.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen).toEqual(['in-flight']);

    const idle = performance.now();
    await witness.stop();
    expect(performance.now() - idle).toBeLessThan(200);
  });

  it('a write reaches the handler within a few poll intervals', async ({ annotate }) => {
    const table = await freshTable();
    const arrivals = new Map<string, number>();
    await follow({ streamArn: table.streamArn, handler: async (event) => void event.Records.forEach((record) => arrivals.set(pkOf(record)!, performance.now())) });
    const latencies: number[] = [];
    for (let index = 0; index < 40; index++) {
      const pk = `write-${index}`;
      const writtenAt = performance.now();
      await table.put(pk);
      await waitFor(async () => arrivals.has(pk), { everyMs: 2, what: pk });
      latencies.push(arrivals.get(pk)! - writtenAt);
    }
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)]!;
    const p90 = latencies[Math.floor(latencies.length * 0.9)]!;
    await annotate(`write → handler: p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms`);
    expect(p50).toBeLessThan(250);
  });
});

/**
 * DynamoDB Local never rolls a shard over when run as a server (its rollover job is only
 * reachable from the embedded Java API), so shard rollover is scripted: an in-memory stream
 * that answers the three calls the follower makes, the way DynamoDB Streams does.
 */
class ScriptedStream {
  readonly arn = 'arn:aws:dynamodb:ddblocal:000000000000:table/scripted/stream/1';
  readonly shards: { id: string; parent?: string; records: _Record[]; closed: boolean; hold?: Promise<void> }[] = [];
  readonly iteratorRequests: GetShardIteratorCommandInput[] = [];
  describeCalls = 0;
  private sequence = 0;

  shard(id: string, parent?: string) {
    this.shards.push({ id, ...(parent && { parent }), records: [], closed: false });
  }
  write(shardId: string, pk: string) {
    const record: _Record = { eventID: randomUUID(), eventName: 'INSERT', eventVersion: '1.1', eventSource: 'aws:dynamodb', awsRegion: 'ddblocal', dynamodb: { Keys: { pk: { S: pk } }, SequenceNumber: String(++this.sequence).padStart(21, '0'), StreamViewType: 'NEW_AND_OLD_IMAGES' } };
    this.find(shardId).records.push(record);
  }
  close(shardId: string) {
    this.find(shardId).closed = true;
  }
  private find(id: string) {
    const shard = this.shards.find((candidate) => candidate.id === id);
    if (!shard) throw new Error(`no shard ${id}`);
    return shard;
  }

  readonly client = {
    send: async (command: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (command instanceof DescribeStreamCommand) {
        // DescribeStream is slower than a poll, as on AWS: drained() must not take a listing for granted.
        await new Promise((resolve) => setTimeout(resolve, 100));
        this.describeCalls++;
        return {
          StreamDescription: {
            StreamArn: this.arn,
            Shards: this.shards.map((shard) => ({
              ShardId: shard.id,
              ParentShardId: shard.parent,
              SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: shard.closed ? shard.records.at(-1)?.dynamodb?.SequenceNumber ?? '1' : undefined },
            })),
          },
        };
      }
      if (command instanceof GetShardIteratorCommand) {
        const { ShardId, ShardIteratorType, SequenceNumber } = command.input;
        this.iteratorRequests.push(command.input);
        const shard = this.find(ShardId!);
        const position =
          ShardIteratorType === 'LATEST' ? shard.records.length
          : ShardIteratorType === 'TRIM_HORIZON' ? 0
          : shard.records.findIndex((record) => record.dynamodb?.SequenceNumber === SequenceNumber) + 1;
        return { ShardIterator: `${shard.id}|${position}` };
      }
      if (command instanceof GetRecordsCommand) {
        const [id, at] = command.input.ShardIterator!.split('|');
        const shard = this.find(id!);
        // Like the real client, a stalled call ends when the follower stops.
        await Promise.race([shard.hold, new Promise((_, reject) => options?.abortSignal?.addEventListener('abort', () => reject(new Error('aborted'))))]);
        const records = shard.records.slice(Number(at), Number(at) + (command.input.Limit ?? 1000));
        const next = Number(at) + records.length;
        return { Records: records, NextShardIterator: shard.closed && next >= shard.records.length ? undefined : `${shard.id}|${next}` };
      }
      throw new Error('the scripted stream answers DescribeStream, GetShardIterator and GetRecords only');
    },
  } as unknown as DynamoDBStreamsClient;
}

describe('shard rollover (a scripted stream: DynamoDB Local does not roll shards over)', () => {
  it('skips shards closed before the start, reads a parent to its end before its child, and a child from its beginning', async () => {
    const stream = new ScriptedStream();
    stream.shard('grandparent');
    stream.write('grandparent', 'before-start-1');
    stream.close('grandparent');
    stream.shard('parent', 'grandparent');
    stream.write('parent', 'before-start-2');
    const delivered: string[] = [];
    const follower = await follow({ client: stream.client, streamArn: stream.arn, handler: async (event) => void delivered.push(...event.Records.map((record) => pkOf(record)!)) });

    stream.write('parent', 'p1');
    await waitFor(async () => delivered.includes('p1'), { what: 'p1' });

    // The parent's reader stalls; meanwhile the parent closes and a child opens with records of its own.
    let release!: () => void;
    stream.shards[1]!.hold = new Promise<void>((resolve) => (release = resolve));
    stream.write('parent', 'p2');
    stream.close('parent');
    stream.shard('child', 'parent');
    stream.write('child', 'c1');
    stream.write('child', 'c2');
    const listedAt = stream.describeCalls;
    await waitFor(async () => stream.describeCalls > listedAt, { what: 'the child to be listed' });
    expect(stream.iteratorRequests.some((request) => request.ShardId === 'child')).toBe(false);
    expect(delivered).toEqual(['p1']);

    release();
    stream.write('child', 'c3');
    stream.close('child');
    stream.shard('grandchild', 'child');
    stream.write('grandchild', 'g1');
    // drained() covers a shard nobody has listed yet.
    await follower.drained();
    expect(delivered).toEqual(['p1', 'p2', 'c1', 'c2', 'c3', 'g1']);
    expect(stream.iteratorRequests.filter((request) => request.ShardId !== 'parent')).toEqual([
      expect.objectContaining({ ShardId: 'child', ShardIteratorType: 'TRIM_HORIZON' }),
      expect.objectContaining({ ShardId: 'grandchild', ShardIteratorType: 'TRIM_HORIZON' }),
    ]);
  });
});
