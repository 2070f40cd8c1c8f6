import { Duration } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The KMS actions a service needs to publish to an SNS topic encrypted with a customer managed key. */
export const PUBLISH_TO_ENCRYPTED_TOPIC_ACTIONS = ['kms:GenerateDataKey*', 'kms:Decrypt'];

/**
 * The customer managed key of the stack's SNS topics (alarms; SES bounces and complaints,
 * which name customers' addresses). An AWS managed key would not do: its policy cannot let
 * CloudWatch or SES publish. Besides the account, only those two services may use it, and
 * only to publish: which alarm or configuration set may publish is decided by each topic's
 * policy (SourceArn/SourceAccount conditions), the gate in front of this key. The key policy
 * carries no such condition because the services do not promise one on the KMS calls SNS
 * makes for them, and a mismatch would silently drop every alarm.
 */
export class NotificationsKey extends Construct {
  readonly key: Key;

  constructor(scope: Construct, id: string, props: { stage: string }) {
    super(scope, id);
    this.key = new Key(this, 'Key', {
      description: `Encrypts the escalation API's SNS topics (stage ${props.stage}): alarms, SES bounce and complaint notices`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
    });
    for (const service of ['cloudwatch.amazonaws.com', 'ses.amazonaws.com']) {
      this.key.addToResourcePolicy(
        new PolicyStatement({
          sid: `AllowPublishFrom${service.split('.')[0]!.toUpperCase()}`,
          principals: [new ServicePrincipal(service)],
          actions: PUBLISH_TO_ENCRYPTED_TOPIC_ACTIONS,
          // A key policy's "*" means this key.
          resources: ['*'],
        }),
      );
    }
  }
}
