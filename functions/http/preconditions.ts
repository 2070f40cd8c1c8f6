import { HttpProblem } from './problem';
import { PreconditionRequiredError } from '../usecases/errors';

/** An ETag of this API as a client sends it back: "3", W/"3" or 3. */
const ETAG = /^(?:W\/)?"?(\d{1,12})"?$/;
/** The version an ETag names, or undefined when it is not one of this API's. */
const versionOf = (tag: string): number | undefined => {
  const match = ETAG.exec(tag.trim());
  return match ? Number(match[1]) : undefined;
};

/** Reads If-Match as a case version. Accepts "3", W/"3" and 3. */
export function parseIfMatch(header: string | undefined, required: true): number;
export function parseIfMatch(header: string | undefined, required: false): number | undefined;
export function parseIfMatch(header: string | undefined, required: boolean): number | undefined {
  if (header === undefined || header.trim() === '') {
    if (required) throw new PreconditionRequiredError('send If-Match with the ETag of the version you are changing');
    return undefined;
  }
  const version = versionOf(header);
  if (version === undefined) {
    throw new HttpProblem(400, 'Invalid request', 'If-Match must be the ETag the API returned, e.g. "3"', [
      { path: 'headers.if-match', message: 'not an ETag of this API' },
    ]);
  }
  return version;
}

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,128}$/;

export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new HttpProblem(400, 'Invalid request', 'Idempotency-Key must be 1–128 characters of letters, digits, . _ : -', [
      { path: 'headers.idempotency-key', message: 'invalid format' },
    ]);
  }
  return header;
}

/** If-None-Match: "*", or a list of (weak or strong) ETags; true when one names this version. */
export function matchesAny(header: string | undefined, version: number): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => versionOf(tag) === version);
}
