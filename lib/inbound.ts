import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import {
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  Identity,
  ReceiptRule,
  ReceiptRuleSet,
  TlsPolicy,
  type IReceiptRuleAction,
  type ReceiptRuleActionConfig,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { HandlerFunction } from './handler-function';

/** Where the receipt rule stores raw messages; the inbound-email Lambda reads `<prefix><SES message id>`. */
export const INBOUND_PREFIX = 'inbound/';
/**
 * Raw mail is kept this long, then expires. The Lambda takes a message in within minutes;
 * the rest covers a failed event sitting in the DLQ (14 days) and a redrive after it.
 */
export const INBOUND_RETENTION = Duration.days(30);

/**
 * How long raw mail is kept under a playbook: 30 days, and never past the retention of closed
 * cases (playbook retention.closedCaseDays), so a short retention period holds for mail too.
 */
export const rawMailRetention = (closedCaseDays: number) => Duration.days(Math.min(INBOUND_RETENTION.toDays(), closedCaseDays));
/** S3 server access logs of the mail bucket. */
export const ACCESS_LOG_RETENTION = Duration.days(90);

export interface EscalationInboundProps {
  stage: string;
  /** The domain SES receives for (its MX record points at SES). */
  domain: string;
  /** The address customers write and reply to (plus-addresses of it match the rule too). */
  address: string;
  /** The inbound-email handler: SES invokes it asynchronously after storing the message. */
  handler: HandlerFunction;
  /** How long raw mail stays in the bucket (rawMailRetention of the deployed playbook). */
  retention: Duration;
}

/**
 * Inbound email: customers' replies (and new escalations by mail) reach SES through the
 * domain's MX record. A receipt rule stores each message in S3, then invokes the
 * inbound-email Lambda with InvocationType Event; the Lambda reads the message from S3.
 *
 * The rule set must be made the account's active one by hand (one per account and region):
 * `aws ses set-active-receipt-rule-set --rule-set-name <receiptRuleSetName>` (docs/deploy.md).
 */
export class EscalationInbound extends Construct {
  readonly bucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly domainIdentity: EmailIdentity;
  readonly receiptRuleSetName: string;
  readonly receiptRuleName: string;
  /** arn:aws:ses:<region>:<account>:receipt-rule-set/<set>:receipt-rule/<rule>: what SES names as the source of its writes and invokes. */
  readonly receiptRuleArn: string;
  readonly address: string;

  constructor(scope: Construct, id: string, props: EscalationInboundProps) {
    super(scope, id);
    // S3 server access logs delivered under a bucket policy (no ACLs anywhere), whatever cdk.json says.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const stack = Stack.of(this);
    this.address = props.address;
    this.receiptRuleSetName = `escalation-api-${props.stage}`;
    this.receiptRuleName = `escalation-api-${props.stage}-inbound`;
    this.receiptRuleArn = `arn:${Aws.PARTITION}:ses:${Aws.REGION}:${Aws.ACCOUNT_ID}:receipt-rule-set/${this.receiptRuleSetName}:receipt-rule/${this.receiptRuleName}`;

    // Easy DKIM: SES signs what it sends from this domain; the stack outputs the three CNAMEs.
    // Receiving needs the domain verified too, which the same records do.
    this.domainIdentity = new EmailIdentity(this, 'DomainIdentity', {
      identity: Identity.domain(props.domain),
      dkimSigning: true,
      dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
    });

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: ACCESS_LOG_RETENTION, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the mail bucket\'s S3 server access logs; logging the log bucket itself would only log log deliveries.',
    });

    this.bucket = new Bucket(this, 'Mail', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: props.retention, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'inbound-mail/',
      // Customers' messages: a stack deletion must not take them with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // SES may write under the prefix, only on behalf of this account's receipt rule.
    const sesMayWrite = this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowSesReceiptRuleToStoreMail',
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${INBOUND_PREFIX}*`)],
        conditions: { StringEquals: { 'AWS:SourceAccount': stack.account, 'AWS:SourceArn': this.receiptRuleArn } },
      }),
    );

    // SES may invoke the handler, only for this rule of this account.
    props.handler.function.addPermission('AllowSesReceiptRule', {
      principal: new ServicePrincipal('ses.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      sourceAccount: stack.account,
      sourceArn: this.receiptRuleArn,
    });
    props.handler.useRawMail({ bucket: this.bucket, prefix: INBOUND_PREFIX });

    const ruleSet = new ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: this.receiptRuleSetName });
    const rule = new ReceiptRule(this, 'Rule', {
      ruleSet,
      receiptRuleName: this.receiptRuleName,
      recipients: [props.address],
      enabled: true,
      // Fills in the spam and virus verdicts the handler checks before trusting a message.
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      // In this order: the Lambda reads what the S3 action stored.
      actions: [new StoreInBucket(this.bucket.bucketName, INBOUND_PREFIX), new InvokeAsynchronously(props.handler.function.functionArn)],
    });
    // SES checks both permissions when the rule is created.
    if (sesMayWrite.policyDependable) rule.node.addDependency(sesMayWrite.policyDependable);
    rule.node.addDependency(props.handler.function.permissionsNode.findChild('AllowSesReceiptRule'));
  }

  /** The MX record the domain needs so that SES receives its mail (SES inbound endpoint of the stack's region). */
  get mxRecord(): string {
    return `10 inbound-smtp.${Aws.REGION}.amazonaws.com`;
  }
}

/**
 * The receipt rule's S3 action. aws-ses-actions' S3 adds a bucket policy conditioned on the
 * account only; ours (above) also names the rule, so it is written here without that one.
 */
class StoreInBucket implements IReceiptRuleAction {
  constructor(
    private readonly bucketName: string,
    private readonly objectKeyPrefix: string,
  ) {}

  bind(): ReceiptRuleActionConfig {
    return { s3Action: { bucketName: this.bucketName, objectKeyPrefix: this.objectKeyPrefix } };
  }
}

/** The receipt rule's Lambda action, InvocationType Event; the permission (above) names the rule. */
class InvokeAsynchronously implements IReceiptRuleAction {
  constructor(private readonly functionArn: string) {}

  bind(): ReceiptRuleActionConfig {
    return { lambdaAction: { functionArn: this.functionArn, invocationType: 'Event' } };
  }
}
