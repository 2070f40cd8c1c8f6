import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import type { DeployedFunction } from './synth';

const SANDBOX = path.join(import.meta.dirname, 'lambda-sandbox.mjs');
const INIT_PROBE = path.join(import.meta.dirname, '..', '..', 'bench', 'lib', 'init-probe.mjs');
/** Lambda gives an on-demand function's INIT this long. */
const INIT_LIMIT_MS = 10_000;
const LOG_TAIL_CHARS = 6_000;

export interface Deployed {
  fn: DeployedFunction;
  env: Record<string, string>;
  functionArn: string;
}

export class InvocationError extends Error {
  override name = 'InvocationError';
  constructor(
    message: string,
    readonly logTail: string,
  ) {
    super(message);
  }
}

export interface InitReport {
  node: string;
  bootMs: number;
  initMs: number;
}

/** A function's execution environment: its bundle loaded in a process of its own, kept warm between invocations. */
class Sandbox {
  private logTail = '';
  private pending?: { id: string; resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly deployed: Deployed,
    private readonly logFile: string,
    readonly init: InitReport,
  ) {}

  static start(deployed: Deployed, nodePath: string, logFile: string): Promise<Sandbox> {
    const child = fork(SANDBOX, [deployed.fn.modulePath, deployed.fn.exportName], {
      execPath: nodePath,
      // Not this process's flags (tsx's loader): the bundle gets only what the template's NODE_OPTIONS says.
      execArgv: [],
      cwd: deployed.fn.assetDir,
      env: deployed.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let early = '';
    const capture = (chunk: Buffer) => {
      early += chunk.toString('utf8');
      appendFileSync(logFile, chunk);
    };
    child.stdout!.on('data', capture);
    child.stderr!.on('data', capture);
    return new Promise<Sandbox>((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => {
        clearTimeout(timer);
        reject(new InvocationError(`the process exited during INIT (code ${code}, signal ${signal})`, early.slice(-LOG_TAIL_CHARS)));
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new InvocationError(`INIT did not finish within ${INIT_LIMIT_MS / 1000} s`, early.slice(-LOG_TAIL_CHARS)));
      }, INIT_LIMIT_MS);
      child.once('message', (message: { type: string; node: string; bootMs: number; initMs: number; error?: { name: string; message: string; stack?: string } }) => {
        clearTimeout(timer);
        child.off('exit', onExit);
        if (message.type === 'ready') {
          child.stdout!.off('data', capture);
          child.stderr!.off('data', capture);
          const sandbox = new Sandbox(child, deployed, logFile, { node: message.node, bootMs: message.bootMs, initMs: message.initMs });
          sandbox.logTail = early;
          sandbox.listen();
          resolve(sandbox);
        } else {
          reject(new InvocationError(`the bundle failed to load under Node ${message.node}: ${message.error?.name}: ${message.error?.message}`, early.slice(-LOG_TAIL_CHARS)));
        }
      });
      child.once('exit', onExit);
    });
  }

  private listen() {
    const capture = (chunk: Buffer) => {
      this.logTail = (this.logTail + chunk.toString('utf8')).slice(-LOG_TAIL_CHARS * 2);
      appendFileSync(this.logFile, chunk);
    };
    this.child.stdout!.on('data', capture);
    this.child.stderr!.on('data', capture);
    this.child.on('message', (message: { type: string; id: string; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
      const pending = this.pending;
      if (!pending || pending.id !== message.id) return;
      clearTimeout(pending.timer);
      this.pending = undefined;
      if (message.type === 'result') pending.resolve(message.result);
      else pending.reject(new InvocationError(`${message.error?.name}: ${message.error?.message}`, this.tail()));
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      if (pending) {
        clearTimeout(pending.timer);
        pending.reject(new InvocationError(`the process exited during the invocation (code ${code}, signal ${signal})`, this.tail()));
      }
    });
  }

  get alive() {
    return !this.exited;
  }

  private tail() {
    return this.logTail.slice(-LOG_TAIL_CHARS);
  }

  invoke(event: unknown): Promise<unknown> {
    if (this.pending) throw new Error('one invocation at a time per execution environment');
    const timeoutMs = Number(this.deployed.fn.properties.Timeout ?? 3) * 1000;
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      // Lambda stops an invocation at the function's timeout; so does this.
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new InvocationError(`Task timed out after ${timeoutMs / 1000} seconds (the function's Timeout)`, this.tail()));
      }, timeoutMs);
      this.pending = { id, resolve, reject, timer };
      this.child.send({ type: 'invoke', id, event, timeoutMs, functionArn: this.deployed.functionArn });
    });
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

