import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  accountProfileFromItem,
  claimedEmailFromItem,
  deliveryFromItem,
  escalationFromItem,
  idempotencyRecordFromItem,
  incidentFromItem,
  knownContactFromItem,
  metricEventFromItem,
  owedEmailFromItem,
  proposalFromItem,
  storedEventFromItem,
  subscriptionFromItem,
} from '../../functions/adapters/stored-items';
import {
  accountProfileKey,
  contactKey,
  deliveryKey,
  eventIndexAttributes,
  incidentIndexAttributes,
  incidentKey,
  metricFactKey,
  owedDeliveryAttributes,
  proposalKey,
  webhookKey,
} from '../../functions/adapters/table-design';
import type { ActionName } from '../../functions/domain/commands';
import { performCheck, planNext } from '../../functions/domain/deadline-checks';
import { AlreadyAnsweredError, RuleViolationError } from '../../functions/domain/errors';
import { erasedCase, personalStrings } from '../../functions/domain/erasure';
import type { Change } from '../../functions/domain/escalation';
import { closeIncident, linkToIncident, receiveIncidentUpdate, type Incident } from '../../functions/domain/incidents';
import { openEscalation } from '../../functions/domain/intake';
import { allowedActions, applyAction, recordSatisfaction } from '../../functions/domain/lifecycle';
import type { Notification } from '../../functions/domain/notification';
import { metricFactOf } from '../../functions/domain/metric-facts';
import { decideSponsorship, withSponsorshipProposal } from '../../functions/domain/sponsorship';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import { nextRecovery } from '../../functions/domain/workflow-recovery';
import type { ClaimedEmail, KnownContact } from '../../functions/ports/escalation-repository';
import { UnreadableStoredItemError } from '../../functions/ports/errors';
import type { StoredDelivery, WebhookSubscription } from '../../functions/ports/webhooks';
import { ACTION_BODIES, DAY, HOUR, MINUTE, NOW, actionInput, ctxAt, input, open, playbook } from './fixtures';
import { caseItem, claimedOutboxItem, closedCase, eventItem, legacyEventItem, outboxItem, reviewedCase, roundTrip } from './stored-item-fixtures';

// Items read back from the table are parsed into exactly the domain's shapes: what the adapters
// write comes back equal, without the table's attributes, and an item that does not fit stops
// the read naming its key and the first key path that does not fit, never anyone's data.

const later = (from: string, ms: number) => new Date(Date.parse(from) + ms).toISOString();

const TABLE_ATTRIBUTES = /^(pk|sk|by[A-Z]\w*(PK|SK)|expiresAt)$/;
const tableAttributesOf = (value: object) => Object.keys(value).filter((key) => TABLE_ATTRIBUTES.test(key));

/** The error a read throws; fails the test when it does not throw. */
function refusal(read: () => unknown): UnreadableStoredItemError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(UnreadableStoredItemError);
    return error as UnreadableStoredItemError;
  }
  throw new Error('expected the stored item to be refused, it was read');
}

