import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { afterFailedDelivery, keepAttempts, WEBHOOK_RETRY_WINDOW_MS, type DeliveryAttempt } from '../../functions/domain/webhook-delivery';
import { formatSecret, SECRET_BYTES, signDelivery } from '../../functions/domain/webhook-signature';
import { checkTargetUrl, isPublicAddress, WebhookTargetRefusedError, type TargetRules } from '../../functions/domain/webhook-targets';
import { HOUR, MINUTE } from './fixtures';

// Signatures are checked with the `standardwebhooks` package (the scheme's reference library,
// written by others): what a receiver would run, not our own reading of the scheme.

const secretOf = (seed: number) => formatSecret(Uint8Array.from({ length: SECRET_BYTES }, (_, index) => (seed * 31 + index * 7) % 256));
const BODY = JSON.stringify({ id: 'evt_1', type: 'deadline.breached', data: { escalationId: 'c1' } });

describe('Standard Webhooks signatures', () => {
  it('verify with the reference library, for any JSON body and id', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 3 }), fc.stringMatching(/^evt_[0-9a-f]{8,32}$/), fc.integer({ min: 0, max: 200 }), (body, id, seed) => {
        const secret = secretOf(seed);
        const headers = signDelivery(id, new Date(), body, [secret]);
        expect(new Webhook(secret).verify(body, headers as unknown as Record<string, string>)).toBeDefined();
      }),
      { numRuns: 200 },
    );
  });

  it('a changed body, id or timestamp, or another secret, does not verify', () => {
    const secret = secretOf(1);
    const headers = signDelivery('evt_1', new Date(), BODY, [secret]) as unknown as Record<string, string>;
    const verify = (body: string, changed: Record<string, string>, key = secret) => () => new Webhook(key).verify(body, changed);
    expect(verify(BODY.replace('c1', 'c2'), headers)).toThrow();
    expect(verify(BODY, { ...headers, 'webhook-id': 'evt_2' })).toThrow();
    expect(verify(BODY, { ...headers, 'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1) })).toThrow();
    expect(verify(BODY, headers, secretOf(2))).toThrow();
  });

  it('during a rotation both secrets sign: a receiver holding either one verifies', () => {
    const [current, previous] = [secretOf(3), secretOf(4)];
    const headers = signDelivery('evt_1', new Date(), BODY, [current, previous]) as unknown as Record<string, string>;
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(current).verify(BODY, headers)).toBeDefined();
    expect(new Webhook(previous).verify(BODY, headers)).toBeDefined();
    expect(() => new Webhook(secretOf(5)).verify(BODY, headers)).toThrow();
  });

  it('a delivery signed long ago is refused by the receiver (replays are bounded by the timestamp)', () => {
    const secret = secretOf(6);
    const headers = signDelivery('evt_1', new Date(Date.now() - 10 * MINUTE), BODY, [secret]) as unknown as Record<string, string>;
    expect(() => new Webhook(secret).verify(BODY, headers)).toThrow(/timestamp/i);
  });

  it('secrets are whsec_ and base64 of the random bytes given; too few bytes is a mistake', () => {
    expect(secretOf(1)).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(() => formatSecret(new Uint8Array(8))).toThrow();
  });
});

describe('webhook targets (SSRF)', () => {
  const aws: TargetRules = { httpsOnly: true, allowPrivate: false };
  const local: TargetRules = { httpsOnly: false, allowPrivate: true };
  const refused = (url: string, rules = aws) => expect(() => checkTargetUrl(url, rules), url).toThrow(WebhookTargetRefusedError);

  it('on AWS: https to a public host only', () => {
    expect(checkTargetUrl('https://hooks.example.com/escalations?token=x', aws).hostname).toBe('hooks.example.com');
    expect(checkTargetUrl('https://93.184.216.34/hook', aws).hostname).toBe('93.184.216.34');
    refused('http://hooks.example.com/');
    refused('ftp://hooks.example.com/');
    refused('not a url');
    refused('https://user:pass@hooks.example.com/');
  });

  it('on AWS: private, loopback, link-local and reserved addresses are refused, however written', () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://10.1.2.3/',
      'https://172.20.0.1/',
      'https://192.168.1.1/',
      'https://169.254.169.254/latest/meta-data/',
      'https://100.64.0.1/',
      'https://0.0.0.0/',
      'https://[::1]/',
      'https://[fe80::1]/',
      'https://[fd00::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://[64:ff9b::a9fe:a9fe]/',
      'https://localhost/',
      'https://metadata.google.internal/',
      'https://intranet/',
    ]) {
      refused(url);
    }
  });

  it('public addresses stay allowed, IPv4 and IPv6', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isPublicAddress(address), address).toBe(true);
    for (const address of ['127.0.0.1', '::1', '169.254.169.254', 'fe80::1', '::ffff:10.0.0.1', 'not-an-ip']) expect(isPublicAddress(address), address).toBe(false);
  });

  it('locally: http and loopback are allowed, other schemes still are not', () => {
    expect(checkTargetUrl('http://127.0.0.1:9999/hook', local).port).toBe('9999');
    expect(checkTargetUrl('http://localhost:9999/hook', local).hostname).toBe('localhost');
    refused('ftp://127.0.0.1/', local);
  });
});

describe('webhook retries', () => {
  const T0 = Date.parse('2026-05-04T09:00:00Z');
  const failure = { permanent: false, reason: 'the receiver answered 503' };

  it('the first retries come within a minute, and waits grow to at most an hour', () => {
    const first = afterFailedDelivery({ queuedAt: new Date(T0).toISOString(), attempts: 1 }, new Date(T0), failure, 0.999);
    expect('retryAt' in first && Date.parse(first.retryAt) - T0).toBeLessThanOrEqual(10_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempts, random) => {
        const next = afterFailedDelivery({ queuedAt: new Date(T0).toISOString(), attempts }, new Date(T0 + MINUTE), failure, random);
        expect('retryAt' in next).toBe(true);
        if ('retryAt' in next) expect(Date.parse(next.retryAt) - (T0 + MINUTE)).toBeLessThanOrEqual(HOUR);
      }),
    );
  });

  it('are given up only once 24 h have passed since the event was owed, at once when the target is refused', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * WEBHOOK_RETRY_WINDOW_MS }), fc.integer({ min: 1, max: 100 }), (elapsed, attempts) => {
        const next = afterFailedDelivery({ queuedAt: new Date(T0).toISOString(), attempts }, new Date(T0 + elapsed), failure, 0.5);
        expect('giveUp' in next).toBe(elapsed >= WEBHOOK_RETRY_WINDOW_MS);
      }),
    );
    expect(afterFailedDelivery({ queuedAt: new Date(T0).toISOString(), attempts: 1 }, new Date(T0), { permanent: true, reason: 'private address' }, 0.5)).toEqual({ giveUp: 'refused: private address' });
  });

  it('a delivery keeps its first attempts and its latest ones, never more than ten', () => {
    const attempt = (index: number): DeliveryAttempt => ({ at: new Date(T0 + index).toISOString(), durationMs: 1, outcome: String(index) });
    let kept: DeliveryAttempt[] = [];
    for (let index = 0; index < 25; index++) kept = keepAttempts(kept, attempt(index));
    expect(kept.map((entry) => entry.outcome)).toEqual(['0', '1', '2', '18', '19', '20', '21', '22', '23', '24']);
  });
});
