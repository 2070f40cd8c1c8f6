import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Config } from '../config';
import { awsClient, clientOptions } from './aws-clients';
import { templateData } from '../domain/communications';
import { EmailRejectedError } from '../ports/errors';
import type { Mailer, TemplatedEmail } from '../ports/mailer';

const HEADER_UNSAFE = /[\r\n]/;

/**
 * What SES answers for a message it will never take: its content or addresses are wrong
 * (`MessageRejected`), or the request is (`BadRequestException`: locally, a template its data
 * cannot render, which SES itself reports afterwards as a rendering failure). Anything else
 * (throttled, paused, unavailable, a template not deployed yet) may pass, and is retried.
 */
const PERMANENT_REFUSALS = new Set(['MessageRejected', 'BadRequestException']);

/** The mailer a handler wires in its container() call. */
export const sesMailer = (config: Config) =>
  new SesMailer(awsClient('sesv2', new SESv2Client(clientOptions('sesv2', config.SES_ENDPOINT))), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET, config.SES_TEMPLATE_PREFIX, config.SES_FROM_IDENTITY_ARN);

/** SES v2 templated email. The same calls work against local SES (aws-ses-v2-local). */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESv2Client,
    private readonly from: string,
    private readonly configurationSet?: string,
    /** SES template names are account-wide: each stage deploys its templates under its own prefix. */
    private readonly templatePrefix = '',
    /** The identity SES authorizes the sender against, when it is neither the address nor its domain. */
    private readonly fromIdentityArn?: string,
  ) {}

  async send(email: TemplatedEmail) {
    for (const address of [...email.to, email.replyTo ?? '']) {
      if (HEADER_UNSAFE.test(address)) throw new Error('an email address may not contain CR or LF');
    }
    const result = await this.sendOrName(
      new SendEmailCommand({
        FromEmailAddress: this.from,
        ...(this.fromIdentityArn && { FromEmailAddressIdentityArn: this.fromIdentityArn }),
        Destination: { ToAddresses: email.to },
        ...(email.replyTo && { ReplyToAddresses: [email.replyTo] }),
        Content: { Template: { TemplateName: `${this.templatePrefix}${email.template}`, TemplateData: JSON.stringify(templateData(email.data)) } },
        ...(this.configurationSet && { ConfigurationSetName: this.configurationSet }),
      }),
    );
    return { messageId: result.MessageId ?? 'unknown' };
  }

  /** Sends, and names a refusal of the message itself, which no retry will change. */
  private async sendOrName(command: SendEmailCommand) {
    try {
      return await this.ses.send(command);
    } catch (error) {
      // aws-ses-v2-local names its errors in the body's `type` (the SDK then says "Unknown") and explains in `detail`.
      const { name, type, detail, message } = error as Error & { type?: string; detail?: string };
      const code = name === 'Unknown' && type ? type : name;
      if (PERMANENT_REFUSALS.has(code)) throw new EmailRejectedError(`${code}: ${detail ?? message}`, { cause: error });
      throw error;
    }
  }
}
