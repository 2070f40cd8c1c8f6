import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, Metric, Stats, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { HandlerFunction } from './handler-function';
import { WEBHOOK_RETRY_WINDOW_MS } from '../functions/domain/webhook-delivery';
import { DEADLINE_KINDS, SEVERITIES, UNDELIVERABLE_KINDS, emfMetric, sumOver } from './metrics-catalogue';

type Severity = (typeof SEVERITIES)[number];

/**
 * Deadline breaches (all kinds) per severity in one hour that raise the alarm. A critical
 * case missing a deadline is news at once; for lower severities a few an hour are a trend.
 */
export const DEADLINE_BREACH_THRESHOLDS: Record<Severity, number> = { critical: 1, high: 3, medium: 5, low: 10 };
export const DEADLINE_BREACH_PERIOD = Duration.hours(1);
/** Every other alarm looks at 5-minute periods. */
export const ALARM_PERIOD = Duration.minutes(5);
/** SES reviews an account at a 5 % bounce rate and a 0.1 % complaint rate (and pauses it at 10 % / 0.5 %). */
export const SES_BOUNCE_RATE_THRESHOLD = 0.05;
export const SES_COMPLAINT_RATE_THRESHOLD = 0.001;
/** API 5xx responses in 5 minutes. */
export const API_5XX_THRESHOLD = 5;
/** Emails normally leave within seconds of the change that owes them; one owed this long means sending keeps failing. */
export const OLDEST_OWED_EMAIL_THRESHOLD = Duration.minutes(15);
/**
 * Webhook deliveries retry for 24 h (WEBHOOK_RETRY_WINDOW_MS) and are then given up, which
 * disables the webhook and raises WebhooksDisabled; a receiver being down is the customer's to
 * fix and pages no one before that. One owed an hour past that window is one the sweep cannot
 * work at all: an item it cannot read, or the sweep itself failing.
 */
export const OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD = Duration.millis(WEBHOOK_RETRY_WINDOW_MS).plus(Duration.hours(1));
/** A stream consumer this far behind the table's writes is not keeping up (or keeps failing a batch). */
export const STREAM_ITERATOR_AGE_THRESHOLD = Duration.minutes(5);

export interface EscalationMonitoringProps {
  stage: string;
  /** Every Lambda of the app: each gets an Errors and a Throttles alarm, each DLQ a depth alarm. */
  functions: readonly HandlerFunction[];
  api: HttpApi;
  /** Alarms made elsewhere (the workflow's failed executions) that should notify too. */
  alarms?: readonly Alarm[];
  topicKey: IKey;
  /** An email address subscribed to the alarm topic (it must confirm the first message). */
  alarmEmail?: string;
}

