import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED_ADDRESS, withoutEmailAddresses } from '../../functions/domain/personal-data';

describe('log lines without email addresses', () => {
  it('property: no address survives, at any depth, and the text around it stays', () => {
    const local = fc.stringMatching(/^[a-z0-9][a-z0-9._+-]{0,20}$/);
    const domain = fc.stringMatching(/^[a-z0-9-]{1,12}\.[a-z]{2,6}$/);
    fc.assert(
      fc.property(local, domain, fc.string({ maxLength: 20 }).filter((text) => !text.includes('@')), (user, host, around) => {
        const address = `${user}@${host}`;
        const value = { notificationId: `intake:abc:customer_acknowledgment:${address}`, nested: [{ reason: `${around} ${address} ${around}` }], count: 3 };
        const redacted = withoutEmailAddresses(value);
        expect(JSON.stringify(redacted)).not.toContain(address);
        expect(redacted.notificationId).toBe(`intake:abc:customer_acknowledgment:${REDACTED_ADDRESS}`);
        expect(redacted.nested[0]!.reason).toBe(`${around} ${REDACTED_ADDRESS} ${around}`);
        expect(redacted.count).toBe(3);
      }),
    );
  });

  it('leaves ids and instants alone', () => {
    const value = { caseId: '0f8fad5b-d9cb-469f-a165-70867728950e', at: '2026-03-02T10:00:00.000Z', key: 'item:abc:2026-03-02T10:00:00.000Z' };
    expect(withoutEmailAddresses(value)).toEqual(value);
  });
});
