/**
 * CloudFormation's intrinsic functions resolved the way a deploy would, but to local values: the
 * artifact tier gives each bundle its function's environment with it, and the local stack
 * resolves each function's IAM policy with it (local/iam-enforcement.ts).
 */

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}

/** What the template's references stand for locally: the engines and stand-ins that were started. */
export interface LocalWorld {
  region: string;
  account: string;
  stackName: string;
  /** Table logical id → the table created in DynamoDB Local, and its stream. */
  tables: Map<string, { name: string; streamArn: string }>;
  /** Secret logical id → its ARN (what stands in for Secrets Manager serves it). */
  secrets: Map<string, { arn: string }>;
  /** Bucket logical id → its name (what stands in for S3 serves it). */
  buckets: Map<string, { name: string }>;
}

export class UnresolvableReference extends Error {
  override name = 'UnresolvableReference';
}

/**
 * Resolves CloudFormation's intrinsic functions the way a deploy would, but to local values:
 * pseudo parameters to the local region and account, resources to what stands in for them.
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
    const named = (property: string) => (typeof properties[property] === 'string' ? (properties[property] as string) : physicalName(name));
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return need(world.tables.get(name), name, type).name;
      case 'AWS::SecretsManager::Secret':
        return need(world.secrets.get(name), name, type).arn;
      case 'AWS::S3::Bucket':
        return need(world.buckets.get(name), name, type).name;
      case 'AWS::Lambda::Function':
        return named('FunctionName');
      case 'AWS::ApiGatewayV2::Api':
        return 'localapi01';
      case 'AWS::SES::ConfigurationSet':
        return named('Name');
      case 'AWS::SNS::Topic':
        return arn('sns', named('TopicName'));
      case 'AWS::SQS::Queue':
        return `http://sqs.${world.region}.localhost/${world.account}/${named('QueueName')}`;
      case 'AWS::StepFunctions::StateMachine':
        return arn('states', `stateMachine:${named('StateMachineName')}`);
      case 'AWS::Logs::LogGroup':
        return named('LogGroupName');
      case 'AWS::Events::EventBus':
        return named('Name');
    }
    throw new UnresolvableReference(`{ Ref: ${name} } (${type}) has no local stand-in: teach local/cloudformation.ts what it is`);
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
        return arn('sqs', ref(name).split('/').pop()!);
      case 'AWS::Logs::LogGroup.Arn':
        return arn('logs', `log-group:${ref(name)}:*`);
      case 'AWS::StepFunctions::StateMachine.Arn':
        return ref(name);
      case 'AWS::Events::EventBus.Arn':
        return arn('events', `event-bus/${ref(name)}`);
      case 'AWS::Events::EventBus.Name':
        return ref(name);
    }
    throw new UnresolvableReference(`{ Fn::GetAtt: [${name}, ${attribute}] } (${type}) has no local stand-in: teach local/cloudformation.ts what it is`);
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
            if (typeof argument !== 'string') throw new UnresolvableReference('Fn::Sub with a variable map is not supported by local/cloudformation.ts');
            return argument.replace(/\$\{([^}!]+)\}/g, (_, name: string) => (name.includes('.') && !name.startsWith('AWS::') ? getAtt(name.split('.')[0]!, name.split('.').slice(1).join('.')) : ref(name)));
          }
        }
        throw new UnresolvableReference(`${key} is not supported by local/cloudformation.ts`);
      }
      return Object.fromEntries(entries.map(([name, inner]) => [name, resolve(inner)]));
    }
    return value;
  };
  return { resolve, ref, getAtt, physicalName };
}

type Intrinsic = unknown;

function need<T>(value: T | undefined, logicalId: string, type: string): T {
  if (value === undefined) throw new UnresolvableReference(`${logicalId} (${type}) was not set up locally`);
  return value;
}
