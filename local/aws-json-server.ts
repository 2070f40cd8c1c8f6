import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// The AWS services npm has no local engine for (EventBridge, Secrets Manager) are answered by the
// local stack itself, on the JSON protocol their SDK clients speak: a POST whose X-Amz-Target
// names the operation, a JSON body, a JSON answer. This is that server; each stand-in says what
// its operations answer.

export interface AwsJsonRequest {
  method: string;
  url: string;
  /** The X-Amz-Target header: "<service prefix>.<Operation>". */
  target: string | undefined;
  /** The body as sent (the stand-in parses it: a body that is not JSON is its SerializationException). */
  text: string;
}

export interface AwsJsonAnswer {
  status: number;
  body: unknown;
}

export interface AwsJsonServer {
  url: string;
  stop(): Promise<void>;
}

export async function serveAwsJson(port: number, handle: (request: AwsJsonRequest) => AwsJsonAnswer): Promise<AwsJsonServer> {
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = request.headers['x-amz-target'];
      const { status, body } = handle({ method: request.method ?? 'GET', url: request.url ?? '/', target: Array.isArray(target) ? target[0] : target, text: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
      response.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${actual}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The body parsed as JSON, or undefined when it is not JSON (the caller answers SerializationException). */
export function jsonOf(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
