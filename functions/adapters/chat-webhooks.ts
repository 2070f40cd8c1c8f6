import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { Config } from '../config';
import type { ChatChannel } from '../domain/notification';
import { DELIVERY_TIMEOUT_MS } from '../domain/webhook-delivery';
import type { ChatPoster } from '../ports/chat';
import type { WebhookSender } from '../ports/webhooks';
import { awsClient, clientOptions } from './aws-clients';
import { HttpsWebhookSender, targetRulesOf } from './https-webhook-sender';

/**
 * A container reads a channel's secret again once it is this old, so a rotated webhook URL (a
 * channel moved, a leaked URL revoked) is used within minutes, without a deployment.
 */
export const CHAT_SECRET_REFRESH_MS = 5 * 60_000;

/** What a channel's secret holds: the incoming-webhook URL, as Slack or Teams gave it. */
const WebhookUrl = z.url({ protocol: /^https?$/, error: 'the chat secret must hold the incoming-webhook URL itself (https://hooks.slack.com/… or the Teams/Workflows URL)' });

/** The chat poster a handler wires in its container() call: secrets from Secrets Manager, posts with the webhook sender's address rules. */
export function webhookChat(config: Config): ChatPoster {
  const secrets = awsClient('secrets-manager', new SecretsManagerClient(clientOptions('secrets-manager', config.SECRETS_MANAGER_ENDPOINT)));
  const readSecret = async (name: string) => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: name }));
    if (!SecretString) throw new Error(`the chat secret ${name} has no string value`);
    return SecretString;
  };
  return new WebhookChat(readSecret, new HttpsWebhookSender(targetRulesOf(config)));
}

/**
 * Posts to incoming webhooks through the webhook sender (functions/adapters/https-webhook-sender.ts):
 * the same https-only, public-addresses-only rule on AWS, checked on the resolved address at each
 * post. Each secret is read once per CHAT_SECRET_REFRESH_MS per container; a failed read is tried
 * again on the next post.
 */
export class WebhookChat implements ChatPoster {
  private readonly urls = new Map<string, { url: Promise<string>; readAt: number }>();

  constructor(
    private readonly readSecret: (name: string) => Promise<string>,
    private readonly sender: WebhookSender,
    private readonly clock: () => number = Date.now,
  ) {}

  private urlOf(secret: string): Promise<string> {
    const cached = this.urls.get(secret);
    if (cached && this.clock() - cached.readAt < CHAT_SECRET_REFRESH_MS) return cached.url;
    const url = this.readSecret(secret).then((value) => {
      const parsed = WebhookUrl.safeParse(value.trim());
      if (!parsed.success) throw new Error(`the chat secret ${secret}: ${parsed.error.issues[0]!.message}`);
      return parsed.data;
    });
    const entry = { url, readAt: this.clock() };
    // A failed read is not kept: the next post reads again.
    url.catch(() => this.urls.get(secret) === entry && this.urls.delete(secret));
    this.urls.set(secret, entry);
    return url;
  }

  async post(channel: ChatChannel, body: object) {
    const url = await this.urlOf(channel.secret);
    return this.sender.post({ url, headers: { 'content-type': 'application/json', 'user-agent': 'escalation-api-chat/1' }, body: JSON.stringify(body), timeoutMs: DELIVERY_TIMEOUT_MS });
  }
}