/** Every alarm of the app, each notifying one SNS topic. */
export class EscalationMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: EscalationMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Escalation API alarms (${props.stage})`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // CloudWatch may publish, for alarms of this account only.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);
    for (const alarm of props.alarms ?? []) this.notify(alarm);

    // The playbook: deadlines missed, per severity (the five kinds summed).
    for (const severity of SEVERITIES) {
      this.alarm(`DeadlineBreaches-${severity}`, {
        description: `${DEADLINE_BREACH_THRESHOLDS[severity]} or more ${severity} deadlines (acknowledge, update, resolve, routing, follow-up) were missed within an hour: the team is not keeping up with ${severity} escalations. Each breach is on its case's timeline.`,
        metric: sumOver('DeadlineBreaches', 'kind', DEADLINE_KINDS, { severity }, { period: DEADLINE_BREACH_PERIOD, label: `${severity} breaches`, idPrefix: 'kind' }),
        threshold: DEADLINE_BREACH_THRESHOLDS[severity],
      });
    }

    // The workflow: a task failed after its retries (recorded on the case), or a start failed.
    this.alarm('WorkflowFailures', {
      description: 'A workflow task failed after its retries; the case timeline says which and why, and the case was re-armed in a new generation (docs/operations.md, "Failed executions").',
      metric: emfMetric('WorkflowFailures', {}, { period: ALARM_PERIOD }),
      threshold: 1,
    });
    this.alarm('WorkflowStartFailures', {
      description: 'case-workflows could not start a case\'s workflow; the stream batch is retried, then lands in the case-workflows queue and the daily reconciliation starts the execution. See the case-workflows logs.',
      metric: emfMetric('WorkflowStartFailures', {}, { period: ALARM_PERIOD }),
      threshold: 1,
    });

    // Email delivery: what the outbox still owes, and what it gave up on.
    this.alarm('OldestOwedEmail', {
      description: `An email has been owed for ${OLDEST_OWED_EMAIL_THRESHOLD.toMinutes()} minutes or more: sends keep failing (SES down, throttled or paused; a template missing) and are being retried with backoff for up to 24 h. See docs/operations.md, "Owed emails piling up".`,
      metric: emfMetric('OldestOwedEmailAge', {}, { period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
      threshold: OLDEST_OWED_EMAIL_THRESHOLD.toSeconds(),
    });
    this.alarm('EmailsUndeliverable', {
      description: 'SES accepted an email and then did not send it: it could not render the template with the data sent (a rendering failure), or it rejected the message. The case timeline has an email_failed event saying which; see docs/operations.md, "Emails given up".',
      metric: sumOver('EmailsUndeliverable', 'kind', UNDELIVERABLE_KINDS, {}, { period: ALARM_PERIOD, label: 'emails SES did not send', idPrefix: 'kind' }),
      threshold: 1,
    });
    this.alarm('EmailsAbandoned', {
      description: 'An email could not be sent within 24 h of retries (or SES refused the message itself) and was given up; the case timeline says which and why (email_failed). Reach the customer another way.',
      metric: emfMetric('EmailsAbandoned', {}, { period: ALARM_PERIOD }),
      threshold: 1,
    });

    // Webhooks: a delivery given up after 24 h of retries disabled its webhook.
    this.alarm('OldestOwedWebhookDelivery', {
      description: `A webhook delivery has been owed for ${OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD.toHours()} hours, past the ${Duration.millis(WEBHOOK_RETRY_WINDOW_MS).toHours()} h after which a failing one is given up: resend-owed-emails cannot work it (an item it cannot read, logged at ERROR each minute; or the sweep failing). See docs/operations.md, "Owed emails piling up".`,
      metric: emfMetric('OldestOwedWebhookDeliveryAge', {}, { period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
      threshold: OLDEST_OWED_WEBHOOK_DELIVERY_THRESHOLD.toSeconds(),
    });
    this.alarm('WebhooksDisabled', {
      description: 'A webhook delivery failed for 24 h of retries (or its URL resolved to an address deliveries may not reach), so the webhook was disabled. GET /webhooks/{id} says why; fix the receiver, then POST /webhooks/{id}/enable (docs/operations.md, "Webhook disabled").',
      metric: emfMetric('WebhooksDisabled', {}, { period: ALARM_PERIOD }),
      threshold: 1,
    });

    // Domain events: one the bus refused for 24 h of retries was given up.
    this.alarm('EventsAbandoned', {
      description: 'EventBridge refused a domain event for 24 h of retries, so it was given up: rules on the bus never saw it. The log line "event given up" names it; the case timeline still has the change (docs/operations.md, "Events given up").',
      metric: emfMetric('EventsAbandoned', {}, { period: ALARM_PERIOD }),
      threshold: 1,
    });

    // Every Lambda: unhandled errors; every asynchronous one: its DLQ.
    for (const fn of props.functions) {
      this.alarm(`${fn.handler}-Errors`, {
        description: `The ${fn.handler} Lambda failed (an unhandled error or a timeout). See its log group.`,
        metric: fn.function.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        threshold: 1,
      });
      if (fn.settings.invocation === 'stream') {
        this.alarm(`${fn.handler}-IteratorAge`, {
          description: `${fn.handler} is ${STREAM_ITERATOR_AGE_THRESHOLD.toMinutes()} minutes or more behind the table's stream: what follows a write (workflow starts, emails) is late. See docs/operations.md, "Stream iterator age".`,
          metric: fn.function.metric('IteratorAge', { period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
          threshold: STREAM_ITERATOR_AGE_THRESHOLD.toMilliseconds(),
        });
      }
      if (fn.deadLetterQueue) {
        this.alarm(`${fn.handler}-DeadLetters`, {
          description: `An event for ${fn.handler} failed all its retries and waits in its dead-letter queue; inspect it, fix the cause and redrive it.`,
          metric: fn.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: Stats.MAXIMUM }),
          threshold: 1,
        });
      }
    }

    // No function has reserved concurrency, so a throttle means the account's (regional)
    // concurrency is used up, which throttles every function at once: one alarm on Lambda's
    // account-wide Throttles covers them all (the dashboard shows which function it hit).
    this.alarm('LambdaThrottles', {
      description: 'Lambda throttled invocations in this account and region: the concurrency limit is reached. API requests fail with 5xx/429 and asynchronous events are retried. See the dashboard\'s "Lambda throttles" for which function, and ask for a higher limit in Service Quotas.',
      metric: new Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles', statistic: Stats.SUM, period: ALARM_PERIOD }),
      threshold: 1,
    });

    // SES: the account's reputation, which SES itself acts on.
    this.alarm('SesBounceRate', {
      description: `The SES account's bounce rate reached ${SES_BOUNCE_RATE_THRESHOLD * 100} %: SES reviews the account at 5 % and may pause sending at 10 %. Check the bounced addresses on the cases' timelines.`,
      metric: sesReputation('Reputation.BounceRate'),
      threshold: SES_BOUNCE_RATE_THRESHOLD,
    });
    this.alarm('SesComplaintRate', {
      description: `The SES account's complaint rate reached ${SES_COMPLAINT_RATE_THRESHOLD * 100} %: SES reviews the account at 0.1 % and may pause sending at 0.5 %.`,
      metric: sesReputation('Reputation.ComplaintRate'),
      threshold: SES_COMPLAINT_RATE_THRESHOLD,
    });

    // The API: server errors.
    this.alarm('Api5xx', {
      description: `The HTTP API answered ${API_5XX_THRESHOLD} or more requests with a 5xx within 5 minutes. See the access logs and the Lambda errors.`,
      metric: props.api.metricServerError({ period: ALARM_PERIOD, statistic: Stats.SUM }),
      threshold: API_5XX_THRESHOLD,
    });
  }

  private alarm(id: string, props: { description: string; metric: IMetric; threshold: number }): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: props.description,
      metric: props.metric,
      threshold: props.threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no breach, no error, no message in the queue.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm);
    return alarm;
  }

  private notify(alarm: Alarm) {
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
  }
}

function sesReputation(metricName: string): Metric {
  return new Metric({ namespace: 'AWS/SES', metricName, statistic: Stats.MAXIMUM, period: Duration.hours(1) });
}
