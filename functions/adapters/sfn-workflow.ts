import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ConfigurationError, type Config } from '../config';
import { executionName, type ExecutionStatus, type WorkflowEngine } from '../ports/workflow';
import { awsClient, clientOptions } from './aws-clients';

/** The workflow a handler wires in its container() call. */
export function stepFunctionsWorkflow(config: Config) {
  if (!config.STATE_MACHINE_ARN) throw new ConfigurationError('STATE_MACHINE_ARN is not set: this function starts workflows, so CDK must call useWorkflow on it');
  return new StepFunctionsWorkflow(awsClient('sfn', new SFNClient(clientOptions('sfn'))), config.STATE_MACHINE_ARN);
}

/** Step Functions: one execution per case generation, named so that a retried start is a no-op. */
export class StepFunctionsWorkflow implements WorkflowEngine {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  private executionArn(caseId: string, generation: number) {
    // arn:aws:states:<region>:<account>:stateMachine:<name> → ...:execution:<name>:<execution>
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName(caseId, generation)}`;
  }

  async start(caseId: string, generation: number) {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName(caseId, generation),
          input: JSON.stringify({ caseId, generation, plan: { iteration: 0 } }),
        }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  async stop(caseId: string, generation: number, reason: string) {
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn: this.executionArn(caseId, generation), cause: reason.slice(0, 256) }));
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }

  async describe(caseId: string, generation: number): Promise<ExecutionStatus | undefined> {
    try {
      const { status } = await this.sfn.send(new DescribeExecutionCommand({ executionArn: this.executionArn(caseId, generation) }));
      return status;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }

  async *runningExecutions() {
    let nextToken: string | undefined;
    do {
      const page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
      for (const execution of page.executions ?? []) if (execution.name) yield execution.name;
      nextToken = page.nextToken;
    } while (nextToken);
  }
}
