import {
  DescribeStreamCommand,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  TrimmedDataAccessException,
  type _Record,
  type AttributeValue as StreamsAttributeValue,
  type DynamoDBStreamsClient,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

export interface TableStreamOptions {
  /**
   * A streams client for DynamoDB Local's endpoint (it serves the stream API on the table port),
   * e.g. `new DynamoDBStreamsClient({ endpoint, region: 'local', credentials })`.
   */
  client: DynamoDBStreamsClient;
  /** The table's LatestStreamArn (CreateTable or DescribeTable answers it). */
  streamArn: string;
  handler: (event: DynamoDBStreamEvent) => Promise<unknown>;
  /** Lambda's event filter: only records for which this returns true are delivered. */
  filter?: (record: DynamoDBRecord) => boolean;
  /** Most records per invocation (default 100; one GetRecords reads at most 1000). */
  batchSize?: number;
  /** Wait between polls of a shard that had nothing new (default 25 ms). */
  pollIntervalMs?: number;
  /** A failing batch is retried this many times (default 3), then reported via onFailure and skipped, as an on-failure destination would. */
  maxRetries?: number;
  /** Wait before the first retry, doubled for each further one (default 100 ms). */
  retryDelayMs?: number;
  /** Default: console.error with the keys. */
  onFailure?: (records: DynamoDBRecord[], error: unknown) => void;
}

export interface TableStream {
  /** Ends every loop promptly and waits for the handler call in flight (a batch waiting to be retried is dropped). */
  stop(): Promise<void>;
  /**
   * Resolves once every record written before the call has been handled (delivered, filtered out
   * or given up on); at once after stop(), never while the stream cannot be read.
   */
  drained(): Promise<void>;
}

// DynamoDB Local run as a server never rolls a shard over (its rollover job is only reachable from
// the embedded Java API), but AWS does every few hours and a disabled stream closes its shard: new
// shards are looked for every second, and at once when a shard closes or drained() asks.
const DISCOVER_EVERY_MS = 1000;
// Errors other than a failing handler (DynamoDB Local restarting, say) are retried at this pace.
const ERROR_BACKOFF_MS = 500;
const GET_RECORDS_LIMIT = 1000;

/**
 * The table's DynamoDB stream delivered to a handler as Lambda's event source mapping does
 * (NEW_AND_OLD_IMAGES, optional filter, on-failure destination): one reader per shard, shards
 * in parent-before-child order, batches of a shard one at a time. Where it starts differs: the
 * deployed mapping starts at TRIM_HORIZON once and then keeps its place across deploys, while
 * this follower keeps no place across restarts, so it starts at LATEST (re-reading a day of
 * records on every `npm start` would resend their emails); what a killed process left owed is
 * the sweeps' to finish, as it would be on AWS after a failed batch.
 * Resolves once every open shard is positioned, so any write after that is delivered.
 * The follower keeps no timer alive of its own: it never holds the process open.
 */
export async function followTableStream(options: TableStreamOptions): Promise<TableStream> {
  const follower = new TableStreamFollower(options);
  await follower.start();
  return { stop: () => follower.stop(), drained: () => follower.drained() };
}

interface ShardState {
  id: string;
  parentId?: string;
  /**
   * Where a shard with nothing handled yet is read from: LATEST when open at start, else from its
   * beginning. (An iterator that expires before anything was handled can only go back to LATEST.)
   */
  origin: 'LATEST' | 'TRIM_HORIZON';
  status: 'waiting' | 'reading' | 'finished';
  /** Sequence number of the last record handled: an expired iterator resumes after it. */
  lastSequence?: string;
  /** Tick of the last GetRecords that found nothing new (drained() compares it with its own tick). */
  caughtUpAt: number;
  firstIterator?: string;
  loop?: Promise<void>;
  pause: Pause;
}

class TableStreamFollower {
  private readonly client: DynamoDBStreamsClient;
  private readonly streamArn: string;
  private readonly handler: TableStreamOptions['handler'];
  private readonly filter?: TableStreamOptions['filter'];
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly onFailure: NonNullable<TableStreamOptions['onFailure']>;

  private readonly shards = new Map<string, ShardState>();
  private readonly abort = new AbortController();
  private readonly discoveryPause = new Pause();
  private discoveryLoop?: Promise<void>;
  private stopping = false;
  private stopped?: Promise<void>;
  private tick = 0;
  private describedAt = 0;
  private readonly drainWaiters: { after: number; resolve: () => void }[] = [];
  private readonly lastWarning = new Map<string, string>();

  constructor(options: TableStreamOptions) {
    this.client = options.client;
    this.streamArn = options.streamArn;
    this.handler = options.handler;
    this.filter = options.filter;
    this.batchSize = Math.max(1, Math.min(options.batchSize ?? 100, GET_RECORDS_LIMIT));
    this.pollIntervalMs = options.pollIntervalMs ?? 25;
    this.maxRetries = Math.max(0, options.maxRetries ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.onFailure = options.onFailure ?? defaultOnFailure;
  }

  async start() {
    // A wrong ARN should fail the caller now, not warn forever in the background.
    const listed = await this.describe();
    this.describedAt = this.nextTick();
    for (const shard of listed) {
      if (!shard.ShardId) continue;
      // Shards closed before the start hold only old records: LATEST means skipping them.
      const open = !shard.SequenceNumberRange?.EndingSequenceNumber;
      this.shards.set(shard.ShardId, this.shardState(shard, open ? 'reading' : 'finished', 'LATEST'));
    }
    const reading = [...this.shards.values()].filter((shard) => shard.status === 'reading');
    // Positioning before resolving is what lets a caller write right after start and see it delivered.
    await Promise.all(reading.map(async (shard) => (shard.firstIterator = await this.iterator(shard))));
    for (const shard of reading) shard.loop = this.read(shard);
    this.discoveryLoop = this.discoverLoop();
  }

  stop() {
    if (!this.stopped) {
      this.stopping = true;
      this.abort.abort();
      this.discoveryPause.interrupt();
      for (const shard of this.shards.values()) shard.pause.interrupt();
      for (const waiter of this.drainWaiters.splice(0)) waiter.resolve();
      // Nothing starts a loop once stopping is set, so these are all there will be.
      const loops = [this.discoveryLoop, ...[...this.shards.values()].map((shard) => shard.loop)];
      this.stopped = Promise.all(loops).then(() => undefined);
    }
    return this.stopped;
  }

  drained() {
    if (this.stopping) return Promise.resolve();
    const after = this.nextTick();
    return new Promise<void>((resolve) => {
      this.drainWaiters.push({ after, resolve });
      // A record written just now may sit in a shard nobody has listed yet.
      this.discoveryPause.interrupt();
    });
  }

  private nextTick() {
    return ++this.tick;
  }

  private shardState(shard: Shard, status: ShardState['status'], origin: ShardState['origin']): ShardState {
    return { id: shard.ShardId!, ...(shard.ParentShardId && { parentId: shard.ParentShardId }), origin, status, caughtUpAt: 0, pause: new Pause() };
  }

  private async describe() {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ...(exclusiveStartShardId && { ExclusiveStartShardId: exclusiveStartShardId }) }),
        { abortSignal: this.abort.signal },
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
    return shards;
  }

  private async discoverLoop() {
    while (!this.stopping) {
      await this.discoveryPause.sleep(DISCOVER_EVERY_MS);
      if (this.stopping) return;
      const tick = this.nextTick();
      let listed: Shard[];
      try {
        listed = await this.describe();
        this.lastWarning.delete('describe');
      } catch (error) {
        if (!this.stopping) this.warn('describe', 'DescribeStream failed', error);
        continue;
      }
      const ids = new Set<string>();
      for (const shard of listed) {
        if (!shard.ShardId) continue;
        ids.add(shard.ShardId);
        // A shard we have not seen opened after the start: read all of it, once its parent is done.
        if (!this.shards.has(shard.ShardId)) this.shards.set(shard.ShardId, this.shardState(shard, 'waiting', 'TRIM_HORIZON'));
      }
      // Forget finished shards only once the stream no longer lists them, or they would be read again.
      for (const [id, shard] of this.shards) if (shard.status === 'finished' && !ids.has(id)) this.shards.delete(id);
      this.startReadyShards();
      this.describedAt = tick;
      this.settleDrainWaiters();
    }
  }

  /** Starts every waiting shard whose parent is finished (or was never ours): per-key order runs parent to child. */
  private startReadyShards() {
    if (this.stopping) return;
    for (const shard of this.shards.values()) {
      if (shard.status !== 'waiting') continue;
      const parent = shard.parentId === undefined ? undefined : this.shards.get(shard.parentId);
      if (parent && parent.status !== 'finished') continue;
      shard.status = 'reading';
      shard.loop = this.read(shard);
    }
  }

  private async read(shard: ShardState) {
    let iterator = shard.firstIterator;
    shard.firstIterator = undefined;
    while (!this.stopping) {
      iterator ??= await this.iterator(shard);
      if (iterator === undefined) break;
      const tick = this.nextTick();
      try {
        const page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.batchSize }), { abortSignal: this.abort.signal });
        this.lastWarning.delete(shard.id);
        const records = page.Records ?? [];
        if (records.length > 0) await this.deliver(shard, records);
        // No next iterator: the shard is closed and read to its end.
        if (page.NextShardIterator === undefined) break;
        iterator = page.NextShardIterator;
        if (records.length === 0) {
          shard.caughtUpAt = tick;
          this.settleDrainWaiters();
          await shard.pause.sleep(this.pollIntervalMs);
        }
      } catch (error) {
        if (this.stopping) break;
        // Iterators live 15 minutes; a new one resumes after the last record handled.
        if (error instanceof ExpiredIteratorException) {
          iterator = undefined;
          continue;
        }
        if (error instanceof TrimmedDataAccessException) {
          this.trimmed(shard, error);
          iterator = undefined;
          continue;
        }
        if (error instanceof ResourceNotFoundException) {
          this.warn(shard.id, `shard ${shard.id} is gone`, error);
          break;
        }
        // Anything else (DynamoDB Local restarting, say) reads the same page again: iterators may be reused.
        this.warn(shard.id, `reading shard ${shard.id} failed`, error);
        await shard.pause.sleep(ERROR_BACKOFF_MS);
      }
    }
    shard.status = 'finished';
    if (this.stopping) return;
    this.startReadyShards();
    this.discoveryPause.interrupt();
    this.settleDrainWaiters();
  }

  /** An iterator at the shard's current position, or undefined when the shard can no longer be read. */
  private async iterator(shard: ShardState): Promise<string | undefined> {
    while (!this.stopping) {
      try {
        const { ShardIterator } = await this.client.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: shard.id,
            ...(shard.lastSequence ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequence } : { ShardIteratorType: shard.origin }),
          }),
          { abortSignal: this.abort.signal },
        );
        this.lastWarning.delete(shard.id);
        return ShardIterator;
      } catch (error) {
        if (this.stopping) return undefined;
        if (error instanceof ResourceNotFoundException) {
          this.warn(shard.id, `shard ${shard.id} is gone`, error);
          return undefined;
        }
        if (error instanceof TrimmedDataAccessException) {
          this.trimmed(shard, error);
          continue;
        }
        this.warn(shard.id, `GetShardIterator on shard ${shard.id} failed`, error);
        await shard.pause.sleep(ERROR_BACKOFF_MS);
      }
    }
    return undefined;
  }

  /** Records older than 24 h are gone: carry on from the oldest still there, as Lambda would. */
  private trimmed(shard: ShardState, error: unknown) {
    this.warn(shard.id, `shard ${shard.id}: records were trimmed (24 h) before they were read`, error);
    shard.lastSequence = undefined;
    shard.origin = 'TRIM_HORIZON';
  }

  private async deliver(shard: ShardState, records: _Record[]) {
    const lastSequence = records.at(-1)?.dynamodb?.SequenceNumber;
    const all = records.map((record) => lambdaRecord(record, this.streamArn));
    let chosen = all;
    try {
      if (this.filter) chosen = all.filter(this.filter);
    } catch (error) {
      // A filter that throws would throw on every retry: report the batch at once.
      this.report(all, error);
      chosen = [];
    }
    if (chosen.length > 0) await this.invoke(shard, chosen);
    // Filtered-out and given-up records count as handled, as Lambda checkpoints past them.
    if (lastSequence) shard.lastSequence = lastSequence;
  }

  private async invoke(shard: ShardState, records: DynamoDBRecord[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        // Each attempt gets its own copy, as each Lambda invocation parses its own event.
        await this.handler({ Records: structuredClone(records) });
        return;
      } catch (error) {
        if (attempt >= this.maxRetries) return this.report(records, error);
      }
      if (this.stopping) return;
      await shard.pause.sleep(this.retryDelayMs * 2 ** attempt);
      if (this.stopping) return;
    }
  }

  private report(records: DynamoDBRecord[], error: unknown) {
    try {
      this.onFailure(records, error);
    } catch (failure) {
      console.error('local table stream: onFailure threw:', failure);
    }
  }

  private settleDrainWaiters() {
    if (this.drainWaiters.length === 0) return;
    const shards = [...this.shards.values()];
    for (let index = this.drainWaiters.length - 1; index >= 0; index--) {
      const { after, resolve } = this.drainWaiters[index]!;
      if (this.describedAt <= after) continue;
      if (!shards.every((shard) => shard.status === 'finished' || shard.caughtUpAt > after)) continue;
      this.drainWaiters.splice(index, 1);
      resolve();
    }
  }

  /** Logs the first of a run of identical failures: a DynamoDB Local that is down should not flood the console every 25 ms. */
  private warn(where: string, message: string, error: unknown) {
    const text = `${message}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    if (this.lastWarning.get(where) === text) return;
    this.lastWarning.set(where, text);
    console.error(`local table stream: ${text}`);
  }
}

function defaultOnFailure(records: DynamoDBRecord[], error: unknown) {
  const keys = records.map((record) => JSON.stringify(record.dynamodb?.Keys ?? {}));
  console.error(`local table stream: gave up on ${records.length} record(s) ${keys.join(', ')}:`, error);
}

/** A stream record as Lambda delivers it: images stay DynamoDB JSON, binaries are base64, the time is epoch seconds. */
function lambdaRecord(record: _Record, streamArn: string): DynamoDBRecord {
  const change = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb: change && {
      ...(change.ApproximateCreationDateTime && { ApproximateCreationDateTime: Math.floor(change.ApproximateCreationDateTime.getTime() / 1000) }),
      ...(change.Keys && { Keys: lambdaImage(change.Keys) }),
      ...(change.NewImage && { NewImage: lambdaImage(change.NewImage) }),
      ...(change.OldImage && { OldImage: lambdaImage(change.OldImage) }),
      SequenceNumber: change.SequenceNumber,
      SizeBytes: change.SizeBytes,
      StreamViewType: change.StreamViewType,
    },
    eventSourceARN: streamArn,
    // TTL deletions carry the service principal; Lambda spells the fields in lower camel case.
    ...(record.userIdentity && { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } }),
  };
}

function lambdaImage(image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, lambdaValue(value)]));
}

function lambdaValue(value: StreamsAttributeValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: base64(value.B) };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map(base64) };
  if (value.M !== undefined) return { M: lambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(lambdaValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  // The streams client reads an empty map ({"M":{}}) back as a union with no member set.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new Error(`local table stream: attribute type ${Object.keys(value).join(', ')} is unknown to this SDK version`);
}

function base64(bytes: Uint8Array) {
  return Buffer.from(bytes).toString('base64');
}

/** A sleep that can be cut short; an interrupt that comes while awake makes the next sleep return at once. */
class Pause {
  private wake?: () => void;
  private interrupted = false;

  sleep(ms: number) {
    if (this.interrupted) {
      this.interrupted = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  interrupt() {
    if (this.wake) this.wake();
    else this.interrupted = true;
  }
}