/** A copy of the item with the value at `path` replaced (undefined: the key removed). */
function changed(item: Record<string, unknown>, path: (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(item);
  let parent: any = copy;
  for (const step of path.slice(0, -1)) parent = parent[step];
  const last = path.at(-1)!;
  if (value === undefined) delete parent[last];
  else parent[last] = value;
  return copy;
}

describe('a stored case reads back as the case that was written', () => {
  it('a new case: equal, its key, index attributes and nothing else left behind', () => {
    const escalation = open('critical');
    const item = caseItem(escalation);
    expect(tableAttributesOf(item).length).toBeGreaterThan(5);
    const read = escalationFromItem(item);
    expect(read).toEqual(escalation);
    expect(tableAttributesOf(read)).toEqual([]);
  });

  it('a resolved case with its review, pauses and a dozen deadline checks acted on', () => {
    const escalation = reviewedCase();
    expect(escalation.review?.items).toHaveLength(2);
    expect(escalation.sla.pauses.length).toBeGreaterThan(0);
    expect(escalation.actedOn!.length).toBeGreaterThanOrEqual(10);
    expect(escalationFromItem(caseItem(escalation))).toEqual(escalation);
  });

  it('a closed case: its TTL attribute (expiresAt) is the table\'s, not the case\'s', () => {
    const escalation = closedCase();
    const item = caseItem(escalation);
    expect(item.expiresAt).toBeTypeOf('number');
    const read = escalationFromItem(item);
    expect(read).toEqual(escalation);
    expect(read).not.toHaveProperty('expiresAt');
  });

  it('a case carrying every optional fact the rules set: incident, satisfaction, re-arm, sponsor, proposal', () => {
    const start = NOW.getTime();
    const opened = openEscalation('esc-2', input('high', ['cancellation_threat'], true), ctxAt(start), { sponsor: 'vp@example.com' }).next;
    const incident = { id: 'inc-1', title: 'Checkout down' };
    let escalation = linkToIncident(opened, incident, ctxAt(start + MINUTE)).next;
    escalation = applyAction('acknowledge', escalation, { owner: 'kim@example.com' }, ctxAt(start + 10 * MINUTE)).next;
    escalation = receiveIncidentUpdate(escalation, incident, { id: 'upd-1', message: 'Fixed upstream' }, ctxAt(start + HOUR)).next;
    const before = escalation;
    const resolved = applyAction('resolve', before, { rootCause: 'upstream', fix: 'failover', prevention: 'second provider' }, ctxAt(start + 2 * HOUR));
    escalation = withSponsorshipProposal(before, resolved, undefined, ctxAt(start + 2 * HOUR)).next;
    escalation = recordSatisfaction(escalation, 9, ctxAt(start + 3 * DAY)).next;
    escalation = { ...escalation, workflowRecovery: nextRecovery(nextRecovery(undefined, new Date(start), 0.5), new Date(start + HOUR), 0.5) };
    for (const fact of ['incidentId', 'incidentUpdatesReceived', 'satisfaction', 'workflowRecovery', 'sponsor', 'sponsorshipProposedAt', 'resolution', 'owner'] as const) {
      expect(escalation[fact], fact).toBeDefined();
    }
    expect(escalationFromItem(caseItem(escalation))).toEqual(escalation);
  });

  it('an erased case, "[erased]" where the names and addresses were', () => {
    const closed = closedCase();
    const erased = erasedCase(closed, personalStrings([closed], []), later(closed.updatedAt, DAY));
    expect(erased.title).toBe('[erased]');
    expect(escalationFromItem(caseItem(erased))).toEqual(erased);
  });

  it('the copy an idempotency record keeps (JSON, no key) reads as the case', () => {
    const escalation = reviewedCase();
    expect(escalationFromItem(JSON.parse(JSON.stringify(escalation)) as Record<string, unknown>)).toEqual(escalation);
  });

  it('an idempotency record reads back without its key, and one missing its fingerprint is refused naming it', () => {
    const record = { caseId: 'esc-1', fingerprint: 'f'.repeat(64), expiresAt: 1_800_000_000, answer: 'H4sI' };
    expect(idempotencyRecordFromItem({ pk: 'IDEMPOTENCY#p#k', sk: 'IDEMPOTENCY', ...record })).toEqual(record);
    const { fingerprint: _fingerprint, ...withoutFingerprint } = record;
    expect(() => idempotencyRecordFromItem({ pk: 'IDEMPOTENCY#p#k', sk: 'IDEMPOTENCY', ...withoutFingerprint })).toThrow(/IDEMPOTENCY#p#k\/IDEMPOTENCY is not an idempotency record: fingerprint/);
  });
});

describe('a stored case that does not fit is refused, naming the item and the key path', () => {
  const item = caseItem(reviewedCase());
  const cases: [string, (string | number)[], unknown, string][] = [
    ['a required key missing', ['deadlines', 'acknowledgeBy'], undefined, 'deadlines.acknowledgeBy'],
    ['a status the lifecycle does not have', ['status'], 'archived', 'status'],
    ['a number stored as text', ['version'], '19', 'version'],
    ['a trigger not in the vocabulary', ['triggers', 0], 'platform_on_fire', 'triggers.0'],
    ['a boolean stored as text', ['executiveInvolved'], 'false', 'executiveInvolved'],
    ['an improvement item in an unknown state', ['review', 'items', 1, 'status'], 'finished', 'review.items.1.status'],
    ['a pause without its start', ['sla', 'pauses', 0, 'from'], undefined, 'sla.pauses.0.from'],
    ['a policy target without its unit', ['policy', 'targets', 'critical', 'resolveWithin', 'unit'], undefined, 'policy.targets.critical.resolveWithin.unit'],
    ['a contact that is not an object', ['customer', 'contacts', 0], 'cto@acme.example', 'customer.contacts.0'],
    ['a list of checks that is not a list', ['actedOn'], 'ack:2026-03-02T11:00:00.000Z', 'actedOn'],
  ];

  it.each(cases)('%s', (_what, path, value, named) => {
    const error = refusal(() => escalationFromItem(changed(item, path, value)));
    expect(error.message).toMatch(new RegExp(`^stored item ESC#esc-1/CASE is not a case: ${named.replaceAll('.', '\\.')}: `));
    expect(error.cause).toBeInstanceOf(z.ZodError);
    // Only keys and paths: none of the customer's or the team's names and addresses.
    expect(error.message).not.toMatch(/@|Acme|Dana/);
  });

  it('says how many other keys do not fit', () => {
    const twice = changed(changed(item, ['status'], 'archived'), ['tier'], -1);
    expect(refusal(() => escalationFromItem(twice)).message).toMatch(/ \(and 1 more\)$/);
  });

  it('names a copy without a key by its id', () => {
    const { pk: _pk, sk: _sk, ...copy } = changed(item, ['status'], 'archived');
    expect(refusal(() => escalationFromItem(copy)).message).toMatch(/^stored item without a key \(id esc-1\) is not a case: status: /);
  });
});

describe('the case\'s timeline, outbox and the other items read back as written', () => {
  const created = openEscalation('esc-1', input('critical'), ctxAt(NOW));
  const escalation = created.next;
  const [event] = created.events;
  const seq = '0000000001#000';

  it('a timeline event, without the case facts written beside it', () => {
    const item = eventItem(escalation, event!, seq);
    expect(item).toMatchObject({ caseId: 'esc-1', caseStatus: 'open', accountId: 'acct-42' });
    expect(storedEventFromItem(item)).toEqual({ seq, ...event });
    expect(storedEventFromItem(legacyEventItem(escalation, event!, seq))).toEqual({ seq, ...event });
  });

  it('an entry the outbox settled (no case facts, no data is fine too)', () => {
    const settled = roundTrip({ pk: 'ESC#esc-1', sk: 'EVENT#0000000001#n:x', seq: '0000000001#n:x', type: 'email_sent', at: NOW.toISOString(), actor: 'workflow', summary: 'sent' });
    expect(storedEventFromItem(settled)).toEqual({ seq: '0000000001#n:x', type: 'email_sent', at: NOW.toISOString(), actor: 'workflow', summary: 'sent' });
  });

  it('an owed email as its claim returns it, and as the retry sweep weighs it', () => {
    const notifications = created.notifications ?? [];
    expect(notifications.length).toBeGreaterThan(0);
    for (const notification of notifications) {
      const queued = outboxItem(escalation, notification);
      expect(owedEmailFromItem(queued)).toEqual({ caseId: 'esc-1', id: notification.id, status: 'pending', queuedAt: escalation.updatedAt, attempts: 0 });
      const leaseUntil = later(NOW.toISOString(), MINUTE);
      const claimed = claimedOutboxItem(queued, 'claim-1', leaseUntil);
      const expected: ClaimedEmail = { ...notification, status: 'sending', version: 1, attempts: 1, queuedAt: escalation.updatedAt, caseId: 'esc-1', claimId: 'claim-1' };
      expect(claimedEmailFromItem(claimed)).toEqual(expected);
      expect(owedEmailFromItem(claimed)).toEqual({ caseId: 'esc-1', id: notification.id, status: 'sending', queuedAt: escalation.updatedAt, attempts: 1, leaseUntil });
      const deferred = roundTrip({ ...claimed, status: 'pending', nextAttemptAt: leaseUntil, lastError: 'throttled', leaseUntil: undefined, claimId: undefined });
      expect(owedEmailFromItem(deferred)).toEqual({ caseId: 'esc-1', id: notification.id, status: 'pending', queuedAt: escalation.updatedAt, attempts: 1, nextAttemptAt: leaseUntil });
    }
  });

  it('a chat post of a closed case keeps its TTL (its settle entry takes the same)', () => {
    const closed = closedCase();
    const chat: Notification = { id: 'ack:x:deadline_breach_alert:chat:support', template: 'deadline_breach_alert', audience: 'internal', to: [], data: { tier: 1 }, chat: { role: 'support', kind: 'slack', secret: 'chat/support' } };
    const claimed = claimedEmailFromItem(claimedOutboxItem(outboxItem(closed, chat), 'claim-2', closed.updatedAt));
    expect(claimed).toEqual({ ...chat, status: 'sending', version: closed.version, attempts: 1, queuedAt: closed.updatedAt, expiresAt: Math.floor(Date.parse(closed.retainUntil!) / 1000), caseId: 'esc-1', claimId: 'claim-2' });
  });

  it('an incident, open and closed, without its place in the status index', () => {
    const incident: Incident = {
      id: 'inc-1',
      version: 2,
      status: 'open',
      title: 'Checkout down',
      description: 'payments provider outage',
      escalationIds: ['esc-1', 'esc-2'],
      createdAt: NOW.toISOString(),
      createdBy: 'lead@example.com',
      updates: [{ id: 'upd-1', at: NOW.toISOString(), actor: 'lead@example.com', message: 'failover under way' }],
      requestFingerprint: 'abc123',
    };
    const closed = closeIncident(incident, { note: 'provider restored' }, { now: new Date(NOW.getTime() + HOUR), actor: 'lead@example.com' });
    for (const value of [incident, closed]) {
      const item = roundTrip({ ...incidentKey(value.id), ...value, ...incidentIndexAttributes(value) });
      expect(incidentFromItem(item)).toEqual(value);
    }
  });

  it('a contact directory entry, keyed by account or (written before) once per address', () => {
    const entry: KnownContact = { accountId: 'acct-42', accountName: 'Acme GmbH', segment: 'enterprise', name: 'Dana' };
    expect(knownContactFromItem(roundTrip({ ...contactKey('cto@acme.example', 'acct-42'), ...entry }))).toEqual(entry);
    const bare: KnownContact = { accountId: 'acct-7', accountName: 'Initech' };
    expect(knownContactFromItem(roundTrip({ pk: 'CONTACT#ops@initech.example', sk: 'CONTACT', ...bare }))).toEqual(bare);
  });

  it('a sponsorship proposal, as a resolved executive escalation makes it', () => {
    const before = applyAction('acknowledge', open('critical', NOW, ['legal_threat']), {}, ctxAt(later(NOW.toISOString(), MINUTE)));
    const resolve = applyAction('resolve', before.next, { rootCause: 'a', fix: 'b', prevention: 'c' }, ctxAt(later(NOW.toISOString(), HOUR)));
    const { sponsorshipProposal } = withSponsorshipProposal(before.next, resolve, undefined, ctxAt(later(NOW.toISOString(), HOUR)));
    expect(sponsorshipProposal).toBeDefined();
    expect(proposalFromItem(roundTrip({ ...proposalKey('acct-42', 'esc-1'), ...sponsorshipProposal }))).toEqual(sponsorshipProposal);
  });

  it('an account profile, enrolled and then declined (the enrolment kept in its history)', () => {
    const enrolled = decideSponsorship('acct-42', undefined, { decision: 'enrol', sponsor: 'vp@example.com', reason: 'strategic' }, ctxAt(NOW));
    const declined = decideSponsorship('acct-42', enrolled, { decision: 'decline', reason: 'renewal lost' }, ctxAt(later(NOW.toISOString(), DAY)));
    expect(declined.history).toHaveLength(1);
    for (const profile of [enrolled, declined]) expect(accountProfileFromItem(roundTrip({ ...accountProfileKey('acct-42'), ...profile }))).toEqual(profile);
  });

  it('a metric fact from the metrics index, and a timeline event that stands in the index itself without data', () => {
    const acknowledged = applyAction('acknowledge', escalation, { owner: 'kim@example.com' }, ctxAt(later(NOW.toISOString(), 10 * MINUTE)));
    const [event] = acknowledged.events;
    const fact = metricFactOf(event!)!;
    expect(fact).toBeDefined();
    const item = roundTrip({ ...metricFactKey('esc-1', '0000000002#000'), caseId: 'esc-1', severity: 'critical', ...fact, ...eventIndexAttributes('esc-1', fact) });
    expect(metricEventFromItem(item)).toEqual({ caseId: 'esc-1', severity: 'critical', type: fact.type, at: fact.at, data: fact.data });
    const { data: _data, ...withoutData } = event!;
    expect(metricEventFromItem(legacyEventItem(acknowledged.next, withoutData, '0000000002#000'))).toEqual({ caseId: 'esc-1', severity: 'critical', type: event!.type, at: event!.at, data: {} });
  });

  it('a webhook, new and after a rotation and a disable', () => {
    const fresh: WebhookSubscription = { id: 'wh-1', url: 'https://hooks.example/escalations', events: ['*'], status: 'active', createdAt: NOW.toISOString(), createdBy: 'admin', secrets: [{ secret: 'whsec_new' }] };
    const rotated: WebhookSubscription = {
      ...fresh,
      description: 'CRM sync',
      status: 'disabled',
      secrets: [{ secret: 'whsec_next' }, { secret: 'whsec_new', validUntil: later(NOW.toISOString(), DAY) }],
      disabledAt: NOW.toISOString(),
      disabledReason: 'deliveries failed for 24 hours',
    };
    for (const subscription of [fresh, rotated]) expect(subscriptionFromItem(roundTrip({ ...webhookKey(subscription.id), ...subscription }))).toEqual(subscription);
  });

  it('a webhook delivery: claimed as queued, pending after a failure, delivered', () => {
    const key = `${NOW.toISOString()}#evt-1`;
    const lease = later(NOW.toISOString(), 30_000);
    const owed = { eventId: 'evt-1', eventType: 'escalation.created', body: '{"id":"evt-1"}', queuedAt: NOW.toISOString() };
    const queued = roundTrip({ ...deliveryKey('wh-1', key), ...owed, status: 'sending', attempts: 1, history: [], leaseUntil: lease, claimId: 'c-1', ...owedDeliveryAttributes('wh-1', key, lease) });
    expect(deliveryFromItem(queued)).toEqual({ webhookId: 'wh-1', key, ...owed, status: 'sending', attempts: 1, history: [], leaseUntil: lease } satisfies StoredDelivery);
    const attempt = { at: lease, status: 503, durationMs: 120, outcome: 'Service Unavailable' };
    const pending = roundTrip({ ...queued, status: 'pending', nextAttemptAt: lease, lastError: 'HTTP 503', history: [attempt], leaseUntil: undefined, claimId: undefined });
    expect(deliveryFromItem(pending)).toEqual({ webhookId: 'wh-1', key, ...owed, status: 'pending', attempts: 1, history: [attempt], nextAttemptAt: lease, lastError: 'HTTP 503' });
    const timedOut = { at: lease, durationMs: 10_000, outcome: 'timed out' };
    const delivered = roundTrip({ ...deliveryKey('wh-1', key), ...owed, status: 'sent', attempts: 2, history: [attempt, timedOut], deliveredAt: lease, expiresAt: 1_800_000_000 });
    expect(deliveryFromItem(delivered)).toEqual({ webhookId: 'wh-1', key, ...owed, status: 'sent', attempts: 2, history: [attempt, timedOut], deliveredAt: lease });
  });
});

describe('every other kind of item that does not fit is refused, naming its key and path, nobody\'s address', () => {
  const created = openEscalation('esc-1', input('critical'), ctxAt(NOW));
  const customerEmail = created.notifications!.find((notification) => notification.audience === 'customer')!;
  const queued = outboxItem(created.next, customerEmail);
  const claimed = claimedOutboxItem(queued, 'claim-1', NOW.toISOString());
  const key = `${NOW.toISOString()}#evt-1`;
  const kinds: { kind: string; read: (item: Record<string, unknown>) => unknown; item: Record<string, unknown>; name: RegExp; corruptions: [(string | number)[], unknown][] }[] = [
    {
      kind: 'an incident',
      read: incidentFromItem,
      item: roundTrip({ ...incidentKey('inc-1'), id: 'inc-1', version: 1, status: 'open', title: 't', escalationIds: [], createdAt: 'x', createdBy: 'y', updates: [], ...incidentIndexAttributes({ id: 'inc-1', status: 'open', createdAt: 'x' }) }),
      name: /^stored item INCIDENT#inc-1\/INCIDENT is not an incident: /,
      corruptions: [[['title'], undefined], [['status'], 'resolved'], [['escalationIds'], 'esc-1']],
    },
    {
      kind: 'a contact directory entry',
      read: knownContactFromItem,
      item: roundTrip({ ...contactKey('cto@acme.example', 'acct-42'), accountId: 'acct-42', accountName: 'Acme GmbH', name: 'Dana' }),
      // The key names the address: the message names its digest.
      name: /^stored item CONTACT#erased-[0-9a-f]{16}\/ACCOUNT#acct-42 is not a contact directory entry: /,
      corruptions: [[['accountName'], undefined], [['name'], 42]],
    },
    {
      kind: 'a sponsorship proposal',
      read: proposalFromItem,
      item: roundTrip({ ...proposalKey('acct-42', 'esc-1'), accountId: 'acct-42', caseId: 'esc-1', at: 'x', reasons: ['legal threat'], outcome: 'resolved' }),
      name: /^stored item ACCOUNT#acct-42\/PROPOSAL#esc-1 is not a sponsorship proposal: /,
      corruptions: [[['caseId'], undefined], [['outcome'], 'reopened'], [['reasons'], 'legal threat']],
    },
    {
      kind: 'a timeline event',
      read: storedEventFromItem,
      item: eventItem(created.next, created.events[0]!, '0000000001#000'),
      name: /^stored item ESC#esc-1\/EVENT#0000000001#000 is not a timeline event: /,
      corruptions: [[['seq'], undefined], [['type'], 'exploded'], [['data'], 'none']],
    },
    {
      kind: 'an account profile',
      read: accountProfileFromItem,
      item: roundTrip({ ...accountProfileKey('acct-42'), ...decideSponsorship('acct-42', undefined, { decision: 'enrol', sponsor: 'vp@example.com', reason: 'strategic' }, ctxAt(NOW)) }),
      name: /^stored item ACCOUNT#acct-42\/PROFILE is not an account profile: /,
      corruptions: [[['history'], undefined], [['sponsorship', 'status'], 'pending'], [['version'], '1']],
    },
    {
      kind: 'a metric event',
      read: metricEventFromItem,
      item: roundTrip({ ...metricFactKey('esc-1', '0000000001#000'), caseId: 'esc-1', severity: 'high', type: 'created', at: 'x', data: {} }),
      name: /^stored item METRIC#esc-1\/0000000001#000 is not a metric event: /,
      corruptions: [[['caseId'], undefined], [['severity'], 'urgent'], [['data'], []]],
    },
    {
      kind: 'a webhook',
      read: subscriptionFromItem,
      item: roundTrip({ ...webhookKey('wh-1'), id: 'wh-1', url: 'https://x.example', events: ['*'], status: 'active', createdAt: 'x', createdBy: 'y', secrets: [{ secret: 's' }] }),
      name: /^stored item WEBHOOKS\/WEBHOOK#wh-1 is not a webhook: /,
      corruptions: [[['secrets', 0, 'secret'], undefined], [['status'], 'paused'], [['events'], '*']],
    },
    {
      kind: 'a webhook delivery',
      read: deliveryFromItem,
      item: roundTrip({ ...deliveryKey('wh-1', key), eventId: 'e', eventType: 't', body: '{}', queuedAt: 'x', status: 'pending', attempts: 1, history: [] }),
      name: /^stored item WEBHOOK#wh-1\/\S+ is not a webhook delivery: /,
      corruptions: [[['history'], undefined], [['status'], 'delivered'], [['attempts'], '1'], [['sk'], 'EVENT#x']],
    },
    {
      kind: 'a claimed email',
      read: claimedEmailFromItem,
      item: claimed,
      // Its id, and so its sort key, names the recipient: the message names the address's digest.
      name: /^stored item ESC#esc-1\/OUTBOX#\S*erased-[0-9a-f]{16}\S* is not a claimed email: /,
      corruptions: [[['claimId'], undefined], [['template'], 'customer_apology'], [['to'], 'cto@acme.example'], [['status'], 'erased']],
    },
    {
      kind: 'an owed email',
      read: owedEmailFromItem,
      item: queued,
      name: /^stored item ESC#esc-1\/OUTBOX#\S*erased-[0-9a-f]{16}\S* is not an owed email: /,
      corruptions: [[['queuedAt'], undefined], [['status'], 'erased'], [['attempts'], null]],
    },
  ];

  for (const { kind, read, item, name, corruptions } of kinds) {
    it(`${kind}: reads as it is, refused with any of ${corruptions.length} corruptions`, () => {
      expect(() => read(item)).not.toThrow();
      for (const [path, value] of corruptions) {
        const error = refusal(() => read(changed(item, path, value)));
        expect(error.message).toMatch(name);
        expect(error.message, error.message).toContain(` ${path.join('.')}: `);
        expect(error.message).not.toMatch(/@|Acme|Dana/);
        expect(error.cause).toBeInstanceOf(z.ZodError);
      }
    });
  }
});

describe('property: every case, event and owed email of any lifecycle reads back as written', () => {
  it('holds', () => {
    // Each step is one of the moves the case allows at that point (an action, or the workflow
    // acting on what is due); out of scope, which ends a case's life, only now and then.
    const step = fc.record({ pick: fc.nat(), gap: fc.integer({ min: 0, max: 2 * DAY }) });
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.array(step, { maxLength: 30 }), (severity, steps) => {
        let t = NOW.getTime();
        const changes: Change[] = [openEscalation('esc-1', input(severity), ctxAt(t))];
        for (const { pick, gap } of steps) {
          t += gap;
          const escalation = changes.at(-1)!.next;
          const allowed = allowedActions(escalation.status).filter((name): name is ActionName => name in ACTION_BODIES);
          const moves = [...allowed.filter((name) => name !== 'out-of-scope'), 'workflow' as const];
          const move = allowed.includes('out-of-scope') && pick % 16 === 0 ? 'out-of-scope' : moves[pick % moves.length]!;
          try {
            if (move === 'workflow') {
              const { due } = planNext(escalation, new Date(t), playbook);
              if (due) changes.push(performCheck(escalation, due, new Date(t), playbook));
            } else {
              changes.push(applyAction(move, escalation, actionInput(move) as never, ctxAt(t)));
            }
          } catch (error) {
            // Allowed from this status but not now (a second review, an assignment to the owner): nothing is written.
            if (error instanceof RuleViolationError || error instanceof AlreadyAnsweredError) continue;
            throw error;
          }
        }
        changes.forEach((change, version) => {
          expect(escalationFromItem(caseItem(change.next))).toEqual(change.next);
          change.events.forEach((event, index) => {
            const seq = `${String(version).padStart(10, '0')}#${String(index).padStart(3, '0')}`;
            expect(storedEventFromItem(eventItem(change.next, event, seq))).toEqual({ seq, ...event });
          });
          for (const notification of change.notifications ?? []) {
            const claimed = claimedEmailFromItem(claimedOutboxItem(outboxItem(change.next, notification), 'claim', change.next.updatedAt));
            expect(claimed).toMatchObject({ ...notification, caseId: change.next.id, claimId: 'claim', status: 'sending' });
          }
        });
      }),
      { numRuns: 60 },
    );
  });
});
