import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASYNC_MAX_EVENT_AGE, ASYNC_RETRY_ATTEMPTS, FUNCTION_SETTINGS } from '../../lib/function-settings';
import { SURVEY_SIGNER, SURVEY_VERIFIER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import { INBOUND_CONTEXT, actionsOf, inspect, logicalIdOf, resourcesIn, resourcesOf, synthesize, type Resource, type Statement } from './synthesized';

/**
 * Actions AWS authorizes on "*" only (no resource-level permissions): the one place a "*"
 * resource is allowed. X-Ray tracing, and CloudWatch Logs delivery of the state machine.
 */
const ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS = new Set([
  // Lambda's event source mapping lists the table's streams before reading one (granted by CDK's DynamoEventSource).
  'dynamodb:ListStreams',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
]);

/** Environment variable names that would hold a secret itself (an ARN only says where to find one). */
const SECRET_LOOKING = /SECRET|KEY|PASSWORD|TOKEN|CREDENTIAL/;

describe.each([
  ['without inbound email', {}],
  ['with inbound email', INBOUND_CONTEXT],
])('security by default (%s)', (_, context) => {
  let template: Template;
  let stack: EscalationApiStack;
  let view: ReturnType<typeof inspect>;
  let allStatements: { policy: string; statement: Statement }[];

  beforeAll(() => {
    ({ template, stack } = synthesize(context));
    view = inspect(template, stack);
    allStatements = Object.entries(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(([policy, resource]) =>
      (resource.Properties.PolicyDocument.Statement as Statement[]).map((statement) => ({ policy, statement })),
    );
  }, 60_000);

  describe('IAM', () => {
    it('grants "*" only for actions that support no narrower resource', () => {
      const wildcard = allStatements.filter(({ statement }) => resourcesIn([statement]).includes('*'));
      expect(wildcard.length).toBeGreaterThan(0);
      for (const { policy, statement } of wildcard) {
        for (const action of actionsOf([statement])) expect(ACTIONS_WITHOUT_RESOURCE_LEVEL_PERMISSIONS.has(action), `${policy}: ${action} on "*"`).toBe(true);
      }
    });

    it('never grants a service-wide action ("dynamodb:*", "s3:*", ...) or an Allow with NotAction/NotResource', () => {
      for (const { policy, statement } of allStatements) {
        for (const action of actionsOf([statement])) expect(action, policy).not.toMatch(/:\*$|^\*$/);
        expect(statement).not.toHaveProperty('NotAction');
        expect(statement).not.toHaveProperty('NotResource');
      }
    });

    it('scopes every wildcard inside a resource to one named resource (an index, an execution, an object prefix, a version)', () => {
      const partialWildcards = allStatements
        .flatMap(({ statement }) => resourcesIn([statement]))
        .filter((resource) => resource !== '*' && JSON.stringify(resource).includes('*'))
        .map((resource) => JSON.stringify(resource));
      for (const resource of partialWildcards) {
        expect(resource).toMatch(/\/index\/\*"|:execution:escalation-workflow-dev:\*"|\/inbound\/\*"|":\*"/);
      }
    });

    it.each(['AWS::IAM::Role'])('uses no AWS managed policy on any %s', (type) => {
      for (const [id, role] of Object.entries(resourcesOf(template, type))) expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
    });
  });

  describe('secrets', () => {
    it('keeps the survey signing key in Secrets Manager, generated, never in the template', () => {
      const secrets = Object.values(resourcesOf(template, 'AWS::SecretsManager::Secret'));
      expect(secrets).toHaveLength(1);
      expect(secrets[0]!.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 64, ExcludePunctuation: true });
      expect(secrets[0]!.Properties.SecretString).toBeUndefined();
    });

    it('puts no secret in any environment variable: only the secret\'s ARN', () => {
      for (const handler of view.handlers) {
        const environment = view.environmentOf(handler);
        for (const name of Object.keys(environment).filter((candidate) => !candidate.endsWith('_ARN'))) expect(name, `${handler}: ${name}`).not.toMatch(SECRET_LOOKING);
        expect(environment.SURVEY_SIGNING_KEY, handler).toBeUndefined();
      }
    });

    it.each([SURVEY_SIGNER, SURVEY_VERIFIER])('%s may read the signing key, and only with GetSecretValue on that secret', (handler) => {
      const secretId = Object.keys(resourcesOf(template, 'AWS::SecretsManager::Secret'))[0]!;
      expect(view.environmentOf(handler).SURVEY_SIGNING_KEY_SECRET_ARN).toEqual({ Ref: secretId });
      const statements = view.statementsWith(handler, 'secretsmanager:');
      expect(actionsOf(statements)).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourcesIn(statements)).toEqual([{ Ref: secretId }]);
    });

    it('lets no other function near the signing key', () => {
      for (const handler of view.handlers.filter((name) => ![SURVEY_SIGNER, SURVEY_VERIFIER].includes(name))) {
        expect(view.statementsWith(handler, 'secretsmanager:'), handler).toEqual([]);
        expect(view.environmentOf(handler).SURVEY_SIGNING_KEY_SECRET_ARN, handler).toBeUndefined();
      }
    });

    it.each([SURVEY_SIGNER, SURVEY_VERIFIER])('%s builds survey links on the deployed API URL', (handler) => {
      const url = JSON.stringify(view.environmentOf(handler).PUBLIC_API_URL);
      expect(url).toContain(logicalIdOf(stack.api.api));
      expect(url).toContain('execute-api');
    });

    it('lets no localhost default reach AWS', () => {
      for (const handler of view.handlers) {
        const environment = JSON.stringify(view.environmentOf(handler));
        expect(environment, handler).not.toMatch(/localhost|127\.0\.0\.1|example\.com\/?"/);
        expect(view.environmentOf(handler).DYNAMODB_ENDPOINT, handler).toBeUndefined();
        expect(view.environmentOf(handler).SES_ENDPOINT, handler).toBeUndefined();
      }
    });
  });

  describe('asynchronous functions', () => {
    const asyncHandlers = () => view.handlers.filter((handler) => FUNCTION_SETTINGS[handler]!.invocation === 'async');

    it('are inbound-email (with an inbound domain), email-events, reconcile-workflows, rearm-workflow and resend-owed-emails', () => {
      const expected = ['email-events', 'reconcile-workflows', 'rearm-workflow', 'resend-owed-emails', ...(stack.inboundEmail ? ['inbound-email'] : [])];
      expect(asyncHandlers().sort()).toEqual(expected.sort());
    });

    it('each keeps failed events in its own encrypted, TLS-only SQS dead-letter queue for 14 days', () => {
      const queues = resourcesOf(template, 'AWS::SQS::Queue');
      const queuePolicies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'));
      const seen = new Set<string>();
      for (const handler of asyncHandlers()) {
        const queueId = view.functionOf(handler).Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0];
        expect(seen.has(queueId), handler).toBe(false);
        seen.add(queueId);
        const queue: Resource = queues[queueId]!;
        expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
        const statements = queuePolicies.filter((policy) => policy.Properties.Queues.some((ref: { Ref: string }) => ref.Ref === queueId)).flatMap((policy) => policy.Properties.PolicyDocument.Statement);
        expect(statements, handler).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
        const sending = view.statementsWith(handler, 'sqs:');
        expect(resourcesIn(sending), handler).toEqual([{ 'Fn::GetAtt': [queueId, 'Arn'] }]);
      }
      expect(Object.keys(queues)).toHaveLength(asyncHandlers().length + 2); // + the stream consumers' (below)
    });

    it('the stream consumers each read the table stream at their own pace, filtered, and send a failed batch, after bisected retries, to their own encrypted queue', () => {
      const mappings = Object.values(resourcesOf(template, 'AWS::Lambda::EventSourceMapping')).map((mapping) => mapping.Properties);
      const consumers = [
        // Only case items (workflows), newly queued emails and new timeline entries (their domain events): idempotency records, webhook deliveries and TTL deletions reach neither.
        { fn: stack.caseWorkflows, pattern: { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['CASE'] } } } } },
        { fn: stack.queuedEmails, pattern: { eventName: ['INSERT'], dynamodb: { Keys: { sk: { S: [{ prefix: 'OUTBOX#' }, { prefix: 'EVENT#' }] } } } } },
      ];
      expect(mappings).toHaveLength(consumers.length);
      for (const { fn, pattern } of consumers) {
        const mapping = mappings.find((candidate) => candidate.FunctionName.Ref === logicalIdOf(fn.function))!;
        expect(mapping, fn.handler).toMatchObject({ BisectBatchOnFunctionError: true, MaximumRetryAttempts: 5, StartingPosition: 'TRIM_HORIZON' });
        expect(mapping.FilterCriteria.Filters.map((filter: { Pattern: string }) => JSON.parse(filter.Pattern))).toEqual([pattern]);
        const queueId = logicalIdOf(fn.deadLetterQueue!);
        expect(mapping.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
        expect(resourcesOf(template, 'AWS::SQS::Queue')[queueId]!.Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      }
    });

    it('each retries a failed event twice, for at most six hours, before dead-lettering it', () => {
      const configs = Object.values(resourcesOf(template, 'AWS::Lambda::EventInvokeConfig'));
      expect(configs).toHaveLength(asyncHandlers().length);
      for (const handler of asyncHandlers()) {
        const config = configs.find((candidate) => candidate.Properties.FunctionName.Ref === logicalIdOf(view.handlerFunction(handler).function));
        expect(config?.Properties, handler).toMatchObject({ MaximumRetryAttempts: ASYNC_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: ASYNC_MAX_EVENT_AGE.toSeconds() });
      }
    });

    it('is the only kind with a dead-letter queue', () => {
      for (const handler of view.handlers.filter((name) => !asyncHandlers().includes(name))) expect(view.functionOf(handler).Properties.DeadLetterConfig, handler).toBeUndefined();
    });
  });

  describe('every Lambda', () => {
    it('runs on arm64 with nodejs24.x and active tracing, and logs to a log group kept 30 days', () => {
      for (const handler of view.handlers) {
        const { Properties } = view.functionOf(handler);
        expect(Properties, handler).toMatchObject({ Architectures: ['arm64'], Runtime: 'nodejs24.x', TracingConfig: { Mode: 'Active' } });
        expect(resourcesOf(template, 'AWS::Logs::LogGroup')[Properties.LoggingConfig.LogGroup.Ref]!.Properties.RetentionInDays, handler).toBe(30);
      }
    });
  });
});
