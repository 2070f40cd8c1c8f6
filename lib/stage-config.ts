import { z } from 'zod';

/** What differs between deployments of the same app, read from CDK context (`-c key=value`). */
const StageConfigSchema = z.object({
  // Goes into stack and resource names, so CloudFormation's naming rules apply.
  stage: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, 'use lower-case letters, digits and dashes, starting with a letter (at most 20 characters)')
    .default('dev'),
  jwtIssuer: z
    .url({ protocol: /^https$/, error: 'must be the https URL of the token issuer, e.g. https://auth.example.com/' }),
  // The CLI passes context as strings, so several audiences arrive comma-separated.
  jwtAudience: z
    .string({ error: 'must name the audience the tokens are issued for' })
    .transform((value) => value.split(',').map((audience) => audience.trim()).filter(Boolean))
    .pipe(z.array(z.string()).min(1, 'must name at least one audience')),
  // The From address of every email; SES must have it (or its domain) verified in the account.
  senderEmail: z.email({ error: 'must be the email address the escalation emails come from, verified in SES (the address or its domain)' }),
});

export type StageConfig = z.output<typeof StageConfigSchema>;

export class StageConfigError extends Error {
  override name = 'StageConfigError';
}

const PLACEHOLDERS: Record<string, string> = { stage: 'dev', jwtIssuer: 'https://...', jwtAudience: '...', senderEmail: 'escalations@...' };
const EXAMPLE = 'cdk synth -c stage=dev -c jwtIssuer=https://auth.example.com/ -c jwtAudience=escalation-api -c senderEmail=escalations@example.com';

/** Validates the stage context; the error names each bad key and shows a working command line. */
export function parseStageConfig(context: Record<string, unknown>): StageConfig {
  const result = StageConfigSchema.safeParse(context);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(context)';
    const message = context[key] === undefined ? `missing: pass -c ${key}=${PLACEHOLDERS[key] ?? '...'}` : issue.message;
    return `  - ${key}: ${message}`;
  });
  throw new StageConfigError(
    `invalid stage configuration (CDK context):\n${problems.join('\n')}\nfor example:\n  ${EXAMPLE}`,
  );
}
