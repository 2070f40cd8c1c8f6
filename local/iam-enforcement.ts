import { S3ServiceException } from '@aws-sdk/client-s3';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import type { AwsClient, AwsService } from '../functions/adapters/aws-clients';
import type { RawMailEraser, RawMailStore } from '../functions/ports/raw-mail-store';
import { executionName, type WorkflowEngine } from '../functions/ports/workflow';
import { awsAnswer, awsJson, header, interpose, jsonBody, jsonTarget, type HttpRequest } from './aws-wire';
import { resolver, type LocalWorld } from './cloudformation';
import { authorize, type AuthorizationRequest, type Decision, type PolicyStatement, type RequestContext } from './iam';
import { currentInvocation } from './invocation';
import { localSecretArn } from './secrets-manager';
import type { LocalStage } from './local-stage';

/**
 * AWS's authorization of each call a handler makes, applied locally: every SDK call (at the
 * client's request handler, where the fault switch also sits) and every call to what stands in
 * for an AWS service locally (the workflow engine, the raw mail store, the survey key) is
 * checked against the IAM policy the synthesized template gives the calling function. A call
 * its policy does not allow is answered as AWS answers it: AccessDeniedException in the
 * service's own error shape, so the SDK raises what it would raise on AWS.
 */

/** One request as evaluated, for whoever wants to know which grant each call used (the grant coverage test). */
export interface CheckedRequest extends AuthorizationRequest {
  functionName: string;
  /** SES authorizes against whichever sender identity the account verified: the address (checked here) or instead its domain. */
  orInstead?: string[];
  decision: Decision;
}

export class LocalStackBug extends Error {
  override name = 'LocalStackBug';
}

/** A call the local check could not map to IAM actions: refused, so that nothing passes unchecked. */
class Unrecognized extends Error {}

interface FunctionPolicy {
  principal: string;
  statements: PolicyStatement[];
}

export interface LocalIamOptions {
  /** Every request evaluated, allowed or not. */
  onCheck?: (request: CheckedRequest) => void;
}

/** A request as a call asks it; the check adds the global condition keys. */
type Asked = Omit<AuthorizationRequest, 'context'> & { context?: RequestContext; orInstead?: string[] };

/** A denied request and who asked. */
interface Denial {
  principal: string;
  request: AuthorizationRequest;
  decision: Exclude<Decision, { allowed: true }>;
}

/** What a denial says, in AWS's words (DynamoDB, Step Functions, Secrets Manager and S3 say it this way). */
function denialMessage({ principal, request, decision }: Denial) {
  return `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} ${decision.reason}`;
}

export class LocalIam {
  private readonly policies = new Map<string, FunctionPolicy>();
  private readonly globalContext: RequestContext;

  constructor(
    readonly stage: LocalStage,
    readonly world: LocalWorld,
    private readonly options: LocalIamOptions = {},
  ) {
    const { resolve, physicalName } = resolver({ Resources: stage.resources }, world);
    for (const [handler, fn] of Object.entries(stage.functions)) {
      const role = physicalName(fn.roleLogicalId);
      this.policies.set(handler, {
        principal: `arn:aws:sts::${world.account}:assumed-role/${role}/${physicalName(fn.logicalId)}`,
        statements: resolve(fn.statements) as PolicyStatement[],
      });
    }
    this.globalContext = { 'aws:RequestedRegion': world.region, 'aws:PrincipalAccount': world.account, 'aws:SecureTransport': 'true' };
  }

  /** The function's resolved statements (tests read them). */
  statementsOf(functionName: string): PolicyStatement[] {
    return this.policyOf(functionName).statements;
  }

  private policyOf(functionName: string): FunctionPolicy {
    const policy = this.policies.get(functionName);
    if (!policy) throw new LocalStackBug(`${functionName} has no function in the synthesized template, so it has no IAM policy to check its calls against`);
    return policy;
  }

  /** The function this call runs as; a call outside any invocation is a bug of the local stack. */
  private caller(what: string): string {
    const invocation = currentInvocation();
    if (!invocation) {
      const error = new LocalStackBug(`${what} was made outside any function invocation: every handler call must run through invokeLocal (local/invocation.ts) so its IAM policy can be checked`);
      console.error(error);
      throw error;
    }
    return invocation.functionName;
  }

