import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const answer = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
        response.end(JSON.stringify(body));
      };
      if (request.method === 'GET' && request.url?.startsWith('/events')) return answer(200, entries);
      if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') return answer(400, { __type: 'UnknownOperationException', message: `the local event bus answers PutEvents only, not ${request.headers['x-amz-target'] ?? request.url}` });
      let body: { Entries?: PutEntry[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries?: PutEntry[] };
      } catch {
        return answer(400, { __type: 'SerializationException', message: 'the body is not JSON' });
      }
      const put = body.Entries ?? [];
      if (put.length === 0 || put.length > 10) return answer(400, { __type: 'ValidationException', message: 'PutEvents takes 1 to 10 entries' });
      entries.push(...put);
      answer(200, { FailedEntryCount: 0, Entries: put.map(() => ({ EventId: randomUUID() })) });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${actual}`, entries: () => [...entries], stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
