import { Aws, Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  Shading,
  Stats,
  TextWidget,
  type Alarm,
  type HorizontalAnnotation,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { INDEX_NAMES } from '../functions/adapters/table-design';
import { fixedWorkingMs, type SlaTarget } from '../functions/domain/sla-target';
import type { Playbook } from '../functions/domain/playbook';
import type { HandlerFunction } from './handler-function';
import { DEADLINE_BREACH_THRESHOLDS, OLDEST_OWED_EMAIL_THRESHOLD, SES_BOUNCE_RATE_THRESHOLD, SES_COMPLAINT_RATE_THRESHOLD, STREAM_ITERATOR_AGE_THRESHOLD } from './monitoring';
import { DEADLINE_KINDS, INBOUND_OUTCOMES, OUTCOMES, REARM_CAUSES, SEVERITIES, SEVERITY_COLORS, UNDELIVERABLE_KINDS, emfMetric, sumOver } from './metrics-catalogue';

const HOUR_MS = 3_600_000;
/** Playbook metrics are sparse (a few cases a day): one point per day reads best. */
const PLAYBOOK_PERIOD = Duration.days(1);
const OPS_PERIOD = Duration.minutes(5);

/** PLAYBOOK.md §7, the targets that are not per-severity configuration. */
export const PLAYBOOK_TARGETS = {
  /** Time to acknowledge, every severity: < 1 h. */
  acknowledgeHours: 1,
  /** Customer updates on time: every one. */
  updatesOnTimePercent: 100,
  /** Satisfaction after an escalation: > 7 / 10. */
  satisfaction: 7,
  /** Escalation → churn: < 5 %. */
  churnPercent: 5,
} as const;

export interface EscalationDashboardProps {
  stage: string;
  /** The deployed playbook (playbook.json over the defaults): its per-severity targets are drawn. */
  playbook: Playbook;
  /** Template names as the metrics carry them (without the stage prefix). */
  templates: readonly string[];
  functions: readonly HandlerFunction[];
  stateMachine: StateMachine;
  api: HttpApi;
  table: Table;
  alarms: readonly Alarm[];
}

/**
 * One CloudWatch dashboard: a widget per playbook metric with its target drawn as a
 * horizontal annotation, then the operational view (Lambda, workflow, DynamoDB, API, SES).
 */
export class EscalationDashboard extends Construct {
  readonly dashboard: Dashboard;
  readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: EscalationDashboardProps) {
    super(scope, id);
    this.dashboardName = `escalation-api-${props.stage}`;
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: this.dashboardName, defaultInterval: Duration.days(14) });
    const { playbook } = props;
    const hoursOf = (ms: number) => Math.round((ms / HOUR_MS) * 100) / 100;

    const heading = (markdown: string) => new TextWidget({ markdown, width: 24, height: 1 });
    const graph = (title: string, left: IMetric[], options: { annotations?: HorizontalAnnotation[]; label?: string; min?: number; max?: number; width?: number; right?: IMetric[]; stacked?: boolean } = {}) =>
      new GraphWidget({
        title,
        left,
        right: options.right ?? [],
        width: options.width ?? 12,
        height: 6,
        leftAnnotations: options.annotations ?? [],
        leftYAxis: { min: options.min ?? 0, ...(options.max !== undefined && { max: options.max }), ...(options.label && { label: options.label, showUnits: false }) },
        stacked: options.stacked ?? false,
      });

    // A per-severity line of a Milliseconds metric, in hours.
    const inHours = (metricName: string, severity: string, statistic: string) =>
      new MathExpression({
        expression: `m_${severity} / ${HOUR_MS}`,
        usingMetrics: { [`m_${severity}`]: emfMetric(metricName, { severity }, { statistic, period: PLAYBOOK_PERIOD }) },
        label: severity,
        color: SEVERITY_COLORS[severity as keyof typeof SEVERITY_COLORS],
        period: PLAYBOOK_PERIOD,
      });
    // A line per severity whose target has a length in hours. One in working days has none (it
    // holds more or less working time by calendar, holidays and start), so it gets no line.
    const perSeverityTarget = (targetOf: (severity: (typeof SEVERITIES)[number]) => SlaTarget, what: string): HorizontalAnnotation[] =>
      SEVERITIES.flatMap((severity) => {
        const ms = fixedWorkingMs(targetOf(severity), playbook.calendars[playbook.severityCalendars[severity]] ?? {});
        return ms === undefined ? [] : [{ value: hoursOf(ms), label: `${severity} ${what} ${hoursOf(ms)} h`, color: SEVERITY_COLORS[severity] }];
      });
    const ratePercent = (id: string, label: string, part: Metric, whole: Metric[]) => {
      const usingMetrics: Record<string, IMetric> = { [`${id}_part`]: part };
      whole.forEach((metric, index) => (usingMetrics[`${id}_w${index}`] = metric));
      const total = whole.map((_, index) => `FILL(${id}_w${index}, 0)`).join(' + ');
      return new MathExpression({ expression: `100 * FILL(${id}_part, 0) / (${total})`, usingMetrics, label, period: PLAYBOOK_PERIOD });
    };
    const perSeverity = (metricName: string, statistic: string) =>
      SEVERITIES.map((severity) => emfMetric(metricName, { severity }, { statistic, period: PLAYBOOK_PERIOD, label: severity, color: SEVERITY_COLORS[severity] }));

    const onTime = emfMetric('CustomerUpdates', { onTime: 'true' }, { period: PLAYBOOK_PERIOD, label: 'on time' });
    const late = emfMetric('CustomerUpdates', { onTime: 'false' }, { period: PLAYBOOK_PERIOD, label: 'late' });
    const outcome = (value: string) => emfMetric('EscalationOutcomes', { outcome: value }, { period: PLAYBOOK_PERIOD, label: value });

    const playbookWidgets: IWidget[] = [
      heading(`## Playbook targets (PLAYBOOK.md §7) — stage ${props.stage}\nDashed lines are the targets; per-severity targets come from the deployed playbook (one in working days has no line in hours: /metrics judges it case by case).`),
      graph('Time to acknowledge (p90, hours)', SEVERITIES.map((severity) => inHours('TimeToAcknowledge', severity, Stats.percentile(90))), {
        label: 'hours',
        annotations: [
          { value: PLAYBOOK_TARGETS.acknowledgeHours, label: `target < ${PLAYBOOK_TARGETS.acknowledgeHours} h`, color: '#000000', fill: Shading.NONE },
          ...perSeverityTarget((severity) => playbook.severities[severity].acknowledgeWithin, 'within'),
        ],
      }),
      graph('Time to resolution (p90, hours)', SEVERITIES.map((severity) => inHours('TimeToResolution', severity, Stats.percentile(90))), {
        label: 'hours',
        annotations: perSeverityTarget((severity) => playbook.severities[severity].resolveWithin, 'within'),
      }),
      graph('Customer updates on time (%)', [ratePercent('upd', 'on time %', onTime, [onTime, late])], {
        label: '%',
        max: 100,
        annotations: [{ value: PLAYBOOK_TARGETS.updatesOnTimePercent, label: `target ${PLAYBOOK_TARGETS.updatesOnTimePercent} %`, color: '#2ca02c' }],
        right: [onTime, late],
      }),
      graph('Satisfaction after escalation (average, 1–10)', perSeverity('SatisfactionScore', Stats.AVERAGE), {
        max: 10,
        annotations: [{ value: PLAYBOOK_TARGETS.satisfaction, label: `target > ${PLAYBOOK_TARGETS.satisfaction} / 10`, color: '#2ca02c', fill: Shading.BELOW }],
      }),
      graph('Escalation → churn rate (%)', [ratePercent('churn', 'churned %', outcome('churned'), OUTCOMES.map(outcome))], {
        label: '%',
        annotations: [{ value: PLAYBOOK_TARGETS.churnPercent, label: `target < ${PLAYBOOK_TARGETS.churnPercent} %`, color: '#d62728', fill: Shading.ABOVE }],
        right: OUTCOMES.map(outcome),
      }),
      graph('Escalations opened', perSeverity('EscalationsOpened', Stats.SUM), { stacked: true }),
      graph(
        'Deadline breaches per hour (all kinds)',
        SEVERITIES.map((severity) =>
          sumOver('DeadlineBreaches', 'kind', DEADLINE_KINDS, { severity }, { period: Duration.hours(1), label: severity, idPrefix: `b_${severity}_`, color: SEVERITY_COLORS[severity] }),
        ),
        {
          annotations: [
            { value: 0, label: 'target: none', color: '#2ca02c' },
            ...SEVERITIES.map((severity) => ({ value: DEADLINE_BREACH_THRESHOLDS[severity], label: `${severity} alarm ≥ ${DEADLINE_BREACH_THRESHOLDS[severity]}`, color: SEVERITY_COLORS[severity] })),
          ],
        },
      ),
      graph(
        'Deadline lag by kind (p90, seconds): deadline to action',
        DEADLINE_KINDS.map(
          (kind) =>
            new MathExpression({
              expression: `lag_${kind} / 1000`,
              usingMetrics: { [`lag_${kind}`]: emfMetric('DeadlineLag', { kind }, { statistic: Stats.percentile(90), period: Duration.hours(1) }) },
              label: kind,
              period: Duration.hours(1),
            }),
        ),
        { label: 'seconds' },
      ),
      graph('Tier reached (maximum)', perSeverity('TierReached', Stats.MAXIMUM), {
        annotations: [{ value: playbook.ladder.length, label: `top of the ladder (tier ${playbook.ladder.length})`, color: '#7f7f7f' }],
      }),
      graph('Emails sent, by template', props.templates.map((template) => emfMetric('EmailsSent', { template }, { period: Duration.hours(1), label: template })), { stacked: true }),
      graph('Emails failed, by template', props.templates.map((template) => emfMetric('EmailsFailed', { template }, { period: Duration.hours(1), label: template })), {
        annotations: [{ value: 0, label: 'target: none', color: '#2ca02c' }],
      }),
      graph('Emails bounced', [emfMetric('EmailsBounced', {}, { period: Duration.hours(1), label: 'bounced' })], { width: 6 }),
      graph(
        'Emails SES did not send, and delays',
        [...UNDELIVERABLE_KINDS.map((kind) => emfMetric('EmailsUndeliverable', { kind }, { period: Duration.hours(1), label: kind })), emfMetric('EmailsDelayed', {}, { period: Duration.hours(1), label: 'delayed' })],
        { width: 6, annotations: [{ value: 1, label: 'alarm ≥ 1 (not sent)', color: '#d62728' }] },
      ),
      graph('Email complaints', [emfMetric('EmailComplaints', {}, { period: Duration.hours(1), label: 'complaints' })], { width: 6 }),
      graph('Inbound emails, by outcome', INBOUND_OUTCOMES.map((value) => emfMetric('InboundEmails', { outcome: value }, { period: Duration.hours(1), label: value })), { stacked: true }),
      graph('Workflow task failures', [emfMetric('WorkflowFailures', {}, { label: 'failures' })], { width: 8, annotations: [{ value: 1, label: 'alarm ≥ 1', color: '#d62728' }] }),
      graph('Workflow start failures', [emfMetric('WorkflowStartFailures', {}, { label: 'start failures' })], { width: 8, annotations: [{ value: 1, label: 'alarm ≥ 1', color: '#d62728' }] }),
      graph(
        'Workflows re-armed, by cause; started by the sweep',
        [
          ...REARM_CAUSES.map((cause) => emfMetric('WorkflowsRearmed', { cause }, { period: PLAYBOOK_PERIOD, label: `re-armed (${cause})` })),
          emfMetric('WorkflowsStartedBySweep', {}, { period: PLAYBOOK_PERIOD, label: 'started by the sweep' }),
        ],
        { width: 8 },
      ),
      graph(
        'Owed emails (count) and the oldest one\'s age (minutes)',
        [emfMetric('OwedEmails', {}, { period: OPS_PERIOD, statistic: Stats.MAXIMUM, label: 'owed' })],
        {
          right: [
            new MathExpression({
              expression: 'age / 60',
              usingMetrics: { age: emfMetric('OldestOwedEmailAge', {}, { period: OPS_PERIOD, statistic: Stats.MAXIMUM }) },
              label: 'oldest owed (min)',
              period: OPS_PERIOD,
            }),
          ],
          annotations: [{ value: OLDEST_OWED_EMAIL_THRESHOLD.toMinutes(), label: `alarm ≥ ${OLDEST_OWED_EMAIL_THRESHOLD.toMinutes()} min`, color: '#d62728' }],
        },
      ),
      graph(
        'Emails given up, and sent again after a lost claim',
        [emfMetric('EmailsAbandoned', {}, { period: Duration.hours(1), label: 'given up (alarm ≥ 1)' }), emfMetric('EmailsSentAgain', {}, { period: Duration.hours(1), label: 'sent again' })],
        { width: 8, annotations: [{ value: 1, label: 'alarm ≥ 1', color: '#d62728' }] },
      ),
      graph(
        'Domain events published; webhook deliveries',
        [
          emfMetric('EventsPublished', {}, { period: Duration.hours(1), label: 'events on the bus' }),
          emfMetric('EventsAbandoned', {}, { period: Duration.hours(1), label: 'events given up (alarm ≥ 1)' }),
          emfMetric('WebhooksDelivered', {}, { period: Duration.hours(1), label: 'delivered' }),
          emfMetric('WebhookAttemptsFailed', {}, { period: Duration.hours(1), label: 'attempts failed' }),
          emfMetric('WebhooksRegistered', {}, { period: Duration.hours(1), label: 'webhooks registered' }),
          emfMetric('WebhooksDisabled', {}, { period: Duration.hours(1), label: 'webhooks disabled (alarm ≥ 1)' }),
        ],
        { width: 8 },
      ),
      graph(
        'Chat alerts (Slack, Teams): posted, attempts failed, given up',
        [
          emfMetric('ChatMessagesPosted', {}, { period: Duration.hours(1), label: 'posted' }),
          emfMetric('ChatMessagesFailed', {}, { period: Duration.hours(1), label: 'attempts failed' }),
          emfMetric('ChatMessagesAbandoned', {}, { period: Duration.hours(1), label: 'given up' }),
        ],
        { width: 8 },
      ),
      graph(
        'Webhook delivery lag, event to answer (s)',
        ['p50', 'p99'].map(
          (percentile) =>
            new MathExpression({
              expression: `lag_${percentile} / 1000`,
              usingMetrics: { [`lag_${percentile}`]: emfMetric('WebhookDeliveryLag', {}, { period: OPS_PERIOD, statistic: percentile }) },
              label: percentile,
              period: OPS_PERIOD,
            }),
        ),
        { width: 8 },
      ),
      graph(
        "Owed webhook deliveries (count) and the oldest one's age (minutes)",
        [emfMetric('OwedWebhookDeliveries', {}, { period: OPS_PERIOD, statistic: Stats.MAXIMUM, label: 'owed' })],
        {
          width: 8,
          right: [
            new MathExpression({
              expression: 'age / 60',
              usingMetrics: { age: emfMetric('OldestOwedWebhookDeliveryAge', {}, { period: OPS_PERIOD, statistic: Stats.MAXIMUM }) },
              label: 'oldest owed (min)',
              period: OPS_PERIOD,
            }),
          ],
        },
      ),
    ];

    const lambdaMetric = (build: (fn: HandlerFunction) => IMetric) => props.functions.map(build);
    const sm = props.stateMachine;
    const operationalWidgets: IWidget[] = [
      heading('## Operations'),
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
      graph('Lambda errors', lambdaMetric((fn) => fn.function.metricErrors({ period: OPS_PERIOD, label: fn.handler })), {
        annotations: [{ value: 1, label: 'alarm ≥ 1', color: '#d62728' }],
      }),
      graph('Lambda duration (p90, ms)', lambdaMetric((fn) => fn.function.metricDuration({ period: OPS_PERIOD, statistic: Stats.percentile(90), label: fn.handler }))),
      graph('Lambda throttles', lambdaMetric((fn) => fn.function.metricThrottles({ period: OPS_PERIOD, label: fn.handler }))),
      graph(
        'Table stream: how far each consumer is behind (iterator age, max, s)',
        props.functions
          .filter((fn) => fn.settings.invocation === 'stream')
          .map(
            (fn) =>
              new MathExpression({
                expression: `age_${fn.handler.replace(/\W/g, '_')} / 1000`,
                usingMetrics: { [`age_${fn.handler.replace(/\W/g, '_')}`]: fn.function.metric('IteratorAge', { period: OPS_PERIOD, statistic: Stats.MAXIMUM }) },
                label: fn.handler,
                period: OPS_PERIOD,
              }),
          ),
        { annotations: [{ value: STREAM_ITERATOR_AGE_THRESHOLD.toSeconds(), label: `alarm ≥ ${STREAM_ITERATOR_AGE_THRESHOLD.toMinutes()} min`, color: '#d62728' }] },
      ),
      graph(
        'Dead-letter queues (messages waiting)',
        props.functions.filter((fn) => fn.deadLetterQueue).map((fn) => fn.deadLetterQueue!.metricApproximateNumberOfMessagesVisible({ period: OPS_PERIOD, statistic: Stats.MAXIMUM, label: fn.handler })),
        { annotations: [{ value: 1, label: 'alarm ≥ 1', color: '#d62728' }] },
      ),
      graph(
        'Workflow executions',
        [
          sm.metricStarted({ period: OPS_PERIOD, label: 'started' }),
          sm.metricSucceeded({ period: OPS_PERIOD, label: 'succeeded' }),
          sm.metricAborted({ period: OPS_PERIOD, label: 'aborted (superseded)' }),
        ],
        { right: [sm.metricFailed({ period: OPS_PERIOD, label: 'failed' }), sm.metricTimedOut({ period: OPS_PERIOD, label: 'timed out' })] },
      ),
      graph(
        'DynamoDB throttles',
        [
          props.table.metric('ReadThrottleEvents', { period: OPS_PERIOD, statistic: Stats.SUM, label: 'table reads' }),
          props.table.metric('WriteThrottleEvents', { period: OPS_PERIOD, statistic: Stats.SUM, label: 'table writes' }),
          // A GSI that cannot keep up throttles the table's writes.
          ...INDEX_NAMES.map((index) =>
            props.table.metric('WriteThrottleEvents', { period: OPS_PERIOD, statistic: Stats.SUM, label: `${index} writes`, dimensionsMap: { TableName: props.table.tableName, GlobalSecondaryIndexName: index } }),
          ),
        ],
        {
          right: [
            props.table.metricThrottledRequestsForOperations({
              period: OPS_PERIOD,
              label: 'throttled requests (the calls the app makes)',
              operations: [Operation.GET_ITEM, Operation.QUERY, Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.TRANSACT_WRITE_ITEMS],
            }),
          ],
        },
      ),
      graph('API requests, 4xx and 5xx', [props.api.metricCount({ period: OPS_PERIOD, statistic: Stats.SUM, label: 'requests' })], {
        right: [
          props.api.metricClientError({ period: OPS_PERIOD, statistic: Stats.SUM, label: '4xx' }),
          props.api.metricServerError({ period: OPS_PERIOD, statistic: Stats.SUM, label: '5xx' }),
        ],
      }),
      graph('API latency (ms)', [
        props.api.metricLatency({ period: OPS_PERIOD, statistic: Stats.percentile(50), label: 'p50' }),
        props.api.metricLatency({ period: OPS_PERIOD, statistic: Stats.percentile(90), label: 'p90' }),
        props.api.metricLatency({ period: OPS_PERIOD, statistic: Stats.percentile(99), label: 'p99' }),
        props.api.metricIntegrationLatency({ period: OPS_PERIOD, statistic: Stats.percentile(90), label: 'integration p90' }),
      ]),
      graph(
        'SES reputation (account)',
        [
          new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: Stats.MAXIMUM, period: Duration.hours(1), label: 'bounce rate' }),
          new Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', statistic: Stats.MAXIMUM, period: Duration.hours(1), label: 'complaint rate' }),
        ],
        {
          annotations: [
            { value: SES_BOUNCE_RATE_THRESHOLD, label: `bounce alarm ${SES_BOUNCE_RATE_THRESHOLD * 100} %`, color: '#d62728' },
            { value: SES_COMPLAINT_RATE_THRESHOLD, label: `complaint alarm ${SES_COMPLAINT_RATE_THRESHOLD * 100} %`, color: '#ff7f0e' },
          ],
        },
      ),
    ];

    // Rows of at most the dashboard's 24 columns, in the order above.
    let row: IWidget[] = [];
    const flush = () => {
      if (row.length) this.dashboard.addWidgets(...row);
      row = [];
    };
    for (const widget of [...playbookWidgets, ...operationalWidgets]) {
      if (row.reduce((width, placed) => width + placed.width, 0) + widget.width > 24) flush();
      row.push(widget);
    }
    flush();
  }

  /** The console link to this dashboard. */
  get url(): string {
    return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.dashboardName}`;
  }
}
