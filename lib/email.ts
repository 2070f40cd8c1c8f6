import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import {
  CfnTemplate,
  ConfigurationSet,
  ConfigurationSetEventDestination,
  EmailSendingEvent,
  EventDestination,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { loadTemplates, type EmailTemplate } from '../templates/catalogue';
import type { HandlerFunction, MailSender } from './handler-function';

/**
 * The SES sending events that reach the email-events handler, which records them on the case:
 * bounces and complaints, and what SES drops after returning a MessageId (a template it
 * could not render, a message it rejected) or keeps retrying (a delivery delay).
 */
export const DELIVERY_PROBLEM_EVENTS = [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT, EmailSendingEvent.RENDERING_FAILURE, EmailSendingEvent.REJECT, EmailSendingEvent.DELIVERY_DELAY];

export interface EscalationEmailProps {
  /** Goes into the template prefix and the configuration set's name: SES names are account-wide. */
  stage: string;
  /** The From address; SES must have it, or its domain, verified in this account and region. */
  senderEmail: string;
  /** Customer emails carry a Reply-To plus-address of it; unset without inbound email. */
  inboundAddress?: string;
  /** The account's SES is in the sandbox: senders also get its identities, which SES checks recipients against. */
  sandbox?: boolean;
  /** The identity the sender sends under when it is neither the address nor its domain. */
  senderIdentityArn?: string;
  /** Encrypts the bounce and complaint topic (the notices name customers' addresses). */
  topicKey: IKey;
  /** @default every template in templates/ */
  templates?: readonly EmailTemplate[];
}

/**
 * The sending side of SES: one template per directory of templates/ (the local stack
 * creates the same ones in local SES), deployed under this stage's prefix; a configuration
 * set every send names, whose bounce and complaint events go to an SNS topic; and the
 * resources a sender may use.
 */
export class EscalationEmail extends Construct implements MailSender {
  readonly senderEmail: string;
  readonly inboundAddress?: string;
  readonly templatePrefix: string;
  /** The deployed SES template names, prefix included. */
  readonly templateNames: readonly string[];
  readonly configurationSet: ConfigurationSet;
  readonly configurationSetName: string;
  /** SES publishes each bounce and complaint here. */
  readonly deliveryEventsTopic: Topic;
  /**
   * The sender as an address identity and as a domain identity (SES authorizes whichever
   * of the two is verified), the configuration set and each deployed template: nothing else.
   */
  readonly sendingResourceArns: readonly string[];
  readonly senderIdentityArn?: string;
  readonly sandboxRecipientsArn?: string;

  constructor(scope: Construct, id: string, props: EscalationEmailProps) {
    super(scope, id);
    this.senderEmail = props.senderEmail;
    this.inboundAddress = props.inboundAddress;
    this.templatePrefix = `${props.stage}-`;
    const templates = props.templates ?? loadTemplates();
    this.templateNames = templates.map((template) => `${this.templatePrefix}${template.name}`);
    for (const template of templates) {
      new CfnTemplate(this, `Template-${template.name}`, {
        template: {
          templateName: `${this.templatePrefix}${template.name}`,
          subjectPart: template.subject,
          htmlPart: template.html,
          textPart: template.text,
        },
      });
    }

    this.configurationSetName = `escalation-api-${props.stage}`;
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      // Bounce and complaint rates per configuration set, for the dashboard and alarms.
      reputationMetrics: true,
      sendingEnabled: true,
      // Never mail an address that bounced or complained again.
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    this.deliveryEventsTopic = new Topic(this, 'DeliveryEvents', {
      displayName: `SES delivery problems (${props.stage})`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // Adds the topic policy statement letting SES publish for this configuration set only.
    new ConfigurationSetEventDestination(this, 'DeliveryProblems', {
      configurationSet: this.configurationSet,
      destination: EventDestination.snsTopic(this.deliveryEventsTopic),
      events: DELIVERY_PROBLEM_EVENTS,
    });

    const stack = Stack.of(this);
    const sesArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const domain = props.senderEmail.slice(props.senderEmail.lastIndexOf('@') + 1);
    this.sendingResourceArns = [
      sesArn('identity', props.senderEmail),
      sesArn('identity', domain),
      ...(props.senderIdentityArn ? [props.senderIdentityArn] : []),
      sesArn('configuration-set', this.configurationSetName),
      ...this.templateNames.map((name) => sesArn('template', name)),
    ];
    if (props.senderIdentityArn) this.senderIdentityArn = props.senderIdentityArn;
    if (props.sandbox) this.sandboxRecipientsArn = sesArn('identity', '*');
  }

  /** The handler that records each bounce and complaint on its case (SNS invokes it asynchronously). */
  deliverEventsTo(handler: HandlerFunction): void {
    this.deliveryEventsTopic.addSubscription(new LambdaSubscription(handler.function));
  }
}
