import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/adapters/emf-metrics';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { DEADLINE_KINDS } from '../../lib/metrics-catalogue';
import { WEBHOOK_RETRY_WINDOW_MS } from '../../functions/domain/webhook-delivery';
import { API_5XX_THRESHOLD, DEADLINE_BREACH_THRESHOLDS, OLDEST_OWED_EMAIL_THRESHOLD, OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD, SES_BOUNCE_RATE_THRESHOLD, SES_COMPLAINT_RATE_THRESHOLD } from '../../lib/monitoring';
import { INBOUND_CONTEXT, logicalIdOf, resourcesOf, synthesize, unacknowledgedFindings, type Resource } from './synthesized';

describe('alarms', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let alarms: Resource[];
  let topicId: string;

  beforeAll(() => {
    ({ template, stack } = synthesize());
    alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    topicId = logicalIdOf(stack.monitoring.topic);
  }, 60_000);

  const simple = (namespace: string, metricName: string) => alarms.filter((alarm) => alarm.Properties.Namespace === namespace && alarm.Properties.MetricName === metricName);
  const expectAlarm = (alarm: Resource | undefined, threshold: number, period: number, statistic = 'Sum') => {
    expect(alarm).toBeDefined();
    expect(alarm!.Properties).toMatchObject({
      Threshold: threshold,
      Period: period,
      Statistic: statistic,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  };

  it('notify the alarm topic, every one of them', () => {
    expect(alarms.length).toBeGreaterThan(20);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(stack.monitoring.alarms).toHaveLength(alarms.length);
  });

  it('go to a topic encrypted with the customer managed key, TLS-only, that CloudWatch alarms of this account may publish to', () => {
    const topic = resourcesOf(template, 'AWS::SNS::Topic')[topicId]!;
    const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
    const key = resourcesOf(template, 'AWS::KMS::Key')[keyId]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement.some((statement: any) => statement.Principal?.Service === 'cloudwatch.amazonaws.com')).toBe(true);
    const statements = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy'))
      .filter((policy) => policy.Properties.Topics.some((ref: { Ref: string }) => ref.Ref === topicId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const cloudwatch = statements.find((statement: any) => statement.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(cloudwatch).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } });
    expect(cloudwatch.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    expect(JSON.stringify(cloudwatch.Condition.ArnLike['aws:SourceArn'])).toContain(':alarm:*');
  });

  it('have no email subscription unless one is configured', () => {
    expect(Object.values(resourcesOf(template, 'AWS::SNS::Subscription')).filter((subscription) => subscription.Properties.Protocol === 'email')).toEqual([]);
  });

  it('mail the configured alarm address', () => {
    const configured = synthesize(INBOUND_CONTEXT);
    const subscriptions = Object.values(resourcesOf(configured.template, 'AWS::SNS::Subscription')).filter((subscription) => subscription.Properties.Protocol === 'email');
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]!.Properties).toMatchObject({ Endpoint: INBOUND_CONTEXT.alarmEmail, TopicArn: { Ref: logicalIdOf(configured.stack.monitoring.topic) } });
  }, 60_000);

  describe.each(SEVERITIES)('deadline breaches (%s)', (severity) => {
    const breachAlarm = () =>
      alarms.find((alarm) => (alarm.Properties.Metrics ?? []).some((query: any) => query.MetricStat?.Metric.MetricName === 'DeadlineBreaches' && query.MetricStat.Metric.Dimensions.some((d: any) => d.Name === 'severity' && d.Value === severity)));

    it(`alarms at ${DEADLINE_BREACH_THRESHOLDS[severity]} or more in an hour, summing every kind`, () => {
      const alarm = breachAlarm()!;
      expect(alarm.Properties).toMatchObject({ Threshold: DEADLINE_BREACH_THRESHOLDS[severity], EvaluationPeriods: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
      const queries = alarm.Properties.Metrics as any[];
      const metrics = queries.filter((query) => query.MetricStat);
      expect(metrics).toHaveLength(DEADLINE_KINDS.length);
      for (const query of metrics) {
        expect(query.ReturnData).toBe(false);
        expect(query.MetricStat).toMatchObject({ Period: 3600, Stat: 'Sum', Metric: { Namespace: METRICS_NAMESPACE, MetricName: 'DeadlineBreaches' } });
      }
      const kinds = metrics.map((query) => query.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'kind').Value).sort();
      expect(kinds).toEqual([...DEADLINE_KINDS].sort());
      const expression = queries.find((query) => query.Expression);
      expect(expression.ReturnData).not.toBe(false);
      for (const query of metrics) expect(expression.Expression).toContain(`FILL(${query.Id}, 0)`);
    });
  });

  it('alarms when a workflow execution fails (ExecutionsFailed >= 1 in 5 minutes)', () => {
    const failed = simple('AWS/States', 'ExecutionsFailed');
    expect(failed).toHaveLength(1);
    expectAlarm(failed[0], 1, 300);
    expect(failed[0]!.Properties.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: logicalIdOf(stack.workflow.stateMachine) } }]);
  });

  it.each(['WorkflowFailures', 'WorkflowStartFailures'])('alarms on the first %s in 5 minutes', (metricName) => {
    const found = simple(METRICS_NAMESPACE, metricName);
    expect(found).toHaveLength(1);
    expectAlarm(found[0], 1, 300);
    expect(found[0]!.Properties.Dimensions ?? []).toEqual([]);
  });

  it('alarms on each Lambda\'s errors (>= 1 in 5 minutes), one alarm per function', () => {
    const errors = simple('AWS/Lambda', 'Errors');
    expect(errors).toHaveLength(stack.functions.length);
    for (const fn of stack.functions) {
      const alarm = errors.find((candidate) => candidate.Properties.Dimensions[0].Value.Ref === logicalIdOf(fn.function));
      expectAlarm(alarm, 1, 300);
    }
  });

  it('alarms on any Lambda throttle in the account (no function has reserved concurrency, so one throttles all)', () => {
    const throttles = simple('AWS/Lambda', 'Throttles');
    expect(throttles).toHaveLength(1);
    expectAlarm(throttles[0], 1, 300);
    expect(throttles[0]!.Properties.Dimensions ?? []).toEqual([]);
    for (const fn of Object.values(resourcesOf(template, 'AWS::Lambda::Function'))) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('alarms on each dead-letter queue holding a message', () => {
    const depth = simple('AWS/SQS', 'ApproximateNumberOfMessagesVisible');
    const queues = stack.functions.filter((fn) => fn.deadLetterQueue);
    expect(queues.length).toBeGreaterThan(0);
    expect(depth).toHaveLength(queues.length);
    for (const fn of queues) {
      const alarm = depth.find((candidate) => JSON.stringify(candidate.Properties.Dimensions).includes(logicalIdOf(fn.deadLetterQueue!)));
      expectAlarm(alarm, 1, 300, 'Maximum');
    }
  });

  it('alarms on an email owed 15 minutes, and on a webhook delivery owed past its 24 h retry window', () => {
    expect(OLDEST_OWED_EMAIL_THRESHOLD.toMinutes()).toBe(15);
    expect(OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD.toSeconds() * 1000).toBeGreaterThan(WEBHOOK_RETRY_WINDOW_MS);
    expectAlarm(simple(METRICS_NAMESPACE, 'OldestOwedEmailAge')[0], OLDEST_OWED_EMAIL_THRESHOLD.toSeconds(), 300, 'Maximum');
    expectAlarm(simple(METRICS_NAMESPACE, 'OldestOwedWebhookDeliveryAge')[0], OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD.toSeconds(), 300, 'Maximum');
  });

  it('alarms on the SES bounce rate (5 %) and complaint rate (0.1 %)', () => {
    expect(SES_BOUNCE_RATE_THRESHOLD).toBe(0.05);
    expect(SES_COMPLAINT_RATE_THRESHOLD).toBe(0.001);
    expectAlarm(simple('AWS/SES', 'Reputation.BounceRate')[0], SES_BOUNCE_RATE_THRESHOLD, 3600, 'Maximum');
    expectAlarm(simple('AWS/SES', 'Reputation.ComplaintRate')[0], SES_COMPLAINT_RATE_THRESHOLD, 3600, 'Maximum');
  });

  it(`alarms on ${API_5XX_THRESHOLD} or more API 5xx responses in 5 minutes`, () => {
    const errors = simple('AWS/ApiGateway', '5xx');
    expect(errors).toHaveLength(1);
    expectAlarm(errors[0], API_5XX_THRESHOLD, 300);
    expect(errors[0]!.Properties.Dimensions).toEqual([{ Name: 'ApiId', Value: { Ref: logicalIdOf(stack.api.api) } }]);
  });

  it('describes every alarm, so whoever is paged knows what happened and where to look', () => {
    for (const alarm of alarms) expect(alarm.Properties.AlarmDescription?.length ?? 0).toBeGreaterThan(40);
  });

  it('outputs the alarm topic', () => {
    expect(template.toJSON().Outputs.AlarmTopicArn.Value).toEqual({ Ref: topicId });
  });

  it('leaves no cdk-nag finding unacknowledged in the monitoring construct', () => {
    expect(unacknowledgedFindings(stack.monitoring)).toEqual([]);
  });
});
