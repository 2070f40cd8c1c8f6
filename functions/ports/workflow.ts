/** Starts and stops the per-case workflow (Step Functions on AWS, aws-local-stepfunctions locally). */
export interface WorkflowEngine {
  /** Idempotent: the execution name is `<caseId>-g<generation>`, so a retried start is harmless. */
  start(caseId: string, generation: number): Promise<void>;
  /** Best effort: an execution that is already gone is fine. */
  stop(caseId: string, generation: number, reason: string): Promise<void>;
  /** Whether that generation's execution is still running (the reconciliation sweep asks). */
  isRunning(caseId: string, generation: number): Promise<boolean>;
}

export const executionName = (caseId: string, generation: number) => `${caseId}-g${generation}`;
