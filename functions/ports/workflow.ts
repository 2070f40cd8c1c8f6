/** Starts and stops the per-case workflow (Step Functions on AWS, aws-local-stepfunctions locally). */
export interface WorkflowEngine {
  /** Idempotent: the execution name is `<caseId>-g<generation>`, so a retried start is harmless. */
  start(caseId: string, generation: number): Promise<void>;
  /** Best effort: an execution that is already gone is fine. */
  stop(caseId: string, generation: number, reason: string): Promise<void>;
  /**
   * The names of every running execution, page by page: the daily sweep lists them once
   * (ListExecutions returns 1,000 a call) instead of asking about each case.
   */
  runningExecutions(): AsyncIterable<string>;
  /** What became of one execution; undefined when it was never started (or is long forgotten). */
  describe(caseId: string, generation: number): Promise<ExecutionStatus | undefined>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** An execution's name back to the case and generation it serves (undefined: not one of ours). */
export function parseExecutionName(name: string): { caseId: string; generation: number } | undefined {
  const match = /^(.+)-g(\d+)$/.exec(name);
  return match ? { caseId: match[1]!, generation: Number(match[2]) } : undefined;
}

export const executionName = (caseId: string, generation: number) => `${caseId}-g${generation}`;