  /** Evaluates each request; the first one denied is returned with its message. */
  private check(functionName: string, requests: Asked[]): Denial | undefined {
    const policy = this.policyOf(functionName);
    for (const asked of requests) {
      const request: AuthorizationRequest = { action: asked.action, resource: asked.resource, context: { ...this.globalContext, ...asked.context } };
      const decision = authorize(policy.statements, request);
      this.options.onCheck?.({ ...request, functionName, ...(asked.orInstead && { orInstead: asked.orInstead }), decision });
      if (!decision.allowed) return { principal: policy.principal, request, decision };
    }
    return undefined;
  }

  /** Puts the check between a handler's SDK client and the network (functions/adapters/aws-clients.ts calls this). */
  instrument(client: AwsClient, service: AwsService) {
    interpose(client, (inner) => ({
      handle: async (request, options) => {
        const functionName = this.caller(`a ${service} call`);
        let requests: Asked[];
        try {
          requests = requestsOf(service, request, this.world);
        } catch (error) {
          if (!(error instanceof Unrecognized)) throw error;
          const { principal } = this.policyOf(functionName);
          return { response: accessDenied(service, `User: ${principal} is not authorized to make this call: the local IAM check cannot tell which IAM action ${error.message} needs, and refuses it rather than guess (teach local/iam-enforcement.ts)`) };
        }
        const denied = this.check(functionName, requests);
        if (denied) return { response: accessDenied(service, denialMessage(denied), denied) };
        return inner.handle(request, options);
      },
    }));
  }

