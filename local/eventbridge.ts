import { randomUUID } from 'node:crypto';
import { jsonOf, serveAwsJson } from './aws-json-server';

// EventBridge has no local engine in npm, so the local stack answers PutEvents itself, on the
// JSON protocol the SDK speaks: the real publisher adapter (functions/adapters/
// eventbridge-publisher.ts) runs unchanged, its client passes the local IAM check like any
// other, and what it put on the bus can be read back (`GET /events`).

export interface PutEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: number | string;
}

export interface LocalEventBus {
  url: string;
  /** Every entry put so far, oldest first. */
  entries(): PutEntry[];
  stop(): Promise<void>;
}

export async function startLocalEventBus(port = 0): Promise<LocalEventBus> {
  const entries: PutEntry[] = [];
  const server = await serveAwsJson(port, ({ method, url, target, text }) => {
    if (method === 'GET' && url.startsWith('/events')) return { status: 200, body: entries };
    if (target !== 'AWSEvents.PutEvents') return { status: 400, body: { __type: 'UnknownOperationException', message: `the local event bus answers PutEvents only, not ${target ?? url}` } };
    const body = jsonOf(text) as { Entries?: PutEntry[] } | undefined;
    if (!body) return { status: 400, body: { __type: 'SerializationException', message: 'the body is not JSON' } };
    const put = body.Entries ?? [];
    if (put.length === 0 || put.length > 10) return { status: 400, body: { __type: 'ValidationException', message: 'PutEvents takes 1 to 10 entries' } };
    entries.push(...put);
    return { status: 200, body: { FailedEntryCount: 0, Entries: put.map(() => ({ EventId: randomUUID() })) } };
  });
  return { ...server, entries: () => [...entries] };
}
