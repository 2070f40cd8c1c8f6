import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { HANDLERS } from '../../functions/http/routes';
import { WORKFLOW_TASKS } from '../../functions/workflow/definition';
import { loadTemplates } from '../../templates/catalogue';
import { CASE_WORKFLOWS_HANDLER, EMAIL_EVENTS_HANDLER, QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import { REARM_HANDLER, RECONCILE_HANDLER } from '../../lib/workflow';
import { INBOUND_CONTEXT, TEST_CONTEXT, actionsOf, inspect, logicalIdOf, resourcesIn, resourcesOf, synthesize, unacknowledgedFindings } from './synthesized';

// Who sends email: queued-emails (every email a stored change queued, from the table's stream)
// and resend-owed-emails (every minute: retries whose time came, claims whose lease ran out).
// Everything else (API handlers, deadline tasks, inbound-email) only queues emails in its write.
const MAIL_SENDERS: string[] = [QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER];
const ALL_FUNCTIONS = [...HANDLERS, ...Object.values(WORKFLOW_TASKS), RECONCILE_HANDLER, REARM_HANDLER, EMAIL_EVENTS_HANDLER, QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER, CASE_WORKFLOWS_HANDLER];
const NOT_MAIL_SENDERS = ALL_FUNCTIONS.filter((handler) => !MAIL_SENDERS.includes(handler));
const PREFIX = 'dev-';

describe('email', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let view: ReturnType<typeof inspect>;
  let inboundTemplate: Template;
  let inboundView: ReturnType<typeof inspect>;

  beforeAll(() => {
    ({ template, stack } = synthesize());
    view = inspect(template, stack);
    const inbound = synthesize(INBOUND_CONTEXT);
    inboundTemplate = inbound.template;
    inboundView = inspect(inbound.template, inbound.stack);
  }, 120_000);

  it('guards the derivation of senders below', () => {
    expect(MAIL_SENDERS).toEqual(['queued-emails', 'resend-owed-emails']);
    // Deadline actions and the sweep only queue emails in the outbox; the two senders above send them.
    expect(NOT_MAIL_SENDERS).toEqual(expect.arrayContaining(['create-escalation', 'escalation-action', 'incidents', 'case-workflows', 'get-escalation', 'health', 'review-deadlines', 'act-on-deadline', 'record-workflow-failure', 'reconcile-workflows', 'rearm-workflow', 'email-events']));
  });

  describe('templates', () => {
    it('deploys one SES template per directory of templates/, from its files, under the stage prefix', () => {
      const deployed = Object.values(resourcesOf(template, 'AWS::SES::Template')).map((resource) => resource.Properties.Template);
      const sources = loadTemplates();
      expect(sources.length).toBeGreaterThan(0);
      expect(deployed).toHaveLength(sources.length);
      for (const source of sources) {
        expect(deployed).toContainEqual({ TemplateName: `${PREFIX}${source.name}`, SubjectPart: source.subject, HtmlPart: source.html, TextPart: source.text });
      }
    });

    it('gives another stage its own template names (SES names are account-wide)', () => {
      const prod = synthesize({ stage: 'prod' }).template;
      const names = Object.values(resourcesOf(prod, 'AWS::SES::Template')).map((resource) => resource.Properties.Template.TemplateName);
      expect(names.every((name: string) => name.startsWith('prod-'))).toBe(true);
    }, 60_000);
  });

  describe('the configuration set', () => {
    it('is named per stage, sends, tracks reputation and suppresses bounced and complaining addresses', () => {
      const sets = Object.values(resourcesOf(template, 'AWS::SES::ConfigurationSet'));
      expect(sets).toHaveLength(1);
      expect(sets[0]!.Properties).toMatchObject({
        Name: 'escalation-api-dev',
        ReputationOptions: { ReputationMetricsEnabled: true },
        SendingOptions: { SendingEnabled: true },
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
    });

    it('sends bounces, complaints, rendering failures, rejects and delivery delays, and only those, to the encrypted delivery-events topic', () => {
      const destinations = Object.values(resourcesOf(template, 'AWS::SES::ConfigurationSetEventDestination'));
      expect(destinations).toHaveLength(1);
      const { EventDestination, ConfigurationSetName } = destinations[0]!.Properties;
      expect(ConfigurationSetName).toEqual({ Ref: logicalIdOf(stack.email.configurationSet) });
      expect(EventDestination.Enabled).toBe(true);
      expect([...EventDestination.MatchingEventTypes].sort()).toEqual(['bounce', 'complaint', 'deliveryDelay', 'reject', 'renderingFailure']);
      expect(EventDestination.SnsDestination.TopicARN).toEqual({ Ref: logicalIdOf(stack.email.deliveryEventsTopic) });
    });

    it('lets SES publish to the topic for this configuration set only, over TLS only', () => {
      const topicId = logicalIdOf(stack.email.deliveryEventsTopic);
      const policies = Object.values(resourcesOf(template, 'AWS::SNS::TopicPolicy')).filter((policy) => policy.Properties.Topics.some((topic: { Ref: string }) => topic.Ref === topicId));
      const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const ses = statements.find((statement: any) => statement.Principal?.Service === 'ses.amazonaws.com');
      expect(ses).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topicId } });
      expect(ses.Condition.StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      expect(JSON.stringify(ses.Condition.StringEquals['AWS:SourceArn'])).toContain(':configuration-set/');
      expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    });

    it('encrypts the topic with the customer managed key that SES may use to publish, rotated yearly', () => {
      const topic = resourcesOf(template, 'AWS::SNS::Topic')[logicalIdOf(stack.email.deliveryEventsTopic)]!;
      const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
      const key = resourcesOf(template, 'AWS::KMS::Key')[keyId]!;
      expect(key.Properties.EnableKeyRotation).toBe(true);
      const ses = key.Properties.KeyPolicy.Statement.find((statement: any) => statement.Principal?.Service === 'ses.amazonaws.com');
      expect([ses.Action].flat().sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    });

    it('invokes email-events through an SNS subscription of that topic', () => {
      const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription')).filter((subscription) => subscription.Properties.Protocol === 'lambda');
      expect(subscriptions).toHaveLength(1);
      expect(subscriptions[0]!.Properties).toMatchObject({
        TopicArn: { Ref: logicalIdOf(stack.email.deliveryEventsTopic) },
        Endpoint: { 'Fn::GetAtt': [logicalIdOf(stack.emailEvents.function), 'Arn'] },
      });
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((permission) => permission.Properties.Principal === 'sns.amazonaws.com');
      expect(permissions).toHaveLength(1);
      expect(permissions[0]!.Properties.SourceArn).toEqual({ Ref: logicalIdOf(stack.email.deliveryEventsTopic) });
    });

    it('lets email-events write the case, and nothing else: no email, no workflow', () => {
      expect(actionsOf(view.statementsWith(EMAIL_EVENTS_HANDLER, 'dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
      expect(view.statementsWith(EMAIL_EVENTS_HANDLER, 'ses:')).toEqual([]);
      expect(view.statementsWith(EMAIL_EVENTS_HANDLER, 'states:')).toEqual([]);
    });
  });

  describe('senders', () => {
    it.each(MAIL_SENDERS)('%s is told the sender, the configuration set and the template prefix', (handler) => {
      expect(view.environmentOf(handler)).toMatchObject({
        SENDER_EMAIL: TEST_CONTEXT.senderEmail,
        SES_CONFIGURATION_SET: 'escalation-api-dev',
        SES_TEMPLATE_PREFIX: PREFIX,
      });
    });

    it.each(MAIL_SENDERS)('%s may send as the sender identity, with the configuration set and the deployed templates, nothing wider', (handler) => {
      const statements = view.statementsWith(handler, 'ses:');
      expect(actionsOf(statements)).toEqual(['ses:SendEmail']);
      // The domain identity alone would allow any address of the domain: the condition keeps it to the sender.
      expect(statements.map((statement) => statement.Condition)).toEqual([{ StringEquals: { 'ses:FromAddress': TEST_CONTEXT.senderEmail } }]);
      const resources = resourcesIn(statements).map((resource) => JSON.stringify(resource));
      for (const resource of resources) expect(resource).not.toContain('*');
      const names = resources.map((resource) => resource.replace(/.*:(identity|template|configuration-set)\/([^"]+)".*/, '$1/$2')).sort();
      const domain = TEST_CONTEXT.senderEmail.split('@')[1];
      expect(names).toEqual(
        [
          `identity/${TEST_CONTEXT.senderEmail}`,
          `identity/${domain}`,
          'configuration-set/escalation-api-dev',
          ...loadTemplates().map((source) => `template/${PREFIX}${source.name}`),
        ].sort(),
      );
    });

    describe('in the SES sandbox, and with a parent domain identity', () => {
      const PARENT = 'arn:aws:ses:eu-west-1:123456789012:identity/example.test';
      const sandbox = () => {
        const built = synthesize({ sesSandbox: 'true', senderIdentityArn: PARENT });
        return inspect(built.template, built.stack);
      };
      let sandboxView: ReturnType<typeof inspect>;
      beforeAll(() => {
        sandboxView = sandbox();
      }, 60_000);

      it.each(MAIL_SENDERS)('%s may also send to the account\'s identities (SES checks each recipient in the sandbox), still only from the sender', (handler) => {
        const statements = sandboxView.statementsWith(handler, 'ses:');
        expect(statements).toHaveLength(2);
        for (const statement of statements) {
          expect(actionsOf([statement])).toEqual(['ses:SendEmail']);
          expect(statement.Condition).toEqual({ StringEquals: { 'ses:FromAddress': TEST_CONTEXT.senderEmail } });
        }
        const recipients = statements.find((statement) => JSON.stringify(statement.Resource).includes('identity/*'))!;
        expect(resourcesIn([recipients])).toHaveLength(1);
        expect(JSON.stringify(recipients.Resource)).toMatch(/:identity\/\*"/);
      });

      it.each(MAIL_SENDERS)('%s may send under the parent domain identity, and names it on every send', (handler) => {
        const sending = sandboxView.statementsWith(handler, 'ses:').find((statement) => !JSON.stringify(statement.Resource).includes('identity/*'))!;
        expect(resourcesIn([sending])).toContainEqual(PARENT);
        expect(sandboxView.environmentOf(handler).SES_FROM_IDENTITY_ARN).toBe(PARENT);
      });

      it.each(MAIL_SENDERS)('%s gets neither outside the sandbox or without the setting', (handler) => {
        expect(view.statementsWith(handler, 'ses:')).toHaveLength(1);
        expect(view.environmentOf(handler).SES_FROM_IDENTITY_ARN).toBeUndefined();
      });
    });

    it.each(NOT_MAIL_SENDERS)('%s may not send email and is told no sender', (handler) => {
      expect(view.statementsWith(handler, 'ses:')).toEqual([]);
      expect(view.environmentOf(handler).SENDER_EMAIL).toBeUndefined();
      expect(view.environmentOf(handler).SES_CONFIGURATION_SET).toBeUndefined();
    });

    it.each(MAIL_SENDERS)('%s gets no Reply-To address without an inbound domain', (handler) => {
      expect(view.environmentOf(handler).INBOUND_ADDRESS).toBeUndefined();
    });

    it.each(MAIL_SENDERS)('%s is told the inbound address for the Reply-To with an inbound domain', (handler) => {
      expect(inboundView.environmentOf(handler).INBOUND_ADDRESS).toBe(`escalations@${INBOUND_CONTEXT.inboundDomain}`);
      expect(inboundView.statementsWith(handler, 'ses:')).not.toEqual([]);
    });

    it('tells no non-sender the inbound address', () => {
      for (const handler of NOT_MAIL_SENDERS) expect(inboundView.environmentOf(handler).INBOUND_ADDRESS, handler).toBeUndefined();
      expect(Object.keys(resourcesOf(inboundTemplate, 'AWS::SES::Template')).length).toBe(loadTemplates().length);
    });
  });

  it('outputs the sender and the configuration set', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.SenderEmail.Value).toBe(TEST_CONTEXT.senderEmail);
    expect(outputs.SesConfigurationSet.Value).toBe('escalation-api-dev');
  });

  it('leaves no cdk-nag finding unacknowledged in the email constructs', () => {
    expect(unacknowledgedFindings(stack.email)).toEqual([]);
  });
});
