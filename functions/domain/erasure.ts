import { createHash } from 'node:crypto';
import { isValidTimeZone } from './business-calendar';
import type { Escalation } from './escalation';
import { TEMPLATE_NAMES } from './notification';
import { CHANNELS, EVENT_TYPES, ITEM_STATUSES, OUTCOMES, SEGMENTS, SEVERITIES, STATUSES, TEAMS, TRIGGER_CATEGORIES, TRIGGERS } from './vocabulary';

// Erasure of an account's personal data (POST /accounts/{accountId}/erase): every stored item of
// the account is rewritten without it. Which strings are personal is known from the account's
// contacts and name; free text (messages, notes, descriptions) is dropped whatever it says,
// since a customer may write anything in it.

export const ERASED = '[erased]';

/** Fields that hold what people wrote: replaced whole, whatever they contain. */
const FREE_TEXT_FIELDS = new Set(['message', 'text', 'note', 'body', 'description', 'businessImpact', 'alreadyTried', 'guidance', 'reason', 'subject', 'html']);
/** Attributes that are keys, ids and instants: never personal, and rewriting them would move the item. */
const STRUCTURAL_FIELDS = new Set(['pk', 'sk', 'seq', 'caseId', 'id', 'type', 'at', 'version', 'generation', 'expiresAt', 'status', 'severity', 'template', 'notificationId', 'accountId']);
const EMAIL_ADDRESS = /[^\s@<>()"',;:[\]#]+@[^\s@<>()"',;:[\]#]+\.[A-Za-z0-9-]+/;
const EMAIL_ADDRESSES = new RegExp(EMAIL_ADDRESS.source, 'g');

/** Fields that hold who someone is: erased when they hold a personal string, whatever else the value looks like. */
const PERSON_FIELDS = new Set(['name', 'accountName', 'email', 'phone', 'owner', 'to', 'from', 'sponsor', 'title']);

let vocabulary: ReadonlySet<string> | undefined;
/**
 * A value the product writes from one of its closed lists (a trigger, a status, a template), or a
 * time zone: nobody's data, even when a personal string is part of it (a contact called "Data"
 * is in the trigger "data_issue", a customer called "Berlin" in "Europe/Berlin"). Erasing it
 * would leave a case its own rules can no longer read.
 */
function isVocabulary(value: string): boolean {
  vocabulary ??= new Set<string>([...SEVERITIES, ...STATUSES, ...TRIGGERS, ...Object.keys(TRIGGER_CATEGORIES), ...CHANNELS, ...SEGMENTS, ...OUTCOMES, ...TEAMS, ...ITEM_STATUSES, ...EVENT_TYPES, ...TEMPLATE_NAMES]);
  return vocabulary.has(value) || (value.includes('/') && isValidTimeZone(value));
}

/**
 * An id or key with the addresses inside it replaced by a digest of each (an email's id names its
 * recipient): the same id erased twice reads the same, and nothing of the address is left.
 */
export const erasedId = (id: string) => id.replace(EMAIL_ADDRESSES, (address) => `erased-${createHash('sha256').update(address.toLowerCase()).digest('hex').slice(0, 16)}`);

/** The strings that identify the account's people: each contact's address, name and phone, and the account's name. */
export function personalStrings(escalations: Pick<Escalation, 'customer'>[], knownAddresses: string[]): string[] {
  const strings = new Set<string>(knownAddresses.map((address) => address.toLowerCase()));
  for (const { customer } of escalations) {
    strings.add(customer.name.toLowerCase());
    for (const contact of customer.contacts) {
      strings.add(contact.email.toLowerCase());
      if (contact.name) strings.add(contact.name.toLowerCase());
      if (contact.phone) strings.add(contact.phone.toLowerCase());
    }
  }
  return [...strings].filter((value) => value.length >= 3);
}

/**
 * The value with its personal data gone: free-text fields replaced whole, and any other string
 * holding one of the personal strings or an email address replaced (addresses of staff included:
 * erasure errs on the side of removing). Keys, ids and instants stay, so the item keeps its place.
 */
export function erasePersonalData<T>(value: T, personal: readonly string[], field?: string, depth = 0): T {
  if (typeof value === 'string') {
    if (field && STRUCTURAL_FIELDS.has(field)) return erasedId(value) as T;
    const lower = value.toLowerCase();
    if ((field && FREE_TEXT_FIELDS.has(field)) || EMAIL_ADDRESS.test(value)) return ERASED as T;
    if (!personal.some((string) => lower.includes(string))) return value;
    return !(field && PERSON_FIELDS.has(field)) && isVocabulary(value) ? value : (ERASED as T);
  }
  if (value === null || typeof value !== 'object' || depth > 20) return value;
  if (Array.isArray(value)) return value.map((entry) => erasePersonalData(entry, personal, field, depth + 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, erasePersonalData(entry, personal, key, depth + 1)])) as T;
}

/** The case as it is kept after an erasure: its shape, deadlines and figures, no one's data. */
export function erasedCase(escalation: Escalation, personal: readonly string[], at: string): Escalation {
  const erased = erasePersonalData(escalation, personal);
  return { ...erased, customer: { ...erased.customer, name: ERASED, contacts: [] }, title: ERASED, erasedAt: at, version: escalation.version + 1, updatedAt: at };
}

/**
 * The inbound messages stored for a case, from its items: every timeline entry of an email the
 * customer sent (a reply, a quarantined message, the mail that opened the case) names SES's id
 * for it, the key of its raw MIME in the inbound bucket. (`messageId` is the sender's
 * Message-ID header, and on an email we sent, SES's id of that: neither is a key of the bucket.)
 */
export function inboundMessagesOf(items: readonly Record<string, unknown>[]): string[] {
  const ids = items.flatMap((item) => {
    const data = item.data as Record<string, unknown> | undefined;
    return typeof data?.sesMessageId === 'string' && data.sesMessageId.length > 0 ? [data.sesMessageId] : [];
  });
  return [...new Set(ids)];
}
