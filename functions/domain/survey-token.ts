import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A satisfaction link that is altered, not ours, or signed with a key we no longer hold. Records nothing. */
export class InvalidSurveyTokenError extends Error {
  override name = 'InvalidSurveyTokenError';
}

/** A genuine satisfaction link past its expiry. Records nothing. */
export class ExpiredSurveyTokenError extends InvalidSurveyTokenError {
  override name = 'ExpiredSurveyTokenError';
}

/** The signing secret is not a key, nor the current and previous keys of a rotation. */
export class InvalidSigningKeysError extends Error {
  override name = 'InvalidSigningKeysError';
}

interface SurveyClaims {
  caseId: string;
  /** Expiry, epoch seconds. */
  expiresAt: number;
  /** Which key signed it (absent on links signed before keys had ids). */
  kid?: string;
}

export interface SigningKey {
  /** Derived from the key, so a rotation needs no naming: the first 12 characters of its SHA-256, base64url. */
  id: string;
  secret: string;
}

/** The key links are signed with, and during a rotation the one before it, whose links still count. */
export interface SigningKeys {
  current: SigningKey;
  previous?: SigningKey;
}

/** Shorter keys are refused: 32 random characters are already far beyond guessing for an HMAC key. */
export const MIN_KEY_LENGTH = 32;

const keyOf = (secret: string): SigningKey => ({ id: createHash('sha256').update(secret).digest('base64url').slice(0, 12), secret });

/**
 * The survey signing secret, in either form: one key (as Secrets Manager generates it at the
 * first deploy), or during a rotation `{"current": "<key>", "previous": "<key>"}`.
 */
export function parseSigningKeys(text: string): SigningKeys {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    if (trimmed.length < MIN_KEY_LENGTH) throw new InvalidSigningKeysError(`the survey signing key is ${trimmed.length} characters; it needs at least ${MIN_KEY_LENGTH}`);
    return { current: keyOf(trimmed) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (cause) {
    throw new InvalidSigningKeysError('the survey signing secret starts like JSON but is not JSON', { cause });
  }
  const { current, previous, ...rest } = parsed as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length) throw new InvalidSigningKeysError(`the survey signing secret has unknown keys (${unknown.join(', ')}): it holds "current" and optionally "previous"`);
  for (const [name, value] of [['current', current], ['previous', previous]] as const) {
    if (name === 'previous' && value === undefined) continue;
    if (typeof value !== 'string' || value.length < MIN_KEY_LENGTH) throw new InvalidSigningKeysError(`the survey signing secret's "${name}" must be a key of at least ${MIN_KEY_LENGTH} characters`);
  }
  return { current: keyOf(current as string), ...(previous !== undefined && { previous: keyOf(previous as string) }) };
}

const encode = (text: string) => Buffer.from(text).toString('base64url');
const mac = (payload: string, secret: string) => createHmac('sha256', secret).update(payload).digest('base64url');

/** `<payload>.<HMAC>`: the link names its case, its expiry and its key, and only we can make one. */
export function signSurveyToken(caseId: string, expiresAt: Date, keys: SigningKeys): string {
  const payload = encode(JSON.stringify({ caseId, expiresAt: Math.floor(expiresAt.getTime() / 1000), kid: keys.current.id } satisfies SurveyClaims));
  return `${payload}.${mac(payload, keys.current.secret)}`;
}

/** The key id a token names, read without checking anything: which keys to look for. */
export function tokenKeyId(token: string): string | undefined {
  try {
    const kid = (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Partial<SurveyClaims>).kid;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The claims of a token signed by one of the keys held (the one it names; a token from before
 * key ids, by either). Only a genuine token is told it has expired.
 */
export function verifySurveyToken(token: string, now: Date, keys: SigningKeys): SurveyClaims {
  const invalid = () => new InvalidSurveyTokenError('this survey link is not valid');
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length) throw invalid();
  const held = [keys.current, ...(keys.previous ? [keys.previous] : [])];
  const kid = tokenKeyId(token);
  const candidates = kid === undefined ? held : held.filter((key) => key.id === kid);
  const given = Buffer.from(signature);
  const signedByOne = candidates.some((key) => {
    const expected = Buffer.from(mac(payload, key.secret));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
  if (!signedByOne) throw invalid();
  let claims: SurveyClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SurveyClaims;
  } catch {
    throw invalid();
  }
  if (typeof claims.caseId !== 'string' || typeof claims.expiresAt !== 'number') throw invalid();
  if (claims.expiresAt * 1000 < now.getTime()) throw new ExpiredSurveyTokenError('this survey link has expired');
  return claims;
}
