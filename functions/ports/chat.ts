import type { ChatChannel } from '../domain/notification';

/**
 * Posts a message to a role's chat channel (a Slack or Teams incoming webhook, its URL read from
 * the secret the channel names). Answers with whatever status the chat service gave; throws when
 * there was no answer, the secret could not be read, or the URL is not allowed
 * (WebhookTargetRefusedError).
 */
export interface ChatPoster {
  post(channel: ChatChannel, body: object): Promise<{ status: number; body: string }>;
}
