import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNTS_HANDLER, INBOUND_EMAIL_HANDLER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import { INBOUND_PREFIX, rawMailRetention } from '../../lib/inbound';
import { DEFAULT_PLAYBOOK } from '../../functions/playbook/defaults';
import { INBOUND_CONTEXT, actionsOf, inspect, logicalIdOf, resourcesIn, resourcesOf, synthesize, unacknowledgedFindings, type Resource } from './synthesized';

const DOMAIN = INBOUND_CONTEXT.inboundDomain;
const ADDRESS = `escalations@${DOMAIN}`;
const RULE_ARN_SUFFIX = ':receipt-rule-set/escalation-api-dev:receipt-rule/escalation-api-dev-inbound';

describe('inbound email', () => {
  let template: Template;
  let stack: EscalationApiStack;
  let view: ReturnType<typeof inspect>;
  let rule: Resource;
  let mailBucketId: string;

  beforeAll(() => {
    ({ template, stack } = synthesize(INBOUND_CONTEXT));
    view = inspect(template, stack);
    const rules = Object.values(resourcesOf(template, 'AWS::SES::ReceiptRule'));
    expect(rules).toHaveLength(1);
    rule = rules[0]!;
    mailBucketId = logicalIdOf(stack.inbound!.bucket);
  }, 60_000);

  const ruleArn = (value: unknown) => {
    const text = JSON.stringify(value);
    expect(text).toContain(RULE_ARN_SUFFIX);
    expect(text).toContain('"Ref":"AWS::AccountId"');
    expect(text).toContain(':ses:');
  };

  describe('the domain', () => {
    it('is an SES domain identity with Easy DKIM', () => {
      const identities = Object.values(resourcesOf(template, 'AWS::SES::EmailIdentity'));
      expect(identities).toHaveLength(1);
      expect(identities[0]!.Properties).toMatchObject({
        EmailIdentity: DOMAIN,
        DkimAttributes: { SigningEnabled: true },
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      });
      // Easy DKIM: SES holds the key; no private key passes through the template.
      expect(identities[0]!.Properties.DkimSigningAttributes.DomainSigningPrivateKey).toBeUndefined();
    });

    it('outputs the MX record, the three DKIM records, the address and the command that activates the rule set', () => {
      const outputs = template.toJSON().Outputs;
      expect(outputs.InboundAddress.Value).toBe(ADDRESS);
      const mx = JSON.stringify(outputs.InboundMxRecord.Value);
      expect(mx).toContain(`${DOMAIN}`);
      expect(mx).toContain('MX');
      expect(mx).toContain('10 inbound-smtp.');
      expect(mx).toContain('"Ref":"AWS::Region"');
      for (const n of [1, 2, 3]) expect(JSON.stringify(outputs[`InboundDkimRecord${n}`].Value)).toContain('CNAME');
      expect(outputs.ActivateReceiptRuleSet.Value).toBe('aws ses set-active-receipt-rule-set --rule-set-name escalation-api-dev');
      expect(outputs.InboundBucket.Value).toEqual({ Ref: mailBucketId });
    });
  });

  describe('the receipt rule', () => {
    it('belongs to the stage\'s own rule set, with a fixed name the permissions can name', () => {
      const sets = Object.values(resourcesOf(template, 'AWS::SES::ReceiptRuleSet'));
      expect(sets).toHaveLength(1);
      expect(sets[0]!.Properties.RuleSetName).toBe('escalation-api-dev');
      expect(rule.Properties.RuleSetName).toEqual({ Ref: Object.keys(resourcesOf(template, 'AWS::SES::ReceiptRuleSet'))[0] });
      expect(rule.Properties.Rule.Name).toBe('escalation-api-dev-inbound');
    });

    it('takes mail for the inbound address (plus-addresses included), scanned, over TLS only', () => {
      expect(rule.Properties.Rule).toMatchObject({ Recipients: [ADDRESS], Enabled: true, ScanEnabled: true, TlsPolicy: 'Require' });
    });

    it('stores the message in the mail bucket under the prefix the Lambda reads, then invokes the Lambda asynchronously', () => {
      const actions = rule.Properties.Rule.Actions;
      expect(actions).toHaveLength(2);
      expect(actions[0]).toEqual({ S3Action: { BucketName: { Ref: mailBucketId }, ObjectKeyPrefix: INBOUND_PREFIX } });
      expect(actions[1]).toEqual({
        LambdaAction: { FunctionArn: { 'Fn::GetAtt': [logicalIdOf(stack.inboundEmail!.function), 'Arn'] }, InvocationType: 'Event' },
      });
      expect(view.environmentOf(INBOUND_EMAIL_HANDLER)).toMatchObject({ INBOUND_BUCKET: { Ref: mailBucketId }, INBOUND_PREFIX });
    });

    it('is created after the bucket policy and the Lambda permission that SES checks', () => {
      const policyId = Object.entries(resourcesOf(template, 'AWS::S3::BucketPolicy')).find(([, policy]) => policy.Properties.Bucket.Ref === mailBucketId)![0];
      const permissionId = Object.entries(resourcesOf(template, 'AWS::Lambda::Permission')).find(([, permission]) => permission.Properties.Principal === 'ses.amazonaws.com')![0];
      expect(rule.DependsOn).toEqual(expect.arrayContaining([policyId, permissionId]));
    });
  });

  describe('the mail bucket', () => {
    const bucket = () => resourcesOf(template, 'AWS::S3::Bucket')[mailBucketId]!;
    const policyStatements = (bucketId: string) =>
      Object.values(resourcesOf(template, 'AWS::S3::BucketPolicy'))
        .filter((policy) => policy.Properties.Bucket.Ref === bucketId)
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement);

    it('blocks public access, encrypts, expires mail after 30 days and logs access', () => {
      expect(bucket().Properties).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: { Ref: logicalIdOf(stack.inbound!.accessLogsBucket) } },
      });
      expect(bucket().Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' }));
      expect(bucket().DeletionPolicy).toBe('Retain');
    });

    it('keeps raw mail 30 days, never past the playbook\'s retention of closed cases (730 days by default)', () => {
      expect(DEFAULT_PLAYBOOK.retention.closedCaseDays).toBe(730);
      expect(bucket().Properties.LifecycleConfiguration.Rules).toEqual([{ ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }]);
      expect([1, 7, 29, 30, 31, 730].map((days) => rawMailRetention(days).toDays())).toEqual([1, 7, 29, 30, 30, 30]);
    });

    it('refuses every request without TLS', () => {
      expect(policyStatements(mailBucketId)).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    });

    it('lets SES put objects under the prefix only, for this account\'s receipt rule only', () => {
      const ses = policyStatements(mailBucketId).filter((statement: any) => statement.Principal?.Service === 'ses.amazonaws.com');
      expect(ses).toHaveLength(1);
      expect(ses[0]).toMatchObject({ Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [mailBucketId, 'Arn'] }, `/${INBOUND_PREFIX}*`]] } });
      expect(ses[0].Condition.StringEquals['AWS:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
      ruleArn(ses[0].Condition.StringEquals['AWS:SourceArn']);
    });

    it('keeps its access logs in a bucket that is private, encrypted, TLS-only and expiring too', () => {
      const logsId = logicalIdOf(stack.inbound!.accessLogsBucket);
      const logs = resourcesOf(template, 'AWS::S3::Bucket')[logsId]!;
      expect(logs.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
      expect(logs.Properties.BucketEncryption).toBeDefined();
      expect(logs.Properties.LifecycleConfiguration.Rules).toContainEqual(expect.objectContaining({ ExpirationInDays: 90 }));
      expect(policyStatements(logsId)).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    });
  });

  describe('the inbound-email Lambda', () => {
    it('may be invoked by SES for this receipt rule of this account only', () => {
      const permissions = Object.values(resourcesOf(template, 'AWS::Lambda::Permission')).filter((permission) => permission.Properties.Principal === 'ses.amazonaws.com');
      expect(permissions).toHaveLength(1);
      expect(permissions[0]!.Properties).toMatchObject({
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [logicalIdOf(stack.inboundEmail!.function), 'Arn'] },
        SourceAccount: { Ref: 'AWS::AccountId' },
      });
      ruleArn(permissions[0]!.Properties.SourceArn);
    });

    it('may read raw mail under the prefix of the mail bucket, nothing else in S3', () => {
      const statements = view.statementsWith(INBOUND_EMAIL_HANDLER, 's3:');
      expect(actionsOf(statements)).toEqual(['s3:GetObject']);
      expect(resourcesIn(statements)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [mailBucketId, 'Arn'] }, `/${INBOUND_PREFIX}*`]] }]);
    });

    it('reads contacts, writes the table (it may open or resume a case) and leaves workflows and mail to the table\'s stream', () => {
      const actions = actionsOf(view.statementsOf(INBOUND_EMAIL_HANDLER));
      expect(actions.filter((action) => action.startsWith('dynamodb:') || action.startsWith('s3:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject']);
      expect(actions.filter((action) => action.startsWith('states:') || action.startsWith('ses:'))).toEqual([]);
      expect(view.environmentOf(INBOUND_EMAIL_HANDLER)).toMatchObject({ TABLE_NAME: expect.anything(), INBOUND_BUCKET: expect.anything() });
    });

    it('is, with the accounts function (erasure deletes raw mail), the only function told where raw mail is', () => {
      for (const handler of view.handlers.filter((name) => name !== INBOUND_EMAIL_HANDLER && name !== ACCOUNTS_HANDLER)) {
        expect(view.environmentOf(handler).INBOUND_BUCKET, handler).toBeUndefined();
        expect(view.statementsWith(handler, 's3:'), handler).toEqual([]);
      }
    });

    it('lets the accounts function delete raw mail under the prefix of the mail bucket, and read nothing there', () => {
      const statements = view.statementsWith(ACCOUNTS_HANDLER, 's3:');
      expect(actionsOf(statements)).toEqual(['s3:DeleteObject']);
      expect(resourcesIn(statements)).toEqual([{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [mailBucketId, 'Arn'] }, `/${INBOUND_PREFIX}*`]] }]);
      expect(view.environmentOf(ACCOUNTS_HANDLER)).toMatchObject({ INBOUND_BUCKET: { Ref: mailBucketId }, INBOUND_PREFIX });
    });
  });

  it('is left out entirely without an inbound domain', () => {
    const plain = synthesize();
    for (const type of ['AWS::SES::ReceiptRuleSet', 'AWS::SES::ReceiptRule', 'AWS::SES::EmailIdentity', 'AWS::S3::Bucket']) {
      expect(Object.keys(resourcesOf(plain.template, type)), type).toHaveLength(0);
    }
    expect(plain.stack.inboundEmail).toBeUndefined();
    expect(plain.template.toJSON().Outputs.InboundAddress).toBeUndefined();
  }, 60_000);

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(unacknowledgedFindings(stack.inbound!)).toEqual([]);
    expect(unacknowledgedFindings(stack)).toEqual([]);
  });
});
