/**
 * Meters for the cost bench (and breakdowns elsewhere), all in the bench process:
 *   - SdkMeter: a middleware on the SDK client the handlers use times every call and, for
 *     DynamoDB, asks for ReturnConsumedCapacity=INDEXES and records what DynamoDB Local
 *     reports for the table and each GSI. DynamoDB Local applies the service's rules (1 KB
 *     write units, 4 KB read units, transactions doubled, a GSI write per changed index).
 *   - InvocationMeter: wraps each handler function (a Lambda) to count and time its calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/** Which wrapped handler (Lambda) an SDK call was made from: InvocationMeter sets it, SdkMeter reads it. */
const invoker = new AsyncLocalStorage<string>();

type Handler = (...args: never[]) => Promise<unknown>;

interface ConsumedCapacity {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

interface SdkArgs {
  input: Record<string, unknown>;
}
type SdkNext = (args: SdkArgs) => Promise<{ output: unknown }>;
interface SdkStack {
  add(middleware: (next: SdkNext, context: { commandName?: string }) => SdkNext, options: { step: 'initialize'; name: string; priority?: 'high' | 'normal' | 'low' }): void;
}

export interface SdkCall {
  command: string;
  kind: 'read' | 'write';
  /** performance.now() when the call started, and how long it took. */
  start: number;
  ms: number;
  /** The metered handler the call came from, if any. */
  from?: string;
  /** TransactWriteItems / TransactGetItems: how many items the transaction held. */
  items?: number;
  /** Capacity units on the table itself, and per GSI; undefined when the call failed. */
  table?: number;
  indexes?: Record<string, number>;
  total?: number;
  error?: string;
}

const READS = /^(Get|BatchGet|Query|Scan|TransactGet)/;

export class SdkMeter {
  enabled = true;
  readonly calls: SdkCall[] = [];

  /** consumedCapacity: ask DynamoDB for ReturnConsumedCapacity=INDEXES (off: timing only, the request unchanged). */
  constructor(private readonly options: { consumedCapacity: boolean } = { consumedCapacity: true }) {}

  /** Attaches to an SDK v3 client; a DynamoDBDocumentClient shares its DynamoDBClient's middleware stack. */
  attach(client: unknown) {
    const stack = (client as { middlewareStack?: SdkStack }).middlewareStack;
    if (!stack?.add) throw new Error('SdkMeter: not an AWS SDK v3 client (no middlewareStack)');
    stack.add(
      (next, context) => async (args) => {
        if (!this.enabled) return next(args);
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const kind = READS.test(command) ? 'read' : 'write';
        const from = invoker.getStore();
        const transactItems = (args.input.TransactItems as unknown[] | undefined)?.length;
        if (this.options.consumedCapacity) args.input.ReturnConsumedCapacity = 'INDEXES';
        const started = performance.now();
        try {
          const result = await next(args);
          const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
          const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
          const indexes: Record<string, number> = {};
          let table = 0;
          let total = 0;
          for (const entry of list) {
            table += entry.Table?.CapacityUnits ?? 0;
            total += entry.CapacityUnits ?? 0;
            for (const [name, value] of Object.entries(entry.GlobalSecondaryIndexes ?? {})) indexes[name] = (indexes[name] ?? 0) + (value.CapacityUnits ?? 0);
          }
          this.calls.push({ command, kind, start: started, ms: performance.now() - started, from, items: transactItems, table, indexes, total });
          return result;
        } catch (error) {
          this.calls.push({ command, kind, start: started, ms: performance.now() - started, from, error: (error as Error).name });
          throw error;
        }
      },
      { step: 'initialize', name: 'benchSdkMeter', priority: 'high' },
    );
  }

  reset() {
    this.calls.length = 0;
  }
}

/**
 * Adapters keep their SDK client (the repository's DynamoDBDocumentClient, the mailer's
 * SESv2Client) in a private field; find it by shape rather than by name, so a rename
 * inside an adapter does not break the bench.
 */
export function findSdkClient(holder: object): unknown {
  for (const value of Object.values(holder)) {
    if (value && typeof value === 'object' && 'middlewareStack' in value && typeof (value as { send?: unknown }).send === 'function') return value;
  }
  throw new Error(`no AWS SDK client found on ${holder.constructor.name}; the SDK meter needs one`);
}

export interface Invocation {
  name: string;
  ms: number;
  ok: boolean;
}

/** Counts and times calls to handler functions (the Lambdas), in process. */
export class InvocationMeter {
  enabled = true;
  readonly invocations: Invocation[] = [];

  wrap<H extends Handler>(name: string, handler: H): H {
    return (async (...args: Parameters<H>) => {
      if (!this.enabled) return handler(...args);
      const started = performance.now();
      let ok = false;
      try {
        const result = await invoker.run(name, () => handler(...args));
        ok = true;
        return result;
      } finally {
        this.invocations.push({ name, ms: performance.now() - started, ok });
      }
    }) as H;
  }

  reset() {
    this.invocations.length = 0;
  }
}
