import { readFileSync } from 'node:fs';
import * as z from 'zod';

/**
 * What differs between deployments of the same app. Read from CDK context (`-c key=value`),
 * optionally on top of a JSON file named by `-c configFile=<path>`; a flag beats the file.
 */
const StageConfigSchema = z.strictObject({
  // Goes into stack and resource names, so CloudFormation's naming rules apply.
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'use lower-case letters, digits and dashes, starting with a letter (at most 20 characters)')
    .default('dev'),
  jwtIssuer: z.url({ protocol: /^https$/, error: 'must be the https URL of the token issuer, e.g. https://auth.example.com/' }),
  // The CLI passes context as strings, so several audiences arrive comma-separated.
  jwtAudience: z
    .union([z.string(), z.array(z.string())], { error: 'must name the audience the tokens are issued for' })
    .transform((value) => [value].flat().flatMap((entry) => entry.split(',')).map((audience) => audience.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, 'must name at least one audience')),
  // The From address of every email; SES must have it (or its domain) verified in the account.
  senderEmail: z.email({ error: 'must be the email address the escalation emails come from, verified in SES (the address or its domain)' }),
  /**
   * A domain (or subdomain) whose mail SES receives: customers' replies reach
   * escalations@<inboundDomain>. Unset: no inbound email, and no Reply-To on customer emails.
   */
  inboundDomain: z
    .string()
    .regex(
      /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'must be a lower-case domain name you control, e.g. support.example.com (its MX record will point at SES)',
    )
    .optional(),
  // Where alarm notifications go (an SNS email subscription, confirmed from the first message).
  alarmEmail: z.email({ error: 'must be an email address for alarm notifications' }).optional(),
  /**
   * The account's SES is still in the sandbox (every new account, until AWS grants production
   * access): SES then also authorizes each send against every recipient's identity, so the
   * senders get ses:SendEmail on the account's identities, still only from senderEmail.
   * Turn it off once production access is granted (docs/deploy.md, section 4).
   */
  sesSandbox: z
    .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
    .transform((value) => value === true || value === 'true')
    .default(false),
  /**
   * The SES identity that authorizes the sender, when it is neither the address nor its domain:
   * a verified parent domain (escalations@mail.example.com sent under example.com), or an
   * identity another account shares with this one through a sending authorization policy.
   */
  senderIdentityArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:ses:[a-z0-9-]+:\d{12}:identity\/[^/\s]+$/, 'must be an SES identity ARN, e.g. arn:aws:ses:eu-west-1:123456789012:identity/example.com')
    .optional(),
  /**
   * The playbook this stage runs, a JSON file relative to the repository root (default
   * playbook.json when it exists, else the built-in defaults): a staging stage may post its chat
   * alerts to a test channel, for instance.
   */
  playbook: z.string().min(1, 'must be the path of a JSON playbook file relative to the repository root, e.g. playbook.staging.json').optional(),
});

export type StageConfig = z.output<typeof StageConfigSchema>;

/** Every key a stage configuration may set, in the order the error message lists them. */
export const STAGE_KEYS = Object.keys(StageConfigSchema.shape) as (keyof StageConfig)[];
/** The context key naming an optional JSON file with the same keys. */
export const CONFIG_FILE_KEY = 'configFile';

/** The mailbox SES receives for, on the inbound domain; customers reply to plus-addresses of it. */
export const INBOUND_LOCAL_PART = 'escalations';
export const inboundAddressOf = (config: Pick<StageConfig, 'inboundDomain'>) =>
  config.inboundDomain ? `${INBOUND_LOCAL_PART}@${config.inboundDomain}` : undefined;

export class StageConfigError extends Error {
  override name = 'StageConfigError';
}

const PLACEHOLDERS: Record<string, string> = {
  stage: 'dev',
  jwtIssuer: 'https://...',
  jwtAudience: '...',
  senderEmail: 'escalations@...',
  inboundDomain: 'support.example.com',
  alarmEmail: 'oncall@example.com',
  sesSandbox: 'true',
  senderIdentityArn: 'arn:aws:ses:<region>:<account>:identity/example.com',
  playbook: 'playbook.json',
};
const EXAMPLE =
  'cdk synth -c stage=dev -c jwtIssuer=https://auth.example.com/ -c jwtAudience=escalation-api -c senderEmail=escalations@example.com\n' +
  '  (or put the same keys in a JSON file and pass -c configFile=stage.dev.json)';

/**
 * Validates the stage context (and the file it names); the error names each bad key,
 * says what to set, and shows a working command line.
 */
export function parseStageConfig(context: Record<string, unknown>): StageConfig {
  const fromFile = readConfigFile(context[CONFIG_FILE_KEY]);
  const given = Object.fromEntries(STAGE_KEYS.filter((key) => context[key] !== undefined).map((key) => [key, context[key]]));
  const merged: Record<string, unknown> = { ...fromFile, ...given };
  // An empty flag (`-c alarmEmail=`) means "not set", as an absent key does.
  for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];

  const result = StageConfigSchema.safeParse(merged);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `  - ${issue.keys.join(', ')}: unknown key${issue.keys.length > 1 ? 's' : ''} in ${String(context[CONFIG_FILE_KEY])}; the keys are ${STAGE_KEYS.join(', ')}`;
    }
    const key = issue.path.join('.') || '(context)';
    const message = merged[key] === undefined ? `missing: pass -c ${key}=${PLACEHOLDERS[key] ?? '...'}` : issue.message;
    return `  - ${key}: ${message}`;
  });
  throw new StageConfigError(`invalid stage configuration (CDK context):\n${problems.join('\n')}\nfor example:\n  ${EXAMPLE}`);
}

function readConfigFile(file: unknown): Record<string, unknown> {
  if (file === undefined || file === '') return {};
  if (typeof file !== 'string') throw new StageConfigError(`${CONFIG_FILE_KEY} must be the path of a JSON file, e.g. -c ${CONFIG_FILE_KEY}=stage.prod.json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new StageConfigError(`cannot read the stage configuration file ${file} (-c ${CONFIG_FILE_KEY}): ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StageConfigError(`the stage configuration file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new StageConfigError(`the stage configuration file ${file} must hold one JSON object, e.g. { "stage": "prod", "senderEmail": "..." }`);
  }
  return parsed as Record<string, unknown>;
}
