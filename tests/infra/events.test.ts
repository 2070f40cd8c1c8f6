import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/http/routes';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER } from '../../lib/escalation-api-stack';
import { actionsOf, inspect, logicalIdOf, resourcesOf, synthesize, type Statement } from './synthesized';

// Domain events on the stack's own EventBridge bus: one bus, put on by the outbox consumer and
// (events the bus refused) the owed-delivery sweep, on that bus alone; webhooks behind the admin
// scope; an alarm when one is disabled, and when an event is given up.
const PUTTERS = [QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER];

describe('domain events and webhooks in the template', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let view: ReturnType<typeof inspect>;
  let busId: string;

  beforeAll(() => {
    ({ template, stack } = synthesize());
    view = inspect(template, stack);
    busId = logicalIdOf(stack.eventBus);
  }, 120_000);

  it('has one event bus, named per stage, and says its name in an output', () => {
    const buses = resourcesOf(template, 'AWS::Events::EventBus');
    expect(Object.keys(buses)).toEqual([busId]);
    expect(buses[busId]!.Properties.Name).toBe('escalation-events-dev');
    expect(template.toJSON().Outputs.EventBusName.Value).toEqual({ Ref: busId });
  });

  it('lets the outbox consumer and the owed-delivery sweep, and no other function, put events, on that bus only', () => {
    const putters = view.handlers.filter((handler) => actionsOf(view.statementsOf(handler)).some((action) => action.startsWith('events:')));
    expect([...putters].sort()).toEqual([...PUTTERS].sort());
    for (const putter of PUTTERS) {
      const statements = view.statementsWith(putter, 'events:') as Statement[];
      expect(statements).toEqual([{ Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } }]);
    }
  });

  it('tells those two, and no other function, the bus name', () => {
    for (const handler of view.handlers) {
      const variables = view.environmentOf(handler);
      if (PUTTERS.includes(handler)) expect(variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
      else expect(variables, handler).not.toHaveProperty('EVENT_BUS_NAME');
    }
  });

  it('reads new timeline entries (their events) and queued emails off the stream, nothing else', () => {
    const mapping = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).find((candidate) => candidate.Properties.FunctionName.Ref === logicalIdOf(stack.queuedEmails.function))!;
    expect(JSON.parse(mapping.Properties.FilterCriteria.Filters[0].Pattern)).toEqual({ eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'OUTBOX#' }, { prefix: 'EVENT#' }] } } } });
  });

  it('puts every webhook route behind the admin scope, on the webhooks function', () => {
    const webhookRoutes = ROUTES.filter((route) => route.path.startsWith('/webhooks'));
    expect(webhookRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      ['GET /webhooks/{id}', 'GET /webhooks/{id}/deliveries', 'POST /webhooks', 'POST /webhooks/{id}/enable', 'POST /webhooks/{id}/rotate-secret'].sort(),
    );
    for (const route of webhookRoutes) expect(route, `${route.method} ${route.path}`).toMatchObject({ handler: 'webhooks', scope: 'admin' });
  });

  it.each(['WebhooksDisabled', 'EventsAbandoned'])('alarms on %s: a webhook disabled after its deliveries were given up, an event the bus refused for 24 h', (metric) => {
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter((alarm) => alarm.Properties.MetricName === metric);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', Statistic: 'Sum' });
  });
});
