import type { DeployedFunction } from './synth';
import { UnresolvableReference, type LocalWorld } from '../../local/cloudformation';

export { resolver, UnresolvableReference, type LocalWorld } from '../../local/cloudformation';

/** Where the SDK inside a bundle is pointed, by the SDK's own per-service variables (AWS_ENDPOINT_URL_<SERVICE ID>). */
export interface Endpoints {
  dynamodb: string;
  sesv2: string;
  sfn: string;
  secretsManager: string;
  s3: string;
  eventBridge: string;
  /** AWS_ENDPOINT_URL: any other service lands on a stand-in that records the call and refuses it. */
  other: string;
}

/** Variables Lambda sets itself and refuses in a function's configuration. */
const RESERVED = new Set([
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV', 'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
]);
/** Lambda's limit on a function's environment variables, names and values together. */
const MAX_ENVIRONMENT_BYTES = 4096;
const LAMBDA_TASK_ROOT = '/var/task';

export interface FunctionEnvironment {
  /** What the process gets: the template's variables, resolved, and what Lambda itself sets. */
  env: Record<string, string>;
  /** The template's variables alone, resolved (for the report). */
  configured: Record<string, string>;
  functionName: string;
  problems: string[];
}

/**
 * The environment of one function as Lambda would give it: its `Environment.Variables` from the
 * template with every reference resolved to a local value, plus the variables Lambda sets
 * (region, credentials, function name, memory, task root) and the SDK's endpoint variables.
 * Nothing is inherited from this process, so a variable the template lacks is missing here too.
 */
export function functionEnvironment(
  fn: DeployedFunction,
  resolve: (value: unknown) => unknown,
  world: LocalWorld,
  endpoints: Endpoints,
  sandboxHome: string,
  nodeBinDir: string,
): FunctionEnvironment {
  const problems: string[] = [];
  const configured: Record<string, string> = {};
  for (const [name, value] of Object.entries<unknown>(fn.properties.Environment?.Variables ?? {})) {
    if (RESERVED.has(name)) problems.push(`sets ${name}, which Lambda reserves (the deploy would fail)`);
    try {
      const resolved = resolve(value);
      if (typeof resolved !== 'string' && typeof resolved !== 'number' && typeof resolved !== 'boolean') throw new UnresolvableReference(`resolves to ${JSON.stringify(resolved)}, not a string`);
      // The bundle is unpacked to /var/task on Lambda; here it is the asset directory.
      configured[name] = String(resolved).replaceAll(LAMBDA_TASK_ROOT, fn.assetDir);
    } catch (error) {
      problems.push(`environment variable ${name}: ${(error as Error).message}`);
    }
  }
  const size = Object.entries(configured).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value), 0);
  if (size > MAX_ENVIRONMENT_BYTES) problems.push(`its environment is ${size} bytes; Lambda allows ${MAX_ENVIRONMENT_BYTES}`);

  const functionName = String(resolve({ Ref: fn.logicalId }));
  const runtime = String(fn.properties.Runtime);
  const env: Record<string, string> = {
    ...configured,
    // Set by Lambda in every execution environment.
    AWS_REGION: world.region,
    AWS_DEFAULT_REGION: world.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.properties.MemorySize ?? 128),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/01/[$LATEST]artifacts',
    AWS_ACCESS_KEY_ID: 'ASIAARTIFACTTIER0000',
    AWS_SECRET_ACCESS_KEY: 'artifact-tier-secret-access-key-not-real-00',
    AWS_SESSION_TOKEN: 'artifact-tier-session-token',
    LAMBDA_TASK_ROOT: fn.assetDir,
    _HANDLER: String(fn.properties.Handler),
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: `${nodeBinDir}:/usr/local/bin:/usr/bin:/bin`,
    // Neither this machine's ~/.aws nor its profile may reach the bundle.
    HOME: sandboxHome,
    AWS_CONFIG_FILE: `${sandboxHome}/no-aws-config`,
    AWS_SHARED_CREDENTIALS_FILE: `${sandboxHome}/no-aws-credentials`,
    // The SDK's standard endpoint variables (service id, upper case, spaces as underscores). The
    // stand-ins' URLs end in the handler's name, so each call they record says who made it.
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SESV2: endpoints.sesv2,
    AWS_ENDPOINT_URL_SFN: `${endpoints.sfn}/${fn.handler}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `${endpoints.secretsManager}/${fn.handler}`,
    AWS_ENDPOINT_URL_S3: `${endpoints.s3}/${fn.handler}`,
    AWS_ENDPOINT_URL_EVENTBRIDGE: `${endpoints.eventBridge}/${fn.handler}`,
    AWS_ENDPOINT_URL: `${endpoints.other}/${fn.handler}`,
  };
  return { env, configured, functionName, problems };
}
