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
}

export const executionName = (caseId: string, generation: number) => `${caseId}-g${generation}`;
