import { createHmac, timingSafeEqual } from 'node:crypto';

/** A satisfaction link that is altered, expired or not ours. Records nothing. */
export class InvalidSurveyTokenError extends Error {
  override name = 'InvalidSurveyTokenError';
}

interface SurveyClaims {
  caseId: string;
  /** Expiry, epoch seconds. */
  expiresAt: number;
}

const encode = (text: string) => Buffer.from(text).toString('base64url');
const mac = (payload: string, key: string) => createHmac('sha256', key).update(payload).digest('base64url');

/** `<payload>.<HMAC>`: the link names its case and expiry, and only we can make one. */
export function signSurveyToken(caseId: string, expiresAt: Date, key: string): string {
  const payload = encode(JSON.stringify({ caseId, expiresAt: Math.floor(expiresAt.getTime() / 1000) } satisfies SurveyClaims));
  return `${payload}.${mac(payload, key)}`;
}

export function verifySurveyToken(token: string, now: Date, key: string): SurveyClaims {
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length) throw new InvalidSurveyTokenError('this survey link is not valid');
  const expected = Buffer.from(mac(payload, key));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new InvalidSurveyTokenError('this survey link is not valid');
  let claims: SurveyClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SurveyClaims;
  } catch {
    throw new InvalidSurveyTokenError('this survey link is not valid');
  }
  if (typeof claims.caseId !== 'string' || typeof claims.expiresAt !== 'number') throw new InvalidSurveyTokenError('this survey link is not valid');
  if (claims.expiresAt * 1000 < now.getTime()) throw new InvalidSurveyTokenError('this survey link has expired');
  return claims;
}
