import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Config } from '../config';
import { awsClient, clientOptions } from './aws-clients';
import { templateData } from '../domain/communications';
import type { Mailer, TemplatedEmail } from '../ports/mailer';

const HEADER_UNSAFE = /[\r\n]/;

/** The mailer a handler wires in its container() call. */
export const sesMailer = (config: Config) =>
  new SesMailer(awsClient('sesv2', new SESv2Client(clientOptions('sesv2', config.SES_ENDPOINT))), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET, config.SES_TEMPLATE_PREFIX);

/** SES v2 templated email. The same calls work against local SES (aws-ses-v2-local). */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
    /** SES template names are account-wide: each stage deploys its templates under its own prefix. */
    private readonly templatePrefix = '',
  ) {}

  async send(email: TemplatedEmail) {
    for (const address of [...email.to, email.replyTo ?? '']) {
      if (HEADER_UNSAFE.test(address)) throw new Error('an email address may not contain CR or LF');
    }
    const result = await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        Destination: { ToAddresses: email.to },
        ...(email.replyTo && { ReplyToAddresses: [email.replyTo] }),
        Content: { Template: { TemplateName: `${this.templatePrefix}${email.template}`, TemplateData: JSON.stringify(templateData(email.data)) } },
        ...(this.configurationSet && { ConfigurationSetName: this.configurationSet }),
      }),
    );
    return { messageId: result.MessageId ?? 'unknown' };
  }
}
