import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SignedSurveyLinks } from '../../functions/adapters/signed-survey-links';
import {
  ExpiredSurveyTokenError,
  InvalidSigningKeysError,
  InvalidSurveyTokenError,
  parseSigningKeys,
  signSurveyToken,
  verifySurveyToken,
} from '../../functions/domain/survey-token';

const OLD = 'old-key-0123456789abcdef0123456789abcdef';
const NEW = 'new-key-fedcba9876543210fedcba9876543210';
const NOW = new Date('2026-05-04T10:00:00Z');
const IN_A_WEEK = new Date(NOW.getTime() + 7 * 86_400_000);
const CASE = '3f1c2a9e-7b4d-4e1a-9c55-2d8e6f0a1b2c';

/** A link as they were signed before tokens named their key: `<payload>.<HMAC>` of {caseId, expiresAt}. */
function legacyToken(caseId: string, expiresAt: Date, secret: string) {
  const payload = Buffer.from(JSON.stringify({ caseId, expiresAt: Math.floor(expiresAt.getTime() / 1000) })).toString('base64url');
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
};

describe('survey tokens name the key that signed them', () => {
  it('a token signed with the current key verifies, and names that key', () => {
    const keys = parseSigningKeys(OLD);
    const token = signSurveyToken(CASE, IN_A_WEEK, keys);
    expect(verifySurveyToken(token, NOW, keys)).toEqual({ caseId: CASE, expiresAt: IN_A_WEEK.getTime() / 1000, kid: keys.current.id });
  });

  it('during a rotation links signed with the previous key still count; once it is dropped they do not', () => {
    const token = signSurveyToken(CASE, IN_A_WEEK, parseSigningKeys(OLD));
    const rotating = parseSigningKeys(JSON.stringify({ current: NEW, previous: OLD }));
    expect(verifySurveyToken(token, NOW, rotating).caseId).toBe(CASE);
    expect(thrown(() => verifySurveyToken(token, NOW, parseSigningKeys(NEW)))).toBeInstanceOf(InvalidSurveyTokenError);
    // New links are signed with the current key.
    expect(verifySurveyToken(signSurveyToken(CASE, IN_A_WEEK, rotating), NOW, parseSigningKeys(NEW)).caseId).toBe(CASE);
  });

  it('links signed before keys had ids are checked against both keys', () => {
    const token = legacyToken(CASE, IN_A_WEEK, OLD);
    expect(verifySurveyToken(token, NOW, parseSigningKeys(JSON.stringify({ current: NEW, previous: OLD }))).caseId).toBe(CASE);
    expect(thrown(() => verifySurveyToken(token, NOW, parseSigningKeys(NEW)))).toBeInstanceOf(InvalidSurveyTokenError);
  });

  it('an expired genuine link is told so (410 at the API); an altered one is only ever invalid', () => {
    const keys = parseSigningKeys(OLD);
    const yesterday = new Date(NOW.getTime() - 86_400_000);
    const expired = signSurveyToken(CASE, yesterday, keys);
    expect(thrown(() => verifySurveyToken(expired, NOW, keys))).toBeInstanceOf(ExpiredSurveyTokenError);
    const altered = `${expired.slice(0, -2)}xx`;
    const error = thrown(() => verifySurveyToken(altered, NOW, keys));
    expect(error).toBeInstanceOf(InvalidSurveyTokenError);
    expect(error).not.toBeInstanceOf(ExpiredSurveyTokenError);
  });

  it('property: changing any one character of a token makes it invalid', () => {
    const keys = parseSigningKeys(OLD);
    fc.assert(
      fc.property(fc.uuid(), fc.nat(), fc.constantFrom(...'ABCxyz019-_.'), (caseId, at, replacement) => {
        const token = signSurveyToken(caseId, IN_A_WEEK, keys);
        const index = at % token.length;
        fc.pre(token[index] !== replacement);
        const altered = token.slice(0, index) + replacement + token.slice(index + 1);
        expect(thrown(() => verifySurveyToken(altered, NOW, keys))).toBeInstanceOf(InvalidSurveyTokenError);
      }),
    );
  });

  it.each([
    ['a short key', 'too-short', /at least 32/],
    ['broken JSON', '{"current": ', /not JSON/],
    ['no current key', JSON.stringify({ previous: OLD }), /"current" must be a key/],
    ['a short previous key', JSON.stringify({ current: NEW, previous: 'x' }), /"previous" must be a key/],
    ['an unknown field', JSON.stringify({ current: NEW, next: OLD }), /unknown keys \(next\)/],
  ])('refuses a secret with %s, saying what is wrong', (_, secret, message) => {
    const error = thrown(() => parseSigningKeys(secret));
    expect(error).toBeInstanceOf(InvalidSigningKeysError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('a container holding the survey keys', () => {
  function rotatingSecret() {
    let value = OLD;
    let reads = 0;
    let clock = 0;
    const links = new SignedSurveyLinks('https://api.example.com', async () => {
      reads++;
      return value;
    }, () => clock);
    return { links, rotate: (next: string) => (value = next), reads: () => reads, advance: (ms: number) => (clock += ms) };
  }

  it('verifies a link signed with a key it has not read yet by reading the secret again, at most once a minute', async () => {
    const container = rotatingSecret();
    await container.links.linksFor(CASE, NOW);
    expect(container.reads()).toBe(1);
    container.rotate(JSON.stringify({ current: NEW, previous: OLD }));
    const fromAnotherContainer = signSurveyToken(CASE, IN_A_WEEK, parseSigningKeys(NEW));
    container.advance(61_000);
    expect(await container.links.verify(fromAnotherContainer, NOW)).toEqual({ caseId: CASE });
    expect(container.reads()).toBe(2);
    // A flood of links naming unknown keys does not turn into a flood of secret reads.
    const forged = signSurveyToken(CASE, IN_A_WEEK, parseSigningKeys('a-key-nobody-holds-0123456789abcdef'));
    await expect(container.links.verify(forged, NOW)).rejects.toBeInstanceOf(InvalidSurveyTokenError);
    await expect(container.links.verify(forged, NOW)).rejects.toBeInstanceOf(InvalidSurveyTokenError);
    expect(container.reads()).toBe(2);
  });

  it('signs with the new key once it has read the secret again (within ten minutes of a rotation)', async () => {
    const container = rotatingSecret();
    const before = new URL((await container.links.linksFor(CASE, NOW))[0]!.url).pathname.split('/').pop()!;
    container.rotate(JSON.stringify({ current: NEW, previous: OLD }));
    container.advance(10 * 60_000);
    const after = new URL((await container.links.linksFor(CASE, NOW))[0]!.url).pathname.split('/').pop()!;
    expect(verifySurveyToken(after, NOW, parseSigningKeys(NEW)).caseId).toBe(CASE);
    expect(thrown(() => verifySurveyToken(before, NOW, parseSigningKeys(NEW)))).toBeInstanceOf(InvalidSurveyTokenError);
  });
});
