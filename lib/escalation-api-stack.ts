import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { HANDLERS, ROUTES } from '../functions/http/routes';
import { EscalationHttpApi } from './api';
import { HandlerFunction } from './handler-function';
import { playbookBundle } from './playbook-bundle';
import type { StageConfig } from './stage-config';
import { EscalationTable } from './table';
import { tableAccessOf } from './table-access';

export interface EscalationApiStackProps extends StackProps {
  config: StageConfig;
  /** The repository root: handler sources, the lockfile and an optional playbook.json live there. */
  projectRoot: string;
}

export class EscalationApiStack extends Stack {
  readonly handlers: ReadonlyMap<string, HandlerFunction>;

  constructor(scope: Construct, id: string, props: EscalationApiStackProps) {
    super(scope, id, props);
    const { table } = new EscalationTable(this, 'Escalations');
    const playbook = playbookBundle(props.projectRoot);

    const handlers = new Map<string, HandlerFunction>();
    for (const name of HANDLERS) {
      const handler = new HandlerFunction(this, `Handler-${name}`, { handler: name, projectRoot: props.projectRoot, playbook });
      const access = tableAccessOf(name, ROUTES);
      if (access !== 'none') handler.useTable(table, access);
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
  }
}
