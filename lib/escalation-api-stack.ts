import { Annotations, CfnOutput, Duration, Fn, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { FilterCriteria, FilterRule, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { HANDLERS, ROUTES } from '../functions/http/routes';
import { STREAM_CONSUMERS, type StreamConsumer } from '../functions/adapters/stored-changes';
import { WORKFLOW_TASKS } from '../functions/workflow/definition';
import { loadTemplates } from '../templates/catalogue';
import { EscalationHttpApi } from './api';
import { EscalationDashboard } from './dashboard';
import { EscalationEmail } from './email';
import { HandlerFunction } from './handler-function';
import { EscalationInbound, INBOUND_PREFIX, rawMailRetention } from './inbound';
import { EscalationMonitoring } from './monitoring';
import { NotificationsKey } from './notifications-key';
import { playbookBundle } from './playbook-bundle';
import { scheduleRuns } from './schedule';
import { inboundAddressOf, type StageConfig } from './stage-config';
import { EscalationTable } from './table';
import { HANDLERS_WITHOUT_TABLE } from './table-access';
import { EscalationWorkflow } from './workflow';

/** The public route that verifies survey links; the deadline task that signs them. */
export const SURVEY_VERIFIER = 'record-satisfaction';
export const SURVEY_SIGNER = WORKFLOW_TASKS.ActOnDeadlineFunctionArn;
export const EMAIL_EVENTS_HANDLER = 'email-events';
export const INBOUND_EMAIL_HANDLER = 'inbound-email';
export const CASE_WORKFLOWS_HANDLER = 'case-workflows' satisfies StreamConsumer;
export const QUEUED_EMAILS_HANDLER = 'queued-emails' satisfies StreamConsumer;
export const RESEND_OWED_EMAILS_HANDLER = 'resend-owed-emails';
/** The API handler of the account routes; with an inbound domain it also deletes raw mail (erasure). */
export const ACCOUNTS_HANDLER = 'accounts';
export const OWED_EMAIL_SWEEP_SCHEDULE = ScheduleExpression.rate(Duration.minutes(1));
/** A stream batch that keeps failing is retried this often (bisected), then described in the consumer's queue. */
export const STREAM_RETRY_ATTEMPTS = 5;

export interface EscalationApiStackProps extends StackProps {
  config: StageConfig;
  /** The repository root: handler sources, the lockfile and an optional playbook.json live there. */
  projectRoot: string;
}

export class EscalationApiStack extends Stack {
  /** The API's Lambdas, by handler name (the workflow's own are in `workflow.tasks`). */
  readonly handlers: ReadonlyMap<string, HandlerFunction>;
  /** Records SES bounces and complaints on the case (SNS → Lambda). */
  readonly emailEvents: HandlerFunction;
  /** From the table's stream: starts and stops each case's workflow. */
  readonly caseWorkflows: HandlerFunction;
  /** From the table's stream: sends the emails each change queued, publishes its events, posts their webhooks. */
  readonly queuedEmails: HandlerFunction;
  /** Every minute: sends the owed emails that are due again (retries, expired claims). */
  readonly resendOwedEmails: HandlerFunction;
  /** Takes in customers' email (SES receipt rule → Lambda); only with an inbound domain. */
  readonly inboundEmail?: HandlerFunction;
  /** Every Lambda of the app. */
  readonly functions: readonly HandlerFunction[];
  readonly table: EscalationTable;
  readonly workflow: EscalationWorkflow;
  readonly email: EscalationEmail;
  readonly inbound?: EscalationInbound;
  readonly api: EscalationHttpApi;
  readonly surveySigningKey: Secret;
  /** The stack's own event bus: every domain event goes here (docs/events.md); users route them with rules. */
  readonly eventBus: EventBus;
  readonly monitoring: EscalationMonitoring;
  readonly dashboard: EscalationDashboard;

  constructor(scope: Construct, id: string, props: EscalationApiStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.table = new EscalationTable(this, 'Escalations');
    const { table } = this.table;
    const playbook = playbookBundle(props.projectRoot, config.playbook, { bundling: this.bundlingRequired });
    const placeholders = Object.values(playbook.playbook.contacts).flat().filter((address) => address.endsWith('@example.com'));
    if (placeholders.length) {
      // Alerts to example.com bounce, and bounces count against the account's SES reputation.
      Annotations.of(this).addWarningV2(
        'escalation-api:placeholder-contacts',
        `the playbook still routes to placeholder addresses (${placeholders.join(', ')}): set real contacts in playbook.json before going live (docs/deploy.md)`,
      );
    }
    const newFunction = (handler: string) => new HandlerFunction(this, `Handler-${handler}`, { handler, projectRoot: props.projectRoot, playbook });
    const { key: topicKey } = new NotificationsKey(this, 'NotificationsKey', { stage: config.stage });

    // The HMAC key of the satisfaction links: generated by Secrets Manager, read at run time by ARN.
    this.surveySigningKey = new Secret(this, 'SurveySigningKey', {
      description: `HMAC key signing the satisfaction-survey links of the escalation API (stage ${config.stage})`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.surveySigningKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The key signs survey links that stay valid for 30 days. It is rotated by hand in two steps a month apart: the secret holds the current and the previous key, links name the key that signed them, and both keys are accepted meanwhile (docs/deploy.md). A scheduled rotation would drop the key of links still in customers\' inboxes.',
    });

    const inboundAddress = inboundAddressOf(config);
    this.email = new EscalationEmail(this, 'Email', {
      stage: config.stage,
      senderEmail: config.senderEmail,
      topicKey,
      sandbox: config.sesSandbox,
      ...(config.senderIdentityArn && { senderIdentityArn: config.senderIdentityArn }),
      ...(inboundAddress && { inboundAddress }),
    });
    this.workflow = new EscalationWorkflow(this, 'Workflow', {
      stage: config.stage,
      table,
      projectRoot: props.projectRoot,
      playbook,
    });

    const handlers = new Map<string, HandlerFunction>();
    for (const name of HANDLERS) {
      const handler = newFunction(name);
      // An API handler only reads and writes the table: what a write sets off follows from
      // the table's stream (below), off the request path.
      if (!HANDLERS_WITHOUT_TABLE.has(name)) handler.useTable(table);
      handlers.set(name, handler);
    }
    this.handlers = handlers;

    // Bounces and complaints: recorded on the case; no workflow change, no email.
    this.emailEvents = newFunction(EMAIL_EVENTS_HANDLER);
    this.emailEvents.useTable(table);
    this.email.deliverEventsTo(this.emailEvents);

    // What follows a write, from the table's stream: two consumers, each at its own place in the
    // stream (a shard allows two readers), so a burst of emails never delays a workflow start.
    const followStream = (handler: StreamConsumer) => {
      const consumer = newFunction(handler);
      consumer.useTable(table);
      const { eventNames, sortKey } = STREAM_CONSUMERS[handler];
      const sortKeyRules = 'equals' in sortKey ? [FilterRule.isEqual(sortKey.equals)] : sortKey.prefixes.map((prefix) => FilterRule.beginsWith(prefix));
      consumer.function.addEventSource(
        new DynamoEventSource(table, {
          startingPosition: StartingPosition.TRIM_HORIZON,
          batchSize: 100,
          bisectBatchOnError: true,
          retryAttempts: STREAM_RETRY_ATTEMPTS,
          onFailure: new SqsDlq(consumer.deadLetterQueue!),
          // The rule functions/adapters/stored-changes.ts applies as `followedBy`.
          filters: [FilterCriteria.filter({ eventName: FilterRule.or(...eventNames), dynamodb: { Keys: { sk: { S: sortKeyRules.flat() } } } })],
        }),
      );
      return consumer;
    };
    this.caseWorkflows = followStream(CASE_WORKFLOWS_HANDLER);
    this.caseWorkflows.useWorkflow(this.workflow, ['start', 'stop']);
    this.queuedEmails = followStream(QUEUED_EMAILS_HANDLER);
    this.queuedEmails.useMailer(this.email);
    // Domain events from the timeline entries the same consumer reads: onto the stack's own bus
    // (rules route them anywhere AWS reaches), and to the registered webhooks.
    this.eventBus = new EventBus(this, 'Events', { eventBusName: `escalation-events-${config.stage}`, description: `Domain events of the escalation API (stage ${config.stage}); docs/events.md lists them` });
    this.queuedEmails.usePublisher(this.eventBus);

    // Every minute: emails whose retry time came, or whose claim outlived its lease, are sent;
    // the age of the oldest owed email is published (and alarmed).
    this.resendOwedEmails = newFunction(RESEND_OWED_EMAILS_HANDLER);
    this.resendOwedEmails.useTable(table);
    this.resendOwedEmails.useMailer(this.email);
    // Events the bus refused are owed to it like webhook deliveries: the sweep puts them again.
    this.resendOwedEmails.usePublisher(this.eventBus);
    scheduleRuns(this, 'OwedEmailSweep', this.resendOwedEmails, {
      schedule: OWED_EMAIL_SWEEP_SCHEDULE,
      description: 'Sends every owed email that is due again: a retry whose time came, a claim whose lease ran out.',
      // Each run does the same work as the last one missed: a short retry, then the next minute.
      retryAttempts: 1,
      maxEventAge: Duration.minutes(5),
    });

    if (config.inboundDomain && inboundAddress) {
      // A reply lands on its case (maybe resuming it); a known contact's new mail opens one.
      this.inboundEmail = newFunction(INBOUND_EMAIL_HANDLER);
      this.inboundEmail.useTable(table);
      this.inbound = new EscalationInbound(this, 'Inbound', {
        stage: config.stage,
        domain: config.inboundDomain,
        address: inboundAddress,
        handler: this.inboundEmail,
        retention: rawMailRetention(playbook.playbook.retention.closedCaseDays),
      });
      // An account's erasure deletes the raw mail of its cases too.
      handlers.get(ACCOUNTS_HANDLER)!.useRawMailErasure({ bucket: this.inbound.bucket, prefix: INBOUND_PREFIX });
    }

    this.api = new EscalationHttpApi(this, 'Api', {
      routes: ROUTES,
      functions: new Map<string, IFunction>([...handlers].map(([name, handler]) => [name, handler.function])),
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
    });

    // Chat alerts: the two senders of the outbox may read exactly the secrets the playbook names (none without chat).
    const chatSecrets = [...new Set(Object.values(playbook.playbook.chat).map((channel) => channel.secret))];
    if (chatSecrets.length) for (const sender of [this.queuedEmails, this.resendOwedEmails]) sender.useChat(chatSecrets, this.api.url);

    // Survey links point at this API; the signer and the verifier read the same key.
    const survey = { signingKey: this.surveySigningKey, publicApiUrl: this.api.url };
    this.workflow.tasks.get(SURVEY_SIGNER)!.useSurveyLinks(survey);
    const verifier = handlers.get(SURVEY_VERIFIER);
    if (!verifier) throw new Error(`the route table has no "${SURVEY_VERIFIER}" handler to verify survey links`);
    verifier.useSurveyLinks(survey);

    this.functions = [
      ...handlers.values(),
      ...this.workflow.tasks.values(),
      this.workflow.reconciler,
      this.workflow.rearm,
      this.emailEvents,
      this.caseWorkflows,
      this.queuedEmails,
      this.resendOwedEmails,
      ...(this.inboundEmail ? [this.inboundEmail] : []),
    ];

    this.monitoring = new EscalationMonitoring(this, 'Monitoring', {
      stage: config.stage,
      functions: this.functions,
      api: this.api.api,
      alarms: [this.workflow.failedExecutionsAlarm],
      topicKey,
      ...(config.alarmEmail && { alarmEmail: config.alarmEmail }),
    });
    this.dashboard = new EscalationDashboard(this, 'Dashboard', {
      stage: config.stage,
      playbook: playbook.playbook,
      templates: loadTemplates().map((template) => template.name),
      functions: this.functions,
      stateMachine: this.workflow.stateMachine,
      api: this.api.api,
      table,
      alarms: this.monitoring.alarms,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the escalation API' });
    new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'CloudWatch dashboard: playbook targets and operations' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Every alarm notifies this SNS topic; subscribe to it (or pass -c alarmEmail=...)' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'The single DynamoDB table' });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn, description: 'The escalation workflow (one execution per case generation)' });
    new CfnOutput(this, 'SenderEmail', { value: config.senderEmail, description: 'From address of every email: verify it (or its domain) in SES' });
    new CfnOutput(this, 'SesConfigurationSet', { value: this.email.configurationSetName, description: 'SES configuration set every email is sent with (bounces and complaints are recorded on the case)' });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName, description: 'EventBridge bus with every domain event (source escalation-api, detail-type the event type): add rules to route them' });
    new CfnOutput(this, 'SurveySigningKeySecretArn', { value: this.surveySigningKey.secretArn, description: 'Secrets Manager secret holding the HMAC key of the satisfaction links' });

    if (this.inbound) {
      new CfnOutput(this, 'InboundAddress', { value: this.inbound.address, description: 'Customers write (and reply) to this address; replies use plus-addresses of it' });
      new CfnOutput(this, 'InboundMxRecord', {
        value: Fn.join(' ', [config.inboundDomain!, 'MX', this.inbound.mxRecord]),
        description: 'Create this MX record at your DNS provider so that SES receives the inbound domain\'s mail',
      });
      this.inbound.domainIdentity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `InboundDkimRecord${index + 1}`, {
          value: Fn.join(' ', [record.name, 'CNAME', record.value]),
          description: `DKIM record ${index + 1} of 3 for ${config.inboundDomain}: create it to verify the domain in SES`,
        });
      });
      new CfnOutput(this, 'InboundBucket', { value: this.inbound.bucket.bucketName, description: 'Raw inbound mail (expires after 30 days)' });
      new CfnOutput(this, 'ActivateReceiptRuleSet', {
        value: `aws ses set-active-receipt-rule-set --rule-set-name ${this.inbound.receiptRuleSetName}`,
        description: 'Run once after the first deploy: SES receives mail only through the active receipt rule set',
      });
    }
  }
}
