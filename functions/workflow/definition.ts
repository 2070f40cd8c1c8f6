/**
 * The state machine's Lambda tasks: the substitution variable in
 * statemachines/escalation.asl.json and the handler file that serves it. CDK substitutes
 * real ARNs; the local engine binds each Task state to the same handler code.
 */
export const WORKFLOW_TASKS = {
  ReviewDeadlinesFunctionArn: 'review-deadlines',
  ActOnDeadlineFunctionArn: 'act-on-deadline',
  RecordWorkflowFailureFunctionArn: 'record-workflow-failure',
} as const;

export const STATE_MACHINE_FILE = 'statemachines/escalation.asl.json';
