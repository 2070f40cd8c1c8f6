import { createHmac } from 'node:crypto';

// Standard Webhooks (standardwebhooks.com), the signature scheme receivers can check with an
// off-the-shelf library: the secret is "whsec_" and base64 of the key bytes; the signed
// content is `<webhook-id>.<webhook-timestamp>.<body>`; the signature header holds one
// "v1,<base64 HMAC-SHA256>" per secret in force, separated by spaces (a rotation's overlap).

export const SECRET_PREFIX = 'whsec_';
/** 24 bytes of key: within the scheme's 24–64, as its reference libraries generate. */
export const SECRET_BYTES = 24;

/** A signing secret in the scheme's notation, from random bytes the caller drew. */
export function formatSecret(keyBytes: Uint8Array): string {
  if (keyBytes.length < SECRET_BYTES) throw new Error(`a webhook secret needs at least ${SECRET_BYTES} random bytes`);
  return `${SECRET_PREFIX}${Buffer.from(keyBytes).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('a webhook secret starts with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one delivery attempt: signed with every secret given (the current first). */
export function signDelivery(messageId: string, sentAt: Date, body: string, secrets: readonly string[]): SignedHeaders {
  if (secrets.length === 0) throw new Error('a delivery needs at least one secret to sign with');
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  const content = `${messageId}.${timestamp}.${body}`;
  const signatures = secrets.map((secret) => `v1,${createHmac('sha256', keyOf(secret)).update(content).digest('base64')}`);
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
