import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import type { Escalation } from '../domain/escalation';
import type { CaseWrite } from '../ports/stored-changes';
import type { EmailRef } from '../ports/stored-changes';
import { escalationFromItem } from './stored-items';
import type { RecordedEvent } from '../domain/domain-events';
import { CASE_PARTITION_PREFIX, EVENT_PREFIX, OUTBOX_PREFIX, caseKey } from './table-design';

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
type Image = Record<string, AttributeValue>;

/** The table's stream (NEW_AND_OLD_IMAGES) as Lambda's event source mapping delivers it: checked for shape, records kept whole. */
export const StreamEvent = z.lazy(() =>
  z.object({
    Records: z.array(
      z.looseObject({
        eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
        dynamodb: z.looseObject({ Keys: z.record(z.string(), z.unknown()) }),
      }),
    ),
  }),
);

export const recordsOf = (event: z.output<typeof StreamEvent>) => event.Records as DynamoDBRecord[];

/**
 * The two kinds of stream record something follows, each read by its own consumer. The event
 * source mappings' filters (lib/escalation-api-stack.ts) are built from these selections;
 * `followedBy` is the same rule in code, for the local stack and as a guard in the handlers.
 */
export const STREAM_CONSUMERS = {
  /** A case item written (created or changed). */
  'case-workflows': { eventNames: ['INSERT', 'MODIFY'], sortKey: { equals: caseKey('').sk } },
  /** An email queued in the outbox, or a new timeline entry (its domain events). */
  'queued-emails': { eventNames: ['INSERT'], sortKey: { prefixes: [OUTBOX_PREFIX, EVENT_PREFIX] } },
} as const;

export type StreamConsumer = keyof typeof STREAM_CONSUMERS;

function caseIdOf(record: DynamoDBRecord): string | undefined {
  const pk = record.dynamodb?.Keys?.pk?.S;
  return pk?.startsWith(CASE_PARTITION_PREFIX) ? pk.slice(CASE_PARTITION_PREFIX.length) : undefined;
}

/** Whether the consumer's event source mapping delivers this record. Reads the keys only, not the images. */
export function followedBy(consumer: StreamConsumer, record: DynamoDBRecord): boolean {
  const { eventNames, sortKey } = STREAM_CONSUMERS[consumer];
  const sk = record.dynamodb?.Keys?.sk?.S;
  if (sk === undefined || caseIdOf(record) === undefined || !(eventNames as readonly string[]).includes(record.eventName ?? '')) return false;
  return 'equals' in sortKey ? sk === sortKey.equals : sortKey.prefixes.some((prefix) => sk.startsWith(prefix));
}

export function caseWriteOf(record: DynamoDBRecord): CaseWrite | undefined {
  const image = record.dynamodb?.NewImage;
  if (!followedBy('case-workflows', record) || !image) return undefined;
  const before = record.dynamodb?.OldImage ? escalationOf(record.dynamodb.OldImage as Image) : undefined;
  return { ...(before && { before }), after: escalationOf(image as Image) };
}

/** The email this record queued, by its keys. */
export function queuedEmailOf(record: DynamoDBRecord): EmailRef | undefined {
  const caseId = caseIdOf(record);
  const sk = record.dynamodb?.Keys?.sk?.S;
  return followedBy('queued-emails', record) && caseId && sk?.startsWith(OUTBOX_PREFIX) ? { caseId, id: sk.slice(OUTBOX_PREFIX.length) } : undefined;
}

/** The timeline entry this record wrote, with the case facts stored beside it: what its domain events are made of. */
export function recordedEventOf(record: DynamoDBRecord): RecordedEvent | undefined {
  const sk = record.dynamodb?.Keys?.sk?.S;
  const image = record.dynamodb?.NewImage;
  if (!followedBy('queued-emails', record) || !sk?.startsWith(EVENT_PREFIX) || !image) return undefined;
  const item = unmarshall(image as Image);
  return {
    caseId: String(item.caseId),
    seq: String(item.seq),
    type: item.type,
    at: String(item.at),
    severity: item.severity,
    ...(item.data && { data: item.data }),
    ...(typeof item.accountId === 'string' && { accountId: item.accountId }),
    ...(typeof item.caseStatus === 'string' && { caseStatus: item.caseStatus }),
    ...(typeof item.caseTier === 'number' && { caseTier: item.caseTier }),
  };
}

function escalationOf(image: Image): Escalation {
  return escalationFromItem(unmarshall(image));
}