  /** The local workflow engine, answering each function only what its policy allows on the state machine and its executions. */
  guardWorkflow(engine: WorkflowEngine, stateMachineArn: string): WorkflowEngine {
    const executionArn = (caseId: string, generation: number) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName(caseId, generation)}`;
    const allow = (action: string, resource: string) => {
      const denied = this.check(this.caller(action), [{ action, resource }]);
      if (denied) throw new SFNServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: denialMessage(denied) });
    };
    return {
      start: async (caseId, generation) => {
        allow('states:StartExecution', stateMachineArn);
        return engine.start(caseId, generation);
      },
      stop: async (caseId, generation, reason) => {
        allow('states:StopExecution', executionArn(caseId, generation));
        return engine.stop(caseId, generation, reason);
      },
      describe: async (caseId, generation) => {
        allow('states:DescribeExecution', executionArn(caseId, generation));
        return engine.describe(caseId, generation);
      },
      runningExecutions: () => {
        allow('states:ListExecutions', stateMachineArn);
        return engine.runningExecutions();
      },
    };
  }

  /** The raw inbound mail kept in memory, read as the S3 object the receipt rule stored. */
  guardRawMail(store: RawMailStore, bucket: string, prefix: string): RawMailStore {
    return {
      get: async (sesMessageId) => {
        const denied = this.check(this.caller('s3:GetObject'), [{ action: 's3:GetObject', resource: `arn:aws:s3:::${bucket}/${prefix}${sesMessageId}` }]);
        if (denied) throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: denialMessage(denied) });
        return store.get(sesMessageId);
      },
    };
  }

  /** Deleting stored messages (an erasure), checked as S3 checks DeleteObject on each key. */
  guardRawMailEraser(store: RawMailEraser, bucket: string, prefix: string): RawMailEraser {
    return {
      delete: async (sesMessageIds) => {
        for (const id of sesMessageIds) {
          const denied = this.check(this.caller('s3:DeleteObject'), [{ action: 's3:DeleteObject', resource: `arn:aws:s3:::${bucket}/${prefix}${id}` }]);
          if (denied) throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: denialMessage(denied) });
        }
        return store.delete(sesMessageIds);
      },
    };
  }

  /** The survey signing key, handed out as Secrets Manager would hand out the secret's value. */
  guardSecret(secretArn: string, value: string): () => Promise<string> {
    return async () => {
      const denied = this.check(this.caller('secretsmanager:GetSecretValue'), [{ action: 'secretsmanager:GetSecretValue', resource: secretArn }]);
      if (denied) throw new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: denialMessage(denied) });
      return value;
    };
  }
}

const arn = (world: LocalWorld, service: string, resource: string) => `arn:aws:${service}:${world.region}:${world.account}:${resource}`;

/** The IAM requests one SDK call makes: one per resource it touches (a transaction asks for each item). */
function requestsOf(service: AwsService, request: HttpRequest, world: LocalWorld): Asked[] {
  switch (service) {
    case 'dynamodb':
      return dynamoRequests(request, world);
    case 'sesv2':
      return sesRequests(request, world);
    case 'sfn':
      return sfnRequests(request);
    case 'secrets-manager':
      return secretsRequests(request, world);
    case 's3':
      return s3Requests(request);
    case 'events':
      return eventsRequests(request, world);
  }
}

function eventsRequests(request: HttpRequest, world: LocalWorld): Asked[] {
  const operation = jsonTarget(request);
  if (operation !== 'PutEvents') throw new Unrecognized(`EventBridge ${operation || request.path}`);
  const entries = (jsonBody(request).Entries as { EventBusName?: string }[] | undefined) ?? [];
  // An entry without a bus goes to the account's default bus; each bus is authorized on its own.
  const buses = [...new Set(entries.map((entry) => entry.EventBusName ?? 'default'))];
  return buses.map((bus) => ({ action: 'events:PutEvents', resource: bus.startsWith('arn:') ? bus : arn(world, 'events', `event-bus/${bus}`) }));
}

const TRANSACTION_ITEM_ACTIONS: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };

function dynamoRequests(request: HttpRequest, world: LocalWorld): Asked[] {
  const operation = jsonTarget(request);
  if (!operation) throw new Unrecognized(`a DynamoDB request without X-Amz-Target (${request.method} ${request.path})`);
  const body = jsonBody(request);
  const table = (name: unknown) => arn(world, 'dynamodb', `table/${String(name)}`);
  const perTable = (items: unknown) => Object.keys((items as Record<string, unknown>) ?? {}).map((name) => ({ action: `dynamodb:${operation}`, resource: table(name) }));
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return perTable(body.RequestItems);
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((body.TransactItems as Record<string, { TableName?: string }>[]) ?? []).map((item) => {
        const [kind, detail] = Object.entries(item)[0] ?? [];
        const action = kind && TRANSACTION_ITEM_ACTIONS[kind];
        if (!action || !detail?.TableName) throw new Unrecognized(`a transaction item of kind ${kind}`);
        return { action: `dynamodb:${action}`, resource: table(detail.TableName) };
      });
  }
  if (typeof body.TableName !== 'string') throw new Unrecognized(`DynamoDB ${operation} without a TableName`);
  const resource = typeof body.IndexName === 'string' ? `${table(body.TableName)}/index/${body.IndexName}` : table(body.TableName);
  return [{ action: `dynamodb:${operation}`, resource }];
}

/** `Name <address>` or `address` → address. */
const addressOf = (mailbox: string) => /<([^>]+)>\s*$/.exec(mailbox)?.[1] ?? mailbox.trim();
const displayNameOf = (mailbox: string) => /^\s*"?([^"<]*?)"?\s*</.exec(mailbox)?.[1] || undefined;

function sesRequests(request: HttpRequest, world: LocalWorld): Asked[] {
  if (!(request.method === 'POST' && request.path.endsWith('/v2/email/outbound-emails'))) throw new Unrecognized(`SES v2 ${request.method} ${request.path}`);
  const body = jsonBody(request) as {
    FromEmailAddress?: string;
    Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
    ConfigurationSetName?: string;
    FeedbackForwardingEmailAddress?: string;
    Content?: { Template?: { TemplateName?: string; TemplateArn?: string } };
  };
  if (!body.FromEmailAddress) throw new Unrecognized('an SES send without FromEmailAddress (the configuration set\'s default sender is not modelled)');
  const from = addressOf(body.FromEmailAddress);
  const context: RequestContext = {
    'ses:FromAddress': from,
    'ses:FromDisplayName': displayNameOf(body.FromEmailAddress),
    'ses:Recipients': [...(body.Destination?.ToAddresses ?? []), ...(body.Destination?.CcAddresses ?? []), ...(body.Destination?.BccAddresses ?? [])].map(addressOf),
    'ses:FeedbackAddress': body.FeedbackForwardingEmailAddress,
    'ses:ApiVersion': '2',
  };
  const ses = (resource: string) => arn(world, 'ses', resource);
  const action = 'ses:SendEmail';
  const template = body.Content?.Template;
  return [
    // Locally the sender address counts as the verified identity.
    { action, resource: ses(`identity/${from}`), context, orInstead: [ses(`identity/${from.slice(from.lastIndexOf('@') + 1)}`)] },
    ...(body.ConfigurationSetName ? [{ action, resource: ses(`configuration-set/${body.ConfigurationSetName}`), context }] : []),
    ...(template ? [{ action, resource: template.TemplateArn ?? ses(`template/${template.TemplateName}`), context }] : []),
  ];
}

function sfnRequests(request: HttpRequest): Asked[] {
  const operation = jsonTarget(request);
  const body = jsonBody(request);
  const resource = body.executionArn ?? body.stateMachineArn;
  if (!operation || typeof resource !== 'string') throw new Unrecognized(`Step Functions ${operation || request.path} without a state machine or execution ARN`);
  return [{ action: `states:${operation}`, resource }];
}

function secretsRequests(request: HttpRequest, world: LocalWorld): Asked[] {
  const operation = jsonTarget(request);
  const secret = jsonBody(request).SecretId;
  if (!operation || typeof secret !== 'string') throw new Unrecognized(`Secrets Manager ${operation || request.path} without a SecretId`);
  // By name (the chat secrets the playbook names): authorized on the secret's ARN, whose random suffix is fixed locally.
  return [{ action: `secretsmanager:${operation}`, resource: secret.startsWith('arn:') ? secret : localSecretArn(world.region, world.account, secret) }];
}

const S3_OBJECT_ACTIONS: Record<string, string> = { GET: 's3:GetObject', HEAD: 's3:GetObject', PUT: 's3:PutObject', DELETE: 's3:DeleteObject' };

function s3Requests(request: HttpRequest): Asked[] {
  const host = request.hostname ?? header(request, 'host') ?? '';
  // Virtual-hosted style (bucket.s3.region.amazonaws.com) or path style (/bucket/key).
  const virtual = /^([^.]+)\.s3[.-]/.exec(host)?.[1];
  const path = decodeURIComponent(request.path.replace(/^\//, ''));
  const [bucket, key] = virtual ? [virtual, path] : [path.split('/')[0], path.split('/').slice(1).join('/')];
  const action = S3_OBJECT_ACTIONS[request.method];
  if (!action || !bucket || !key) throw new Unrecognized(`S3 ${request.method} ${request.path}`);
  return [{ action, resource: `arn:aws:s3:::${bucket}/${key}` }];
}

/** AccessDenied as each service answers it. */
function accessDenied(service: AwsService, message: string, denied?: Denial) {
  switch (service) {
    case 'dynamodb':
      return awsJson(400, 'application/x-amz-json-1.0', { __type: 'com.amazon.coral.service#AccessDeniedException', Message: message });
    case 'sfn':
      return awsJson(400, 'application/x-amz-json-1.0', { __type: 'com.amazon.coral.service#AccessDeniedException', message });
    case 'secrets-manager':
      return awsJson(400, 'application/x-amz-json-1.1', { __type: 'AccessDeniedException', Message: message });
    case 'sesv2':
      return awsJson(403, 'application/json', { message: denied ? sesDenialMessage(denied) : message }, 'AccessDeniedException');
    case 'events':
      return awsJson(400, 'application/x-amz-json-1.1', { __type: 'AccessDeniedException', message });
    case 's3':
      return awsAnswer(403, 'application/xml', `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>local</RequestId></Error>`);
  }
}

/** SES words it its own way, without the reason; a refusal of the local check's own keeps its reason. */
function sesDenialMessage({ principal, request, decision }: Denial) {
  const standard = decision.reason.startsWith('because no identity-based policy') || decision.reason.startsWith('with an explicit deny');
  return `User \`${principal}' is not authorized to perform \`${request.action}' on resource \`${request.resource}'${standard ? '' : ` ${decision.reason}`}`;
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
