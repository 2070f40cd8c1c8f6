import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { executionName, type ExecutionStatus, type WorkflowEngine } from '../functions/ports/workflow';
import { STATE_MACHINE_FILE, WORKFLOW_TASKS } from '../functions/workflow/definition';
import type { ScaledClock } from './scaled-clock';

// aws-local-stepfunctions calls Promise.withResolvers, which Node 20 lacks.
if (!('withResolvers' in Promise)) {
  Object.defineProperty(Promise, 'withResolvers', {
    value: function withResolvers<T>() {
      let resolveFn!: (value: T) => void;
      let rejectFn!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolveFn = res;
        rejectFn = rej;
      });
      return { promise, resolve: resolveFn, reject: rejectFn };
    },
  });
}
const { StateMachine } = await import('aws-local-stepfunctions');

export type TaskHandler = (input: unknown, context: Context) => Promise<unknown>;
type TaskVariable = keyof typeof WORKFLOW_TASKS;

interface AslState {
  Type: string;
  Parameters?: { FunctionName?: string };
  Retry?: { IntervalSeconds?: number }[];
}

export interface ExecutionRecord {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  error?: string;
}

/** Step Functions' "Execution Status Change" event, as EventBridge delivers it (the fields our rule and handler read). */
export interface ExecutionStatusChange {
  version: '0';
  id: string;
  'detail-type': 'Step Functions Execution Status Change';
  source: 'aws.states';
  time: string;
  region: string;
  resources: string[];
  detail: { executionArn: string; stateMachineArn: string; name: string; status: 'FAILED' | 'ABORTED'; startDate: number; stopDate: number };
}

export interface LocalEngineOptions {
  /** Tests shorten the ASL's retry intervals (otherwise they run on the scaled clock). */
  retryIntervalMs?: number;
  /** What EventBridge does on AWS for the status-change rule: called when an execution fails or is stopped. */
  onExecutionEnded?: (event: ExecutionStatusChange) => Promise<unknown>;
  /** The ARN this engine answers to (the local stack passes the synthesized local stage's). */
  stateMachineArn?: string;
  /** Keep every execution's event history (its input, each state's input and output), as Step Functions does: tests read them. */
  recordHistory?: boolean;
}

const LOCAL_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:escalation-workflow-local';

/**
 * Step Functions reads a Wait state's timestamp to the whole second, dropping the milliseconds
 * (it can wake up to 999 ms early); the local engine does the same, on the case's clock, so
 * code that forgets to round up wakes early here too.
 */
export const truncateToSecond = (iso: string) => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString();

const LOCAL_ARN = (handler: string) => `arn:aws:lambda:us-east-1:000000000000:function:${handler}`;

/** Loads the deployed ASL file with local ARNs in place of CDK's definitionSubstitutions. */
export function loadDefinition(root = process.cwd()) {
  let text = readFileSync(resolve(root, STATE_MACHINE_FILE), 'utf8');
  for (const [variable, handler] of Object.entries(WORKFLOW_TASKS)) text = text.replaceAll(`\${${variable}}`, LOCAL_ARN(handler));
  return JSON.parse(text) as { States: Record<string, AslState> };
}

/**
 * Step Functions on one machine: the real statemachines/escalation.asl.json run by
 * aws-local-stepfunctions, every Lambda task bound to the same handler code CDK deploys.
 */
