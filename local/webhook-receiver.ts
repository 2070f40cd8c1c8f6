import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Webhook } from 'standardwebhooks';

// A small webhook receiver for trying webhooks locally (docs/webhooks.md): it checks every
// delivery's signature with the `standardwebhooks` library, prints the event, and answers 204
// (or 401 when the signature does not verify, so the sender tries again). The delay is measured
// from the signed timestamp (when the attempt was signed) and from the event's own time on the
// case clock, which runs faster under --time-scale.
//
//   npx tsx local/webhook-receiver.ts --port 9000 --secret whsec_...   (register http://127.0.0.1:9000/ first, or give the secret later with WEBHOOK_SECRET)

const { values } = parseArgs({ options: { port: { type: 'string', default: '9000' }, secret: { type: 'string' }, json: { type: 'boolean', default: false } } });
const secret = values.secret ?? process.env.WEBHOOK_SECRET;
if (!secret) {
  console.error('Give the secret POST /webhooks answered: --secret whsec_... (or WEBHOOK_SECRET)');
  process.exit(2);
}
const verifier = new Webhook(secret);

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const receivedAt = Date.now();
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
    let event: { id: string; type: string; timestamp: string; data: Record<string, unknown> };
    try {
      event = verifier.verify(body, headers) as typeof event;
    } catch (error) {
      console.log(`${new Date(receivedAt).toISOString()} REFUSED ${headers['webhook-id']}: ${(error as Error).message}`);
      return void response.writeHead(401).end('signature does not verify');
    }
    const signedAgoMs = receivedAt - Number(headers['webhook-timestamp']) * 1000;
    if (values.json) {
      console.log(JSON.stringify({ receivedAt: new Date(receivedAt).toISOString(), verified: true, signedAgoMs, event }));
    } else {
      const { escalationId, kind, percent } = event.data as { escalationId?: string; kind?: string; percent?: number };
      console.log(`${new Date(receivedAt).toISOString()} verified ${event.type}${kind ? ` (${kind}${percent ? ` at ${percent} %` : ''})` : ''} case ${escalationId ?? '-'} · event time ${event.timestamp} · signed ${signedAgoMs} ms ago`);
    }
    response.writeHead(204).end();
  });
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`Receiving webhooks on http://127.0.0.1:${values.port}/`));
