import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_DESIGN, type IndexProjection } from '../functions/adapters/table-design';

/**
 * The single table, built only from TABLE_DESIGN so the deployed keys and indexes are
 * the ones the DynamoDB adapter and the local stack use.
 */
export class EscalationTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_DESIGN.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_DESIGN.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: TABLE_DESIGN.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Cases and their timelines are the record of what was promised to customers.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      // The stream consumers follow every write (old and new case: case-workflows compares generations).
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    for (const [indexName, index] of Object.entries(TABLE_DESIGN.indexes)) {
      const projection: IndexProjection = index.projection;
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(projection === 'all'
          ? { projectionType: ProjectionType.ALL }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...projection.include] }),
      });
    }
  }
}