export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly machine;
  private readonly taskOverrides: Record<string, (input: { Payload: unknown }) => Promise<unknown>> = {};
  private readonly retryOverrides: Record<string, number[]> = {};
  private readonly executions = new Map<string, ExecutionRecord & { abort?: () => void; done?: Promise<void>; startedAt?: number }>();
  private readonly histories = new Map<string, unknown[]>();
  private stopping = false;

  constructor(
    private readonly clock: ScaledClock,
    handlers: Record<TaskVariable, TaskHandler>,
    private readonly options: LocalEngineOptions = {},
  ) {
    const definition = loadDefinition();
    this.machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
    const byArn = new Map(Object.entries(WORKFLOW_TASKS).map(([variable, handler]) => [LOCAL_ARN(handler), handlers[variable as TaskVariable]]));
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const handler = byArn.get(state.Parameters?.FunctionName ?? '');
      if (!handler) throw new Error(`local workflow: no handler for task state ${stateName}`);
      this.taskOverrides[stateName] = (input) => this.invoke(stateName, handler, input.Payload);
      // Retries wait their interval on the scaled clock too (or a fixed one in tests).
      this.retryOverrides[stateName] = (state.Retry ?? []).map((retrier) => options.retryIntervalMs ?? clock.realMs((retrier.IntervalSeconds ?? 1) * 1000));
    }
  }

  private async invoke(stateName: string, handler: TaskHandler, payload: unknown) {
    const result = (await handler(payload, { functionName: stateName, awsRequestId: crypto.randomUUID() } as Context)) as Record<string, unknown>;
    // The task answers in the case's (scaled) time; the Wait state sleeps in real time.
    if (result && typeof result.wakeAt === 'string') return { Payload: { ...result, wakeAt: this.clock.toReal(truncateToSecond(result.wakeAt)) }, StatusCode: 200 };
    return { Payload: result ?? null, StatusCode: 200 };
  }

  async start(caseId: string, generation: number) {
    const name = executionName(caseId, generation);
    if (this.executions.has(name)) return; // like ExecutionAlreadyExists: names are never reused
    const record: ExecutionRecord & { abort?: () => void; done?: Promise<void>; startedAt?: number } = { name, status: 'RUNNING' };
    this.executions.set(name, record);
    const execution = this.machine.run(
      { caseId, generation, plan: { iteration: 0 } },
      { overrides: { taskResourceLocalHandlers: this.taskOverrides as never, retryIntervalOverrides: this.retryOverrides }, noThrowOnAbort: true },
    );
    record.abort = execution.abort;
    record.startedAt = Date.now();
    if (this.options.recordHistory) {
      const history: unknown[] = [];
      this.histories.set(name, history);
      void (async () => {
        for await (const event of execution.eventLogs) history.push(event);
      })().catch(() => undefined);
    }
    record.done = execution.result.then(
      () => {
        if (record.status === 'RUNNING') record.status = 'SUCCEEDED';
      },
      (error: Error) => {
        if (record.status !== 'RUNNING') return;
        record.status = 'FAILED';
        record.error = `${error.name}: ${error.message}`;
        this.ended(record);
      },
    );
  }

  /** Every recorded execution's history (recordHistory), by execution name: what GetExecutionHistory would show. */
  executionHistories(): Map<string, unknown[]> {
    return this.histories;
  }

  async stop(caseId: string, generation: number) {
    const record = this.executions.get(executionName(caseId, generation));
    if (record?.status !== 'RUNNING') return;
    record.status = 'ABORTED';
    record.abort?.();
    this.ended(record);
  }

  /** EventBridge's part: tell the status-change rule's target, off the caller's path (delivery is asynchronous on AWS too). */
  private ended(record: ExecutionRecord & { startedAt?: number }) {
    const notify = this.options.onExecutionEnded;
    if (!notify || this.stopping || (record.status !== 'FAILED' && record.status !== 'ABORTED')) return;
    const stateMachineArn = this.options.stateMachineArn ?? LOCAL_STATE_MACHINE_ARN;
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${record.name}`;
    const event: ExecutionStatusChange = {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [executionArn],
      detail: { executionArn, stateMachineArn, name: record.name, status: record.status, startDate: record.startedAt ?? Date.now(), stopDate: Date.now() },
    };
    setImmediate(() => void notify(event).catch((error: unknown) => console.error(`local EventBridge: the execution-status target failed for ${record.name}:`, error)));
  }

  async describe(caseId: string, generation: number): Promise<ExecutionStatus | undefined> {
    return this.executions.get(executionName(caseId, generation))?.status;
  }

  async isRunning(caseId: string, generation: number) {
    return this.executions.get(executionName(caseId, generation))?.status === 'RUNNING';
  }

  async *runningExecutions() {
    for (const record of this.executions.values()) if (record.status === 'RUNNING') yield record.name;
  }

  execution(caseId: string, generation: number): ExecutionRecord | undefined {
    const record = this.executions.get(executionName(caseId, generation));
    return record && { name: record.name, status: record.status, ...(record.error && { error: record.error }) };
  }

  runningCount() {
    return [...this.executions.values()].filter((record) => record.status === 'RUNNING').length;
  }

  /** Stops every execution (Ctrl-C, end of a test). */
  async stopAll() {
    this.stopping = true;
    const running = [...this.executions.values()].filter((record) => record.status === 'RUNNING');
    for (const record of running) {
      record.status = 'ABORTED';
      record.abort?.();
    }
    await Promise.all(running.map((record) => record.done));
  }
}
