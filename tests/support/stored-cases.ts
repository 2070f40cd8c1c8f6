import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { caseKey, EVENT_PREFIX, OUTBOX_PREFIX } from '../../functions/adapters/table-design';

// Cases as the table holds them, read the way no API call can: consistent, whole partitions, and
// without the gateway and the contract check (which cost a test that polls hundreds of cases the
// CPU the workflow under test needs).

export interface CaseRecord {
  id: string;
  title: string;
  events: { type: string; at: string; data?: Record<string, any> }[];
  outbox: { id: string; status: string; messageId?: string; to: string[]; template: string; attempts: number }[];
}

/** Reads cases straight from the table (consistent), as the fault left them. */
export async function readCases(client: DynamoDBClient, tableName: string, cases: { id: string; title: string }[]): Promise<CaseRecord[]> {
  return Promise.all(
    cases.map(async ({ id, title }) => {
      const items: Record<string, any>[] = [];
      let startKey: Record<string, any> | undefined;
      do {
        const page = await client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: caseKey(id).pk } }, ConsistentRead: true, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return {
        id,
        title,
        events: items.filter((item) => String(item.sk).startsWith(EVENT_PREFIX)).map((item) => ({ type: item.type, at: item.at, data: item.data })),
        outbox: items.filter((item) => String(item.sk).startsWith(OUTBOX_PREFIX)).map((item) => ({ id: item.id, status: item.status, messageId: item.messageId, to: item.to, template: item.template, attempts: item.attempts })),
      };
    }),
  );
}

