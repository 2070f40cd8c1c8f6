import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest, WebhookSender } from '../functions/ports/webhooks';

// What `npm start` shows of webhooks, like the SES page shows mail: every delivery attempt the
// product made, with the request it sent (URL, signature headers, body) and what came back.
// The sender it wraps is the real one (functions/adapters/https-webhook-sender.ts): deliveries
// go over the network to whatever URL was registered.

export interface LoggedAttempt {
  at: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  status?: number;
  answer?: string;
  error?: string;
  durationMs: number;
}

const KEPT = 500;

export class WebhookLog {
  private readonly attempts: LoggedAttempt[] = [];

  /** The sender, recording every attempt it makes. */
  record(sender: WebhookSender): WebhookSender {
    return {
      post: async (request: WebhookRequest) => {
        const started = Date.now();
        const entry: LoggedAttempt = { at: new Date().toISOString(), url: request.url, headers: request.headers, body: request.body, durationMs: 0 };
        this.attempts.push(entry);
        if (this.attempts.length > KEPT) this.attempts.shift();
        try {
          const answer = await sender.post(request);
          Object.assign(entry, { status: answer.status, answer: answer.body.slice(0, 500) });
          return answer;
        } catch (error) {
          entry.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          throw error;
        } finally {
          entry.durationMs = Date.now() - started;
        }
      },
    };
  }

  list(): LoggedAttempt[] {
    return [...this.attempts];
  }

  /** The page (GET /) and the list as JSON (GET /deliveries), on loopback. */
  async serve(port: number): Promise<{ url: string; stop(): Promise<void> }> {
    const server: Server = createServer((request, response) => {
      if (request.url?.startsWith('/deliveries')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return void response.end(JSON.stringify(this.list()));
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page(this.list()));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const { port: actual } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${actual}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
  }
}

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(attempts: LoggedAttempt[]): string {
  const rows = attempts
    .slice()
    .reverse()
    .map((attempt) => {
      let event: { type?: string; data?: { escalationId?: string } } = {};
      try {
        event = JSON.parse(attempt.body) as typeof event;
      } catch {
        // Shown raw below.
      }
      const outcome = attempt.error ? `<span class="bad">${escape(attempt.error)}</span>` : `<span class="${attempt.status! < 300 ? 'ok' : 'bad'}">${attempt.status}</span> ${escape(attempt.answer ?? '')}`;
      return `<details><summary><code>${escape(attempt.at)}</code> <b>${escape(event.type ?? '?')}</b> → ${escape(attempt.url)} · ${outcome} · ${attempt.durationMs} ms</summary>
<h4>Request</h4><pre>POST ${escape(attempt.url)}
${Object.entries(attempt.headers).map(([name, value]) => `${escape(name)}: ${escape(value)}`).join('\n')}

${escape(attempt.body)}</pre></details>`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Webhook deliveries</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}summary{cursor:pointer;padding:.3em 0}pre{background:#f4f4f4;padding:1em;white-space:pre-wrap;word-break:break-all}.ok{color:#080}.bad{color:#b00}</style></head>
<body><h1>Webhook deliveries</h1><p>Every attempt, newest first (refreshes every 5 s). Each request carries the Standard Webhooks headers: <code>webhook-id</code> (the event id), <code>webhook-timestamp</code>, <code>webhook-signature</code>. JSON: <a href="/deliveries">/deliveries</a>.</p>
${rows || '<p>No deliveries yet: register one with <code>POST /webhooks</code>.</p>'}</body></html>`;
}
