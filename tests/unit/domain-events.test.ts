import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { domainEventsOf, eventId, subscribedTo, type RecordedEvent } from '../../functions/domain/domain-events';
import { EVENT_SCHEMAS, EVENT_TYPE_NAMES } from '../../functions/schemas/events';
import { catalogueFiles, examples, sampleEvents } from '../../local/event-catalogue';

const recorded = (overrides: Partial<RecordedEvent>): RecordedEvent => ({
  caseId: '0f6f2a1e-8d4b-4c1a-9f57-3f1d2c9b7a10',
  seq: '0000000004#000',
  type: 'deadline_breached',
  at: '2026-03-02T12:00:00.000Z',
  severity: 'high',
  accountId: 'acme',
  caseStatus: 'open',
  caseTier: 1,
  ...overrides,
});

describe('domain events', () => {
  it('the real rules produce every event type, each valid against its schema', () => {
    expect([...examples().keys()].sort()).toEqual([...EVENT_TYPE_NAMES].sort());
    for (const event of sampleEvents()) expect(() => EVENT_SCHEMAS[event.type].parse(event), event.type).not.toThrow();
  });

  it('the committed JSON Schemas (events/) and the catalogue page are what the zod schemas and the rules give (npm run events:schemas)', () => {
    for (const [path, content] of catalogueFiles()) expect(readFileSync(path, 'utf8'), path).toBe(content);
  });

  it('carries ids and facts, never a customer name, contact address or message body', () => {
    const text = JSON.stringify(sampleEvents());
    for (const personal of ['Acme Corp', 'cto@acme.test', 'Dana', 'We found the cause.', 'Payments work again.', 'An expired certificate.']) expect(text).not.toContain(personal);
  });

  it('a missed deadline that raised the tier is two events; at the top of the ladder it is one', () => {
    const raised = domainEventsOf(recorded({ data: { kind: 'acknowledge', deadline: '2026-03-02T12:00:00.000Z', lagMs: 40, tier: 1, roles: ['support_lead'] } }));
    expect(raised.map((event) => event.type)).toEqual(['deadline.breached', 'tier.raised']);
    expect(raised[1]!.data).toMatchObject({ roles: ['support_lead'], cause: 'deadline_missed', tier: 1 });
    const top = domainEventsOf(recorded({ data: { kind: 'update', deadline: '2026-03-02T12:00:00.000Z', lagMs: 40, tier: 3 } }));
    expect(top.map((event) => event.type)).toEqual(['deadline.breached']);
  });

  it('an id is the same for the same timeline entry and differs between entries and types', () => {
    const again = domainEventsOf(recorded({ data: { kind: 'acknowledge', deadline: '2026-03-02T12:00:00.000Z', lagMs: 0, roles: ['x'] } }));
    const [breached, raised] = again;
    expect(breached!.id).toBe(eventId(recorded({}).caseId, '0000000004#000', 'deadline.breached'));
    expect(raised!.id).not.toBe(breached!.id);
    expect(domainEventsOf(recorded({ seq: '0000000005#000', data: { kind: 'acknowledge', deadline: 'x', lagMs: 0 } }))[0]!.id).not.toBe(breached!.id);
  });

  it('timeline entries that are no domain event publish nothing', () => {
    for (const type of ['email_sent', 'email_failed', 'note_added', 'workflow_rearmed', 'customer_replied', 'message_quarantined'] as const) {
      expect(domainEventsOf(recorded({ type, data: {} })), type).toEqual([]);
    }
  });

  it('a subscription takes the types it lists, or every type with "*"', () => {
    expect(subscribedTo(['deadline.breached'], 'deadline.breached')).toBe(true);
    expect(subscribedTo(['deadline.breached'], 'tier.raised')).toBe(false);
    expect(subscribedTo(['*'], 'tier.raised')).toBe(true);
  });
});
