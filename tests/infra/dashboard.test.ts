import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRICS_NAMESPACE } from '../../functions/adapters/emf-metrics';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import { loadPlaybook } from '../../functions/playbook/load';
import { PLAYBOOK_TARGETS } from '../../lib/dashboard';
import type { EscalationApiStack } from '../../lib/escalation-api-stack';
import { dashboardBody, synthesize, unacknowledgedFindings } from './synthesized';

const FUNCTIONS_DIR = fileURLToPath(new URL('../../functions', import.meta.url));
const HOUR_MS = 3_600_000;
/** The unit argument of `record(name, value, unit)`, not a metric name. */
const UNITS = new Set(['Count', 'Milliseconds', 'Seconds', 'None']);

/** Every EMF metric the handlers write (the metrics issue's list). */
const EMF_METRICS = [
  'EscalationsOpened',
  'TimeToAcknowledge',
  'TimeToResolution',
  'CustomerUpdates',
  'TierReached',
  'DeadlineBreaches',
  'DeadlineLag',
  'EscalationOutcomes',
  'SatisfactionScore',
  'EmailsSent',
  'EmailsFailed',
  'EmailsSentAgain',
  'EmailsAbandoned',
  'OwedEmails',
  'OldestOwedEmailAge',
  'EmailsBounced',
  'EmailsUndeliverable',
  'EmailsDelayed',
  'EmailComplaints',
  'InboundEmails',
  'WorkflowFailures',
  'WorkflowStartFailures',
  'WorkflowsRearmed',
  'WorkflowsStartedBySweep',
  'EventsPublished',
  'EventsAbandoned',
  'WebhooksRegistered',
  'WebhooksDelivered',
  'WebhookAttemptsFailed',
  'WebhooksDisabled',
  'WebhookDeliveryLag',
  'OwedWebhookDeliveries',
  'OldestOwedWebhookDeliveryAge',
  'ChatMessagesPosted',
  'ChatMessagesFailed',
  'ChatMessagesAbandoned',
];

