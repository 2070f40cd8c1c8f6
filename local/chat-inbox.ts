import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// What `npm start` shows of chat alerts, like the SES page shows mail: a stand-in for Slack and
// Teams incoming webhooks at /slack/<role> and /teams/<role>. Every chat secret the playbook
// names points here locally unless given a real URL (`--chat-secrets FILE`), so the messages the
// product posts (Block Kit, Adaptive Cards) can be read on a page without a workspace.

export interface ChatPost {
  at: string;
  kind: string;
  role: string;
  /** The posted body, parsed. */
  body: unknown;
}

const KEPT = 500;

export interface ChatInbox {
  url: string;
  /** The URL a role's channel of this kind posts to. */
  channelUrl(kind: string, role: string): string;
  posts(): ChatPost[];
  stop(): Promise<void>;
}

export async function startChatInbox(port = 0): Promise<ChatInbox> {
  const posts: ChatPost[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const [, kind, role] = /^\/(slack|teams)\/([\w-]+)\/?$/.exec(request.url ?? '') ?? [];
      if (request.method === 'POST' && kind && role) {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // Slack answers a body it cannot read this way.
          response.writeHead(400, { 'content-type': 'text/plain' });
          return void response.end('invalid_payload');
        }
        posts.push({ at: new Date().toISOString(), kind, role, body });
        if (posts.length > KEPT) posts.shift();
        response.writeHead(200, { 'content-type': 'text/plain' });
        return void response.end(kind === 'slack' ? 'ok' : '1');
      }
      if (request.url?.startsWith('/messages')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        return void response.end(JSON.stringify(posts));
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page(posts));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: actual } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${actual}`;
  return { url, channelUrl: (kind, role) => `${url}/${kind}/${role}`, posts: () => [...posts], stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** Slack's mrkdwn entities back to characters for display (the page escapes again). */
const fromSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

interface Block {
  type: string;
  text?: { type: string; text: string };
  fields?: { text: string }[];
  elements?: { text?: { text: string }; url?: string }[];
}
interface CardElement {
  type: string;
  text?: string;
  facts?: { title: string; value: string }[];
}

/** A readable rendering of what Slack or Teams would show: good enough to see the message, not a pixel copy. */
function render(post: ChatPost): string {
  if (post.kind === 'slack') {
    const blocks = ((post.body as { blocks?: Block[] }).blocks ?? []).map((block) => {
      if (block.type === 'header') return `<h3>${escape(block.text?.text ?? '')}</h3>`;
      if (block.type === 'section' && block.text) return `<p>${escape(block.text.type === 'mrkdwn' ? fromSlack(block.text.text) : block.text.text)}</p>`;
      if (block.type === 'section' && block.fields) return `<dl>${block.fields.map((field) => `<div>${escape(field.text).replace(/^([^\n]*)\n/, '<dt>$1</dt><dd>')}</dd></div>`).join('')}</dl>`;
      if (block.type === 'actions') return block.elements!.map((element) => `<a class="button" href="${escape(element.url ?? '#')}">${escape(element.text?.text ?? '')}</a>`).join(' ');
      return '';
    });
    return blocks.join('\n');
  }
  const card = (post.body as { attachments?: { content?: { body?: CardElement[]; actions?: { title: string; url: string }[] } }[] }).attachments?.[0]?.content;
  const body = (card?.body ?? []).map((element) => {
    const unescape = (text: string) => text.replace(/\\(.)/g, '$1');
    if (element.type === 'TextBlock') return `<p>${escape(unescape(element.text ?? ''))}</p>`;
    if (element.type === 'FactSet') return `<dl>${(element.facts ?? []).map((fact) => `<div><dt>${escape(fact.title)}</dt><dd>${escape(unescape(fact.value))}</dd></div>`).join('')}</dl>`;
    return '';
  });
  const actions = (card?.actions ?? []).map((action) => `<a class="button" href="${escape(action.url)}">${escape(action.title)}</a>`);
  return [...body, ...actions].join('\n');
}

function page(posts: ChatPost[]): string {
  const items = posts
    .slice()
    .reverse()
    .map((post) => `<article><header><code>${escape(post.at)}</code> · <b>${post.kind === 'slack' ? 'Slack' : 'Teams'}</b> channel of <b>${escape(post.role)}</b></header>${render(post)}
<details><summary>posted JSON</summary><pre>${escape(JSON.stringify(post.body, null, 2))}</pre></details></article>`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Chat messages</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}article{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:1em 0}dl{display:grid;grid-template-columns:1fr 1fr;gap:.3em 2em}dt{font-weight:bold}dd{margin:0}pre{background:#f4f4f4;padding:1em;white-space:pre-wrap;word-break:break-all}.button{display:inline-block;padding:.3em .8em;border:1px solid #888;border-radius:4px;text-decoration:none}</style></head>
<body><h1>Chat messages</h1><p>What the product posted to the Slack and Teams channels the playbook names (its <code>chat</code> roles), newest first; refreshes every 5 s. JSON: <a href="/messages">/messages</a>.</p>
${items || '<p>Nothing posted yet: a role with a chat channel hears its alerts here (a missed deadline, a warning, a churn-risk brief).</p>'}</body></html>`;
}