export interface InitOutcome {
  handler: string;
  init?: InitReport;
  error?: InvocationError;
}

/** Every function of the template, each in its own execution environment under the Lambda runtime's Node. */
export class Lambdas {
  private readonly sandboxes = new Map<string, Sandbox>();
  readonly invocations = new Map<string, number>();
  /** The first INIT of each function (the one the smoke events ran in). */
  readonly firstInit = new Map<string, InitOutcome>();

  constructor(
    readonly deployed: Map<string, Deployed>,
    private readonly nodePath: string,
    private readonly logDir: string,
  ) {}

  logFileOf(handler: string) {
    return path.join(this.logDir, `${handler}.log`);
  }

  /** INIT of one function (a cold start); the outcome of its first is kept for the report. */
  async start(handler: string): Promise<Sandbox> {
    const deployed = this.deployed.get(handler);
    if (!deployed) throw new InvocationError(`the template has no function running ${handler}`, '');
    try {
      const sandbox = await Sandbox.start(deployed, this.nodePath, this.logFileOf(handler));
      this.sandboxes.set(handler, sandbox);
      if (!this.firstInit.has(handler)) this.firstInit.set(handler, { handler, init: sandbox.init });
      return sandbox;
    } catch (error) {
      if (!this.firstInit.has(handler)) this.firstInit.set(handler, { handler, error: error as InvocationError });
      throw error;
    }
  }

  /** Invokes a function with an event, as its event source would; a cold start first if it has no live environment. */
  async invoke(handler: string, event: unknown): Promise<unknown> {
    this.invocations.set(handler, (this.invocations.get(handler) ?? 0) + 1);
    try {
      const failedInit = this.firstInit.get(handler)?.error;
      if (failedInit && !this.sandboxes.get(handler)) throw failedInit;
      let sandbox = this.sandboxes.get(handler);
      if (!sandbox?.alive) sandbox = await this.start(handler);
      return await sandbox.invoke(event);
    } catch (error) {
      // Whichever step invoked it, the message names the function that failed.
      if (error instanceof InvocationError) throw new InvocationError(`${handler}: ${error.message}`, error.logTail);
      throw error;
    }
  }

  async stopAll() {
    await Promise.all([...this.sandboxes.values()].map((sandbox) => sandbox.stop()));
    this.sandboxes.clear();
  }
}

export interface ProbeResult {
  bootMs: number;
  importMs: number;
  totalMs: number;
  handlerType?: string;
  error?: string;
  network: string[];
}

/**
 * One fresh process importing the bundle and nothing else (bench/lib/init-probe.mjs, the same
 * probe as bench/cold-start.ts; it refuses and reports any network access during import).
 */
export function probeInit(nodePath: string, deployed: Deployed): ProbeResult {
  // The SDK's "Node 20 is old" notice would be a Node-20-only cost in the comparison (and noise).
  const env = { ...deployed.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  const child = spawnSync(nodePath, [INIT_PROBE, deployed.fn.modulePath], { env, cwd: deployed.fn.assetDir, encoding: 'utf8', timeout: 30_000 });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    return { bootMs: NaN, importMs: NaN, totalMs: NaN, error: `probe failed (exit ${child.status}): ${child.stderr.trim().slice(0, 300)}`, network: [] };
  }
}
