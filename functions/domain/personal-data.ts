// Logs carry ids, never personal data (docs/guarantees.md). Log fields are chosen to be ids, but
// some ids are built from addresses (an email's notification id names its recipient) and some
// messages quote input (an SES refusal names the address): every log line passes through this.

/** An email address inside any text. */
const EMAIL_ADDRESS = /[^\s@<>()"',;:[\]]+@[^\s@<>()"',;:[\]]+\.[A-Za-z0-9-]+/g;
export const REDACTED_ADDRESS = '[address]';

/** The value with every email address in its strings replaced, at any depth; the value itself is not changed. */
export function withoutEmailAddresses<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return value.replace(EMAIL_ADDRESS, REDACTED_ADDRESS) as T;
  if (depth > 10 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((entry) => withoutEmailAddresses(entry, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, withoutEmailAddresses(entry, depth + 1)])) as T;
}
