import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { HANDLERS, ROUTES } from '../functions/http/routes';
import { EscalationHttpApi } from './api';
import { EscalationEmail } from './email';
import { HandlerFunction } from './handler-function';
import { playbookBundle } from './playbook-bundle';
import type { StageConfig } from './stage-config';
import { EscalationTable } from './table';
import { tableAccessOf } from './table-access';
import { EscalationWorkflow } from './workflow';

export interface EscalationApiStackProps extends StackProps {
  config: StageConfig;
  /** The repository root: handler sources, the lockfile and an optional playbook.json live there. */
  projectRoot: string;
}

export class EscalationApiStack extends Stack {
  /** The API's Lambdas, by handler name (the workflow's own are in `workflow.tasks`). */
  readonly handlers: ReadonlyMap<string, HandlerFunction>;
  readonly workflow: EscalationWorkflow;
  readonly email: EscalationEmail;

  constructor(scope: Construct, id: string, props: EscalationApiStackProps) {
    super(scope, id, props);
    const { table } = new EscalationTable(this, 'Escalations');
    const playbook = playbookBundle(props.projectRoot);
    this.email = new EscalationEmail(this, 'Email', { senderEmail: props.config.senderEmail });
    this.workflow = new EscalationWorkflow(this, 'Workflow', {
      stage: props.config.stage,
      table,
      mailer: this.email,
      projectRoot: props.projectRoot,
      playbook,
    });

    const handlers = new Map<string, HandlerFunction>();
    for (const name of HANDLERS) {
      const handler = new HandlerFunction(this, `Handler-${name}`, { handler: name, projectRoot: props.projectRoot, playbook });
      const access = tableAccessOf(name, ROUTES);
      if (access !== 'none') handler.useTable(table, access);
      // A handler that changes a case may move its deadlines: it starts and stops its workflow.
      if (access === 'readWrite') handler.useWorkflow(this.workflow);
      handlers.set(name, handler);
    }
    this.handlers = handlers;

    const api = new EscalationHttpApi(this, 'Api', {
      routes: ROUTES,
      functions: new Map<string, IFunction>([...handlers].map(([name, handler]) => [name, handler.function])),
      jwtIssuer: props.config.jwtIssuer,
      jwtAudience: props.config.jwtAudience,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Base URL of the escalation API' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'The single DynamoDB table' });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'The escalation workflow (one execution per case generation)' });
  }
}