/** Metric names as the source writes them: `metrics.record('Name', ...)` calls and metric-points.ts's `name: 'Name'`. */
function metricNamesInSource(): string[] {
  const names = new Set<string>();
  const files = readdirSync(FUNCTIONS_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  for (const file of files) {
    const text = readFileSync(path.join(FUNCTIONS_DIR, file), 'utf8');
    for (const line of text.split('\n').filter((candidate) => candidate.includes('metrics.record('))) {
      const call = line.slice(line.indexOf('metrics.record('));
      for (const match of call.matchAll(/'([A-Z][A-Za-z]+)'/g)) if (!UNITS.has(match[1]!)) names.add(match[1]!);
    }
    if (file.endsWith('metric-points.ts')) for (const match of text.matchAll(/name: '([A-Z][A-Za-z]+)'/g)) names.add(match[1]!);
    // A table that names the metric each kind is recorded as (usecases/email-events.ts).
    for (const match of text.matchAll(/metric: '([A-Z][A-Za-z]+)'/g)) names.add(match[1]!);
  }
  return [...names].sort();
}

interface Widget {
  type: string;
  width: number;
  properties: { title?: string; metrics?: unknown[][]; annotations?: { horizontal?: { value: number; label: string }[] }; alarms?: unknown[] };
}

const metricNamesOf = (widget: Widget) => (widget.properties.metrics ?? []).filter((entry) => typeof entry[0] === 'string').map((entry) => `${entry[0]}/${entry[1]}`);
const expressionsOf = (widget: Widget) => (widget.properties.metrics ?? []).map((entry) => entry[0]).filter((first): first is { expression: string; label?: string } => typeof first === 'object' && first !== null && 'expression' in first);
const annotationValues = (widget: Widget) => (widget.properties.annotations?.horizontal ?? []).map((annotation) => annotation.value);
const dimensionValue = (entry: unknown[], name: string) => {
  const index = entry.indexOf(name);
  return index > 1 ? entry[index + 1] : undefined;
};

describe('the CloudWatch dashboard', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let widgets: Widget[];
  const playbook = loadPlaybook(undefined);

  beforeAll(() => {
    ({ template, stack } = synthesize());
    widgets = dashboardBody(template).widgets;
  }, 60_000);

  const widgetTitled = (prefix: string): Widget => {
    const found = widgets.filter((widget) => widget.properties.title?.startsWith(prefix));
    expect(found, `widgets titled "${prefix}..."`).toHaveLength(1);
    return found[0]!;
  };

  it('is one dashboard, named per stage, laid out in rows of at most 24 columns', () => {
    expect(stack.dashboard.dashboardName).toBe('escalation-api-dev');
    for (const widget of widgets) expect(widget.width).toBeLessThanOrEqual(24);
  });

  it('knows every metric the source writes (guards the list below)', () => {
    expect(metricNamesInSource()).toEqual([...EMF_METRICS].sort());
  });

  it.each(EMF_METRICS)('has a widget for %s', (metricName) => {
    const showing = widgets.filter((widget) => metricNamesOf(widget).includes(`${METRICS_NAMESPACE}/${metricName}`));
    expect(showing.length).toBeGreaterThan(0);
  });

  it('addresses EMF metrics with their full, bounded dimension sets only (never a function name)', () => {
    for (const widget of widgets) {
      for (const entry of widget.properties.metrics ?? []) {
        if (entry[0] !== METRICS_NAMESPACE) continue;
        const dimensionNames = entry.slice(2).filter((_, index) => index % 2 === 0).filter((item) => typeof item === 'string');
        for (const name of dimensionNames) expect(['severity', 'kind', 'onTime', 'outcome', 'template', 'cause'], `${entry[1]}`).toContain(name);
        if (entry[1] === 'DeadlineBreaches') expect(dimensionNames).toEqual(['kind', 'severity']);
      }
    }
  });

  describe('playbook targets as annotations', () => {
    it('time to acknowledge: a line per severity, in hours, with < 1 h and each severity\'s target', () => {
      const widget = widgetTitled('Time to acknowledge');
      const severities = (widget.properties.metrics ?? []).filter((entry) => entry[1] === 'TimeToAcknowledge').map((entry) => dimensionValue(entry, 'severity'));
      expect(severities).toEqual([...SEVERITIES]);
      for (const expression of expressionsOf(widget)) expect(expression.expression).toContain(`/ ${HOUR_MS}`);
      // < 1 h overall, critical 1 h, high 4 h. Medium and low acknowledge within 1 and 2 working days,
      // which have no length in hours (it depends on the calendar and the start): no line for them.
      expect(annotationValues(widget)).toEqual([PLAYBOOK_TARGETS.acknowledgeHours, 1, 4]);
    });

    it('time to resolution: a line only for a target with a length in hours (critical\'s day on 24×7: 24 h)', () => {
      const widget = widgetTitled('Time to resolution');
      expect(annotationValues(widget)).toEqual([24]);
      expect(playbook.severities.high.resolveWithin).toEqual({ amount: 3, unit: 'days' });
    });

    it('customer updates on time: a percentage with the 100 % target', () => {
      const widget = widgetTitled('Customer updates on time');
      expect(expressionsOf(widget)[0]!.expression).toMatch(/^100 \* /);
      expect(annotationValues(widget)).toEqual([100]);
    });

    it('satisfaction: the average per severity with the > 7 target', () => {
      const widget = widgetTitled('Satisfaction');
      expect(metricNamesOf(widget).filter((name) => name.endsWith('/SatisfactionScore'))).toHaveLength(SEVERITIES.length);
      expect(annotationValues(widget)).toEqual([7]);
    });

    it('churn: churned out of all outcomes, with the < 5 % target', () => {
      const widget = widgetTitled('Escalation → churn');
      expect(expressionsOf(widget)[0]!.expression).toMatch(/^100 \* FILL\(churn_part, 0\) \/ /);
      expect(annotationValues(widget)).toEqual([5]);
    });

    it('deadline breaches: zero is the target, each severity\'s alarm threshold drawn', () => {
      const widget = widgetTitled('Deadline breaches');
      expect(expressionsOf(widget)).toHaveLength(SEVERITIES.length);
      expect(annotationValues(widget)[0]).toBe(0);
      expect(annotationValues(widget)).toHaveLength(1 + SEVERITIES.length);
    });

    it('tier reached: the top of the ladder', () => {
      expect(annotationValues(widgetTitled('Tier reached'))).toEqual([playbook.ladder.length]);
    });
  });

  describe('operations', () => {
    it('shows errors, duration and throttles of every Lambda', () => {
      for (const [title, metricName] of [
        ['Lambda errors', 'Errors'],
        ['Lambda duration', 'Duration'],
        ['Lambda throttles', 'Throttles'],
      ] as const) {
        const names = metricNamesOf(widgetTitled(title));
        expect(names.filter((name) => name === `AWS/Lambda/${metricName}`), title).toHaveLength(stack.functions.length);
      }
    });

    it('shows the workflow\'s executions, failures included', () => {
      const names = metricNamesOf(widgetTitled('Workflow executions'));
      expect(names).toEqual(expect.arrayContaining(['AWS/States/ExecutionsStarted', 'AWS/States/ExecutionsFailed', 'AWS/States/ExecutionsTimedOut', 'AWS/States/ExecutionsAborted']));
    });

    it('shows DynamoDB throttles: table, indexes, throttled requests', () => {
      const names = metricNamesOf(widgetTitled('DynamoDB throttles'));
      expect(names).toEqual(expect.arrayContaining(['AWS/DynamoDB/ReadThrottleEvents', 'AWS/DynamoDB/WriteThrottleEvents', 'AWS/DynamoDB/ThrottledRequests']));
    });

    it('shows API requests, 4xx, 5xx and latency', () => {
      expect(metricNamesOf(widgetTitled('API requests'))).toEqual(expect.arrayContaining(['AWS/ApiGateway/Count', 'AWS/ApiGateway/4xx', 'AWS/ApiGateway/5xx']));
      expect(metricNamesOf(widgetTitled('API latency'))).toEqual(expect.arrayContaining(['AWS/ApiGateway/Latency', 'AWS/ApiGateway/IntegrationLatency']));
    });

    it('shows dead-letter queues and SES reputation with their alarm thresholds, and the state of every alarm', () => {
      expect(annotationValues(widgetTitled('Dead-letter queues'))).toEqual([1]);
      expect(annotationValues(widgetTitled('SES reputation'))).toEqual([0.05, 0.001]);
      const status = widgets.find((widget) => widget.type === 'alarm');
      expect(status?.properties.alarms).toHaveLength(stack.monitoring.alarms.length);
    });
  });

  it('is linked from the stack outputs', () => {
    const link = JSON.stringify(template.toJSON().Outputs.DashboardUrl.Value);
    expect(link).toContain('console.aws.amazon.com/cloudwatch/home?region=');
    expect(link).toContain('#dashboards/dashboard/escalation-api-dev');
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(unacknowledgedFindings(stack.dashboard)).toEqual([]);
  });
});
