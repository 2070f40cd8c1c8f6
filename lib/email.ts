import { ArnFormat, Stack } from 'aws-cdk-lib';
import { CfnTemplate } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { loadTemplates, type EmailTemplate } from '../templates/catalogue';
import type { MailSender } from './handler-function';

export interface EscalationEmailProps {
  /** The From address; SES must have it, or its domain, verified in this account and region. */
  senderEmail: string;
  /** @default every template in templates/ */
  templates?: readonly EmailTemplate[];
}

/**
 * The SES side of the emails: one SES template per directory of templates/ (the local
 * stack creates the same ones in local SES), and the resources a sender may use.
 */
export class EscalationEmail extends Construct implements MailSender {
  readonly senderEmail: string;
  readonly templateNames: readonly string[];
  /**
   * The sender as an address identity and as a domain identity (SES authorizes whichever
   * of the two is verified), and each deployed template: no other identity or template.
   */
  readonly sendingResourceArns: readonly string[];

  constructor(scope: Construct, id: string, props: EscalationEmailProps) {
    super(scope, id);
    const templates = props.templates ?? loadTemplates();
    for (const template of templates) {
      new CfnTemplate(this, `Template-${template.name}`, {
        template: {
          templateName: template.name,
          subjectPart: template.subject,
          htmlPart: template.html,
          textPart: template.text,
        },
      });
    }
    this.senderEmail = props.senderEmail;
    this.templateNames = templates.map((template) => template.name);

    const stack = Stack.of(this);
    const sesArn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'ses', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const domain = props.senderEmail.slice(props.senderEmail.lastIndexOf('@') + 1);
    this.sendingResourceArns = [
      sesArn('identity', props.senderEmail),
      sesArn('identity', domain),
      ...this.templateNames.map((name) => sesArn('template', name)),
    ];
  }
}
