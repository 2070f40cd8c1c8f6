import { describe, expect, it } from 'vitest';
import { CHAT_SECRET_REFRESH_MS, WebhookChat } from '../../functions/adapters/chat-webhooks';
import { HttpsWebhookSender } from '../../functions/adapters/https-webhook-sender';
import { WebhookTargetRefusedError } from '../../functions/domain/webhook-targets';
import type { WebhookRequest } from '../../functions/ports/webhooks';

// The chat adapter: the webhook URL comes from the channel's secret, read once per refresh
// interval per container (a rotation is picked up within it), and the post follows the
// webhook sender's address rules (on AWS: https to public addresses only).

const SLACK = { role: 'support_lead', kind: 'slack' as const, secret: 'escalation-api/chat/support-lead' };
const AWS_RULES = { httpsOnly: true, allowPrivate: false };

function recordingSender() {
  const posts: WebhookRequest[] = [];
  return { posts, sender: { post: async (request: WebhookRequest) => (posts.push(request), { status: 200, body: 'ok' }) } };
}

describe('posting to a chat channel', () => {
  it('posts the message as JSON to the URL the secret holds, reading the secret once per refresh interval', async () => {
    let now = 0;
    let value = 'https://hooks.slack.com/services/T0/B0/first';
    const reads: string[] = [];
    const { posts, sender } = recordingSender();
    const chat = new WebhookChat(async (name) => (reads.push(name), value), sender, () => now);
    await chat.post(SLACK, { text: 'one' });
    value = 'https://hooks.slack.com/services/T0/B0/rotated';
    now = CHAT_SECRET_REFRESH_MS - 1;
    await chat.post(SLACK, { text: 'two' });
    now = CHAT_SECRET_REFRESH_MS;
    await chat.post(SLACK, { text: 'three' });
    expect(reads).toEqual([SLACK.secret, SLACK.secret]);
    expect(posts.map((post) => post.url)).toEqual(['https://hooks.slack.com/services/T0/B0/first', 'https://hooks.slack.com/services/T0/B0/first', 'https://hooks.slack.com/services/T0/B0/rotated']);
    expect(posts[0]).toMatchObject({ headers: { 'content-type': 'application/json' }, body: '{"text":"one"}', timeoutMs: 10_000 });
  });

  it('reads a secret again after a failed read, and refuses a secret that is not a URL, naming it', async () => {
    let attempt = 0;
    const { sender } = recordingSender();
    const chat = new WebhookChat(async () => {
      attempt++;
      if (attempt === 1) throw new Error('AccessDeniedException');
      return attempt === 2 ? 'not a url' : 'https://hooks.slack.com/services/T0/B0/x';
    }, sender);
    await expect(chat.post(SLACK, {})).rejects.toThrow('AccessDeniedException');
    await expect(chat.post(SLACK, {})).rejects.toThrow(/the chat secret escalation-api\/chat\/support-lead: the chat secret must hold the incoming-webhook URL/);
    await expect(chat.post(SLACK, {})).resolves.toEqual({ status: 200, body: 'ok' });
  });

  it.each(['http://hooks.slack.com/services/x', 'https://127.0.0.1/hook', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://localhost/x'])('on AWS refuses %s before connecting (the webhooks\' rule)', async (url) => {
    const chat = new WebhookChat(async () => url, new HttpsWebhookSender(AWS_RULES));
    await expect(chat.post(SLACK, {})).rejects.toBeInstanceOf(WebhookTargetRefusedError);
  });
});
