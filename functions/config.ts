import * as z from 'zod';

/** Environment every Lambda reads. CDK sets each variable together with its IAM grant. */
const ConfigSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The escalation workflow; built from its fixed name in CDK to avoid a reference cycle. */
  STATE_MACHINE_ARN: z.string().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]+$/, 'expected a Step Functions state machine ARN').optional(),
  SENDER_EMAIL: z.email().default('escalations@example.com'),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** The identity the sender sends under, when it is neither the address nor its domain (a parent domain, another account's). */
  SES_FROM_IDENTITY_ARN: z.string().startsWith('arn:').optional(),
  /** Prefix of this stage's SES template names (templates are shared by every stage in a region). */
  SES_TEMPLATE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/).default(''),
  /** Where customer replies arrive (an SES receipt rule on AWS, the SMTP server locally). */
  INBOUND_ADDRESS: z.email().optional(),
  /** Where the SES receipt rule stores raw inbound mail (the inbound Lambda only). */
  INBOUND_BUCKET: z.string().min(3).optional(),
  INBOUND_PREFIX: z.string().default('inbound/'),
  PLAYBOOK_PATH: z.string().min(1).optional(),
  /**
   * How long a claim on an owed email holds before another sender may take it over, in seconds
   * of the clock handlers read: twice the slowest sender's timeout (queued-emails and
   * resend-owed-emails: 60 s), so a live claim is never taken over, yet a crashed one is
   * retried within minutes. A new email is also the table stream's alone for this long.
   */
  EMAIL_CLAIM_LEASE_SECONDS: z.coerce.number().int().min(1).default(120),
  /** Where customers reach the public satisfaction endpoint (the API's base URL). */
  PUBLIC_API_URL: z.url().default('http://127.0.0.1:3000'),
  /** The survey signing key lives in Secrets Manager (the local stack stands in for it, checking the same grant). */
  SURVEY_SIGNING_KEY_SECRET_ARN: z.string().startsWith('arn:').optional(),
  /** The stack's own EventBridge bus, where domain events go (the outbox consumer only). */
  EVENT_BUS_NAME: z.string().min(1).optional(),
  /**
   * Where webhooks may point: `public-https` (AWS: https URLs resolving to public addresses only,
   * checked at registration and at every delivery) or `any` (the local stack: its receivers run
   * on 127.0.0.1 over http).
   */
  WEBHOOK_TARGETS: z.enum(['public-https', 'any']).default('public-https'),
  /** Only for the local stack: where DynamoDB Local, local SES and the local event bus listen. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  SES_ENDPOINT: z.url().optional(),
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
  /** Only for the local stack: what stands in for Secrets Manager (the chat webhook URLs). */
  SECRETS_MANAGER_ENDPOINT: z.url().optional(),
});
export type Config = z.output<typeof ConfigSchema>;

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  // Parsed once per container, at cold start: zod's compiled fast path (code generated and
  // compiled on an object's first parse) would cost more than it could ever save here.
  const result = ConfigSchema.safeParse(env, { jitless: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return result.data;
}
