import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE_DESIGN } from '../../functions/adapters/table-design';
import { resourcesOf, synthesize, type Resource } from './synthesized';

describe('the escalation table', () => {
  let table: Resource;
  let tableCount: number;

  beforeAll(() => {
    const tables = Object.values(resourcesOf(synthesize().template, 'AWS::DynamoDB::Table'));
    tableCount = tables.length;
    table = tables[0]!;
  }, 60_000);

  it('is the only table', () => {
    expect(tableCount).toBe(1);
  });

  it('is keyed by the TABLE_DESIGN partition and sort key', () => {
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: TABLE_DESIGN.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_DESIGN.sortKey, KeyType: 'RANGE' },
    ]);
  });

  it('expires records by the TABLE_DESIGN TTL attribute', () => {
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_DESIGN.timeToLiveAttribute, Enabled: true });
  });

  it('uses the TTL attribute the repository sets, in epoch seconds, on idempotency and inbound-dedupe records', () => {
    const source = ['dynamodb-cases.ts', 'dynamodb-inbound-messages.ts'].map((file) => readFileSync(fileURLToPath(new URL(`../../functions/adapters/${file}`, import.meta.url)), 'utf8')).join('\n');
    const ttl = TABLE_DESIGN.timeToLiveAttribute;
    // The idempotency claim (create) and the inbound message claim both write it, as DynamoDB TTL requires: seconds.
    expect(source).toMatch(new RegExp(`${ttl}: Math\\.floor\\(claim\\.${ttl}\\.getTime\\(\\) / 1000\\)`));
    expect(source).toMatch(new RegExp(`claimInboundMessage[\\s\\S]*${ttl} = :${ttl}[\\s\\S]*Math\\.floor\\(${ttl}\\.getTime\\(\\) / 1000\\)`));
  });

  it('has exactly the GSIs of TABLE_DESIGN, with their keys and projections', () => {
    const expected = Object.entries(TABLE_DESIGN.indexes).map(([IndexName, keys]) => ({
      IndexName,
      KeySchema: [
        { AttributeName: keys.partitionKey, KeyType: 'HASH' },
        { AttributeName: keys.sortKey, KeyType: 'RANGE' },
      ],
      Projection: keys.projection === 'all' ? { ProjectionType: 'ALL' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...keys.projection.include] },
    }));
    expect(table.Properties.GlobalSecondaryIndexes).toEqual(expected);
  });

  it('copies only the list filter attributes into the case indexes (most case writes touch no index), and only what the retry sweep needs into the owed-email index', () => {
    const projections = Object.fromEntries(Object.entries(TABLE_DESIGN.indexes).map(([name, index]) => [name, index.projection]));
    expect(projections).toEqual({
      byStatusAndDeadline: { include: ['status', 'severity', 'owner'] },
      byAccount: { include: ['status', 'severity', 'owner'] },
      byOwner: { include: ['status', 'severity', 'owner'] },
      byCreatedMonth: { include: ['status', 'severity', 'owner'] },
      byEventTypeAndMonth: 'all',
      byOwedEmail: { include: ['id', 'queuedAt'] },
      byUpdatedMonth: { include: ['status', 'severity', 'owner'] },
    });
  });

  it('streams old and new images: case-workflows compares generations', () => {
    expect(table.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('declares every key attribute as a string', () => {
    const keyAttributes = [
      TABLE_DESIGN.partitionKey,
      TABLE_DESIGN.sortKey,
      ...Object.values(TABLE_DESIGN.indexes).flatMap((keys) => [keys.partitionKey, keys.sortKey]),
    ];
    expect(table.Properties.AttributeDefinitions).toEqual([...new Set(keyAttributes)].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })));
  });

  it('is on-demand, encrypted with the AWS-managed key, and recoverable to a point in time', () => {
    expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('survives stack deletion and replacement and refuses to be deleted', () => {
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });
});
