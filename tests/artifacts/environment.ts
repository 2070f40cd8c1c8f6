import type { CfnTemplate, DeployedFunction } from './synth';

/** What the template's references stand for locally: the engines and stand-ins the tier started. */
export interface LocalWorld {
  region: string;
  account: string;
  stackName: string;
  /** Table logical id → the table created in DynamoDB Local, and its stream. */
  tables: Map<string, { name: string; streamArn: string }>;
  /** Secret logical id → its ARN (the Secrets Manager stand-in serves it). */
  secrets: Map<string, { arn: string }>;
  /** Bucket logical id → its name (the S3 stand-in serves it). */
  buckets: Map<string, { name: string }>;
}

/** Where the SDK inside a bundle is pointed, by the SDK's own per-service variables (AWS_ENDPOINT_URL_<SERVICE ID>). */
export interface Endpoints {
  dynamodb: string;
  sesv2: string;
  sfn: string;
  secretsManager: string;
  s3: string;
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

export class UnresolvableReference extends Error {
  override name = 'UnresolvableReference';
}

/**
 * Resolves CloudFormation's intrinsic functions the way a deploy would, but to local values:
 * pseudo parameters to the tier's region and account, resources to what stands in for them.
 * A reference it cannot resolve throws, naming it, so a new kind of resource in a function's
 * environment is noticed here rather than passed on as "[object Object]".
 */
export function resolver(template: CfnTemplate, world: LocalWorld) {
  const physicalName = (logicalId: string) => `${world.stackName}-${logicalId}`.slice(0, 64);
  const typeOf = (logicalId: string) => {
    const resource = template.Resources[logicalId];
    if (!resource) throw new UnresolvableReference(`the template has no resource ${logicalId}`);
    return resource.Type;
  };
  const arn = (service: string, resource: string, region = world.region, account = world.account) => `arn:aws:${service}:${region}:${account}:${resource}`;

  const ref = (name: string): string => {
    switch (name) {
      case 'AWS::Region':
        return world.region;
      case 'AWS::AccountId':
        return world.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return world.stackName;
    }
    const type = typeOf(name);
    const properties = template.Resources[name]!.Properties ?? {};
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return need(world.tables.get(name), name, type).name;
      case 'AWS::SecretsManager::Secret':
        return need(world.secrets.get(name), name, type).arn;
      case 'AWS::S3::Bucket':
        return need(world.buckets.get(name), name, type).name;
      case 'AWS::Lambda::Function':
        return properties.FunctionName ?? physicalName(name);
      case 'AWS::ApiGatewayV2::Api':
        return 'localapi01';
      case 'AWS::SES::ConfigurationSet':
        return properties.Name ?? physicalName(name);
      case 'AWS::SNS::Topic':
        return arn('sns', properties.TopicName ?? physicalName(name));
      case 'AWS::SQS::Queue':
        return `http://sqs.${world.region}.localhost/${world.account}/${properties.QueueName ?? physicalName(name)}`;
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${properties.StateMachineName ?? physicalName(name)}`);
    }
    throw new UnresolvableReference(`{ Ref: ${name} } (${type}) has no local stand-in: teach tests/artifacts/environment.ts what it is`);
  };

  const getAtt = (name: string, attribute: string): string => {
    const type = typeOf(name);
    const key = `${type}.${attribute}`;
    switch (key) {
      case 'AWS::DynamoDB::Table.Arn':
        return arn('dynamodb', `table/${ref(name)}`);
      case 'AWS::DynamoDB::Table.StreamArn':
        return need(world.tables.get(name), name, type).streamArn;
      case 'AWS::Lambda::Function.Arn':
        return arn('lambda', `function:${ref(name)}`);
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${ref(name)}`;
      case 'AWS::SQS::Queue.Arn':
        return arn('sqs', template.Resources[name]!.Properties?.QueueName ?? physicalName(name));
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref(name);
    }
    throw new UnresolvableReference(`{ Fn::GetAtt: [${name}, ${attribute}] } (${type}) has no local stand-in: teach tests/artifacts/environment.ts what it is`);
  };

  const resolve = (value: Intrinsic): unknown => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      const [key, argument] = entries[0] ?? [];
      if (entries.length === 1 && key !== undefined && (key === 'Ref' || key.startsWith('Fn::'))) {
        switch (key) {
          case 'Ref':
            return ref(String(argument));
          case 'Fn::GetAtt': {
            const [name, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
            return getAtt(String(name), String(attribute));
          }
          case 'Fn::Join': {
            const [separator, parts] = argument as [string, Intrinsic[]];
            return parts.map((part) => String(resolve(part))).join(separator);
          }
          case 'Fn::Sub': {
            if (typeof argument !== 'string') throw new UnresolvableReference('Fn::Sub with a variable map is not supported by tests/artifacts/environment.ts');
            return argument.replace(/\$\{([^}!]+)\}/g, (_, name: string) => (name.includes('.') && !name.startsWith('AWS::') ? getAtt(name.split('.')[0]!, name.split('.').slice(1).join('.')) : ref(name)));
          }
        }
        throw new UnresolvableReference(`${key} is not supported by tests/artifacts/environment.ts`);
      }
      return Object.fromEntries(entries.map(([name, inner]) => [name, resolve(inner)]));
    }
    return value;
  };
  return { resolve, ref, getAtt, physicalName };
}

type Intrinsic = unknown;

function need<T>(value: T | undefined, logicalId: string, type: string): T {
  if (value === undefined) throw new UnresolvableReference(`${logicalId} (${type}) was not set up locally by the tier`);
  return value;
}

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
    AWS_ENDPOINT_URL: `${endpoints.other}/${fn.handler}`,
  };
  return { env, configured, functionName, problems };
}
