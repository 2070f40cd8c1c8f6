import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import type { CaseWrite } from '../usecases/case-changes';
import { caseFromItem } from './dynamodb-repository';
import { CASE_PARTITION_PREFIX, OUTBOX_PREFIX, caseKey } from './table-design';

type Image = Record<string, AttributeValue>;

/** The table's stream (NEW_AND_OLD_IMAGES) as Lambda's event source mapping delivers it: checked for shape, records kept whole. */
export const StreamEvent = z.object({
  Records: z.array(
    z.looseObject({
      eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
      dynamodb: z.looseObject({ Keys: z.record(z.string(), z.unknown()) }),
    }),
  ),
});

export const recordsOf = (event: z.output<typeof StreamEvent>) => event.Records as DynamoDBRecord[];

/**
 * The two kinds of stream record something follows, each read by its own consumer. The event
 * source mappings' filters (lib/escalation-api-stack.ts) select the same records; these
 * functions are that rule in code, for the local stack and as a guard.
 */
export const STREAM_CONSUMERS = {
  /** A case item written (created or changed). */
  'case-workflows': { sortKey: caseKey('').sk, eventNames: ['INSERT', 'MODIFY'] },
  /** An email queued in the outbox. */
  'queued-emails': { sortKeyPrefix: OUTBOX_PREFIX, eventNames: ['INSERT'] },
} as const;

function caseIdOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk?.startsWith(CASE_PARTITION_PREFIX) ? pk.slice(CASE_PARTITION_PREFIX.length) : undefined;
}

export function caseWriteOf(record: DynamoDBRecord): CaseWrite | undefined {
  const { sortKey, eventNames } = STREAM_CONSUMERS['case-workflows'];
  const image = record.dynamodb?.NewImage;
  if (!caseIdOf(record) || record.dynamodb?.Keys?.sk?.S !== sortKey || !image || !(eventNames as readonly string[]).includes(record.eventName ?? '')) return undefined;
  const before = record.dynamodb?.OldImage ? escalationOf(record.dynamodb.OldImage as Image) : undefined;
  return { ...(before && { before }), after: escalationOf(image as Image) };
}

/** The case whose email this record queued. */
export function queuedEmailOf(record: DynamoDBRecord): string | undefined {
  const { sortKeyPrefix, eventNames } = STREAM_CONSUMERS['queued-emails'];
  const caseId = caseIdOf(record);
  if (!caseId || !record.dynamodb?.Keys?.sk?.S?.startsWith(sortKeyPrefix) || !(eventNames as readonly string[]).includes(record.eventName ?? '')) return undefined;
  return caseId;
}

function escalationOf(image: Image): ReturnType<typeof caseFromItem> {
  return caseFromItem(unmarshall(image));
}
