import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../functions/http/routes';
import { WORKFLOW_TASKS } from '../../functions/workflow/definition';
import { CASE_WORKFLOWS_HANDLER, EMAIL_EVENTS_HANDLER, INBOUND_EMAIL_HANDLER, QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import { REARM_HANDLER, RECONCILE_HANDLER } from '../../lib/workflow';
import { resolver, type LocalWorld } from '../../local/cloudformation';
import { kindOf } from '../support/grants';
import { awsCallsOf, type HandlerCalls } from './calls-in-code';
import { INBOUND_CONTEXT, inspect, logicalIdOf, resourcesOf, synthesize, type Statement } from './synthesized';

/**
 * Each function's role grants exactly the AWS calls its code can make: nothing missing (the
 * call would fail on AWS) and nothing extra (least privilege). The calls are derived from the
 * code (tests/infra/calls-in-code.ts follows each handler's calls down to the SDK commands it
 * can send); the grants are read from the synthesized template, resource by resource.
 */

/** A playbook naming chat channels: the outbox senders get the secret reads their chat adapter makes (tests/infra/chat.test.ts: none without). */
const CHAT_PLAYBOOK = 'tests/fixtures/playbook-24x7-chat.json';

/** A grant as `<action> on <kind of resource>`, the form the code analysis speaks. */
type Grant = string;

/** Every function the app deploys with inbound email on, by handler name (a test below holds the template to it). */
const FUNCTIONS = [
  ...HANDLERS,
  ...Object.values(WORKFLOW_TASKS),
  RECONCILE_HANDLER,
  REARM_HANDLER,
  EMAIL_EVENTS_HANDLER,
  CASE_WORKFLOWS_HANDLER,
  QUEUED_EMAILS_HANDLER,
  RESEND_OWED_EMAILS_HANDLER,
  INBOUND_EMAIL_HANDLER,
];

/** What the template's resources resolve to for this comparison: names only need to be told apart. */
function worldOf(template: Template, stackName: string): LocalWorld {
  const world: LocalWorld = { region: 'us-east-1', account: '000000000000', stackName, tables: new Map(), secrets: new Map(), buckets: new Map() };
  for (const id of Object.keys(resourcesOf(template, 'AWS::DynamoDB::Table'))) world.tables.set(id, { name: id, streamArn: `arn:aws:dynamodb:us-east-1:000000000000:table/${id}/stream/2026-01-01T00:00:00.000` });
  for (const id of Object.keys(resourcesOf(template, 'AWS::SecretsManager::Secret'))) world.secrets.set(id, { arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}-AbCdEf` });
  for (const id of Object.keys(resourcesOf(template, 'AWS::S3::Bucket'))) world.buckets.set(id, { name: id.toLowerCase() });
  return world;
}

describe('exact grants: every function may make exactly the AWS calls its code can make', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let view: ReturnType<typeof inspect>;
  let resolve: (value: unknown) => unknown;
  let derived: Map<string, HandlerCalls>;

  beforeAll(() => {
    // With inbound email and chat channels: every function that can deploy is in the template, with every grant it can get.
    ({ template, stack } = synthesize({ ...INBOUND_CONTEXT, playbook: CHAT_PLAYBOOK }));
    view = inspect(template, stack);
    ({ resolve } = resolver(template.toJSON() as never, worldOf(template, stack.stackName)));
    derived = awsCallsOf(view.handlers);
  }, 180_000);

  /**
   * What the Lambda service itself does with the function's role, not its code: write its own
   * log group, send traces, put a failed event in its own dead-letter queue, and read the
   * table's stream for its event source mapping (and send a failed batch's description on).
   */
  function platformUse(handler: string, action: string, arn: string): boolean {
    const fn = view.functionOf(handler).Properties;
    const functionId = logicalIdOf(view.handlerFunction(handler).function);
    const ownMappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).filter((mapping) => mapping.Properties.FunctionName.Ref === functionId);
    const is = (value: unknown) => value !== undefined && resolve(value) === arn;
    if (action.startsWith('logs:')) return is({ 'Fn::GetAtt': [fn.LoggingConfig.LogGroup.Ref, 'Arn'] });
    if (action.startsWith('xray:')) return arn === '*' && fn.TracingConfig?.Mode === 'Active';
    if (action.startsWith('sqs:')) return is(fn.DeadLetterConfig?.TargetArn) || ownMappings.some((mapping) => is(mapping.Properties.DestinationConfig?.OnFailure?.Destination));
    if (action === 'dynamodb:ListStreams') return arn === '*' && ownMappings.length > 0;
    if (['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'].includes(action)) return ownMappings.some((mapping) => is(mapping.Properties.EventSourceArn));
    return false;
  }

  /** The grants of a function's role that its code uses, as `<action> on <kind>`. */
  function codeGrants(handler: string): Set<Grant> {
    const grants = new Set<Grant>();
    for (const statement of view.statementsOf(handler) as Statement[]) {
      expect(statement.Effect, `${handler}: only Allow statements are compared here`).toBe('Allow');
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat()) {
          const arn = String(resolve(resource));
          if (!platformUse(handler, action, arn)) grants.add(`${action} on ${kindOf(arn)}`);
        }
      }
    }
    return grants;
  }

  it('reads the calls from the code it checks (guards the derivation)', () => {
    const list = derived.get('list-escalations')!;
    expect([...list.calls].sort()).toEqual(['dynamodb:BatchGetItem on table', 'dynamodb:Query on index']);
    expect(list.origins.get('dynamodb:BatchGetItem on table')!.join()).toMatch(/functions\/adapters\/table-reads\.ts:\d+/);
    expect([...derived.get('health')!.calls]).toEqual([]);
    expect([...derived.get('case-workflows')!.calls].sort()).toEqual(['dynamodb:PutItem on table', 'states:StartExecution on stateMachine', 'states:StopExecution on execution']);
    expect([...derived.get('queued-emails')!.calls]).toContain('ses:SendEmail on template');
  });

  it.each(FUNCTIONS)('%s: nothing missing, nothing extra', (handler) => {
    const needed = derived.get(handler)!;
    const granted = codeGrants(handler);
    const missing = [...needed.calls].filter((call) => !granted.has(call)).map((call) => `${call} (${needed.origins.get(call)!.join(', ')})`);
    const extra = [...granted].filter((grant) => !needed.calls.has(grant as never));
    expect({ missing, extra }, `${handler}'s role against its code`).toEqual({ missing: [], extra: [] });
  });

  it('compares every function of the template (the list above is the template\'s)', () => {
    expect([...view.handlers].sort()).toEqual([...FUNCTIONS].sort());
  });
});
