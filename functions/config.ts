import { z } from 'zod';

/** Environment every Lambda reads. CDK sets each variable together with its IAM grant. */
const ConfigSchema = z.object({
  TABLE_NAME: z.string().min(1),
  PLAYBOOK_PATH: z.string().min(1).optional(),
  /** Only for the local stack: where DynamoDB Local listens. */
  DYNAMODB_ENDPOINT: z.url().optional(),
});
export type Config = z.output<typeof ConfigSchema>;

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigurationError(`invalid environment: ${problems}`);
  }
  return result.data;
}
