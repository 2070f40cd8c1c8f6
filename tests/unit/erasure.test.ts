import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escalationFromItem } from '../../functions/adapters/stored-items';
import { ERASED, erasedCase, erasedId, erasePersonalData, inboundMessagesOf, personalStrings } from '../../functions/domain/erasure';
import type { Escalation } from '../../functions/domain/escalation';
import { NOW, open } from './fixtures';

// The rules of an account's erasure (functions/domain/erasure.ts), without a table.

const word = fc.stringMatching(/^[A-Za-z]{3,12}$/);

describe('erasure', () => {
  it('property: a personal string anywhere in an item, in any case, leaves no trace of itself', () => {
    fc.assert(
      fc.property(word, word, fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), fc.constantFrom('title', 'summary', 'data', 'from', 'name'), (first, last, before, after, field) => {
        const name = `${first} ${last}`;
        const personal = personalStrings([{ customer: { accountId: 'a', name: 'Initech', contacts: [{ email: 'pat@initech.test', name }] } }], []);
        const item = { pk: 'ESC#1', sk: 'EVENT#1', [field]: `${before}${name.toUpperCase()}${after}`, nested: [{ note: 'anything at all' }, { who: `mail pat@initech.test` }] };
        const erased = JSON.stringify(erasePersonalData(item, personal)).toLowerCase();
        expect(erased).not.toContain(name.toLowerCase());
        expect(erased).not.toContain('pat@initech.test');
        // Keys stay where they were: the item keeps its place in the table.
        expect(erasePersonalData(item, personal)).toMatchObject({ pk: 'ESC#1', sk: 'EVENT#1', nested: [{ note: ERASED }, { who: ERASED }] });
      }),
    );
  });

  it("leaves the product's own vocabulary and time zones that hold a personal string, so the erased case still reads", () => {
    const personal = personalStrings([{ customer: { accountId: 'a', name: 'Berlin', contacts: [{ email: 'dana@berlin.test', name: 'Data' }] } }], []);
    const escalation = { ...open(), triggers: ['data_issue'], customer: { accountId: 'a', name: 'Berlin', timezone: 'Europe/Berlin', contacts: [{ email: 'dana@berlin.test', name: 'Data' }] } } as Escalation;
    const erased = erasedCase(escalation, personal, NOW.toISOString());
    expect(erased.triggers).toEqual(['data_issue']);
    expect(erased.customer.timezone).toBe('Europe/Berlin');
    expect(erased.policy.timeZone).toBe(escalation.policy.timeZone);
    // Where a person's name is kept, a vocabulary word that is also their name goes all the same.
    expect(erasePersonalData({ name: 'Data', accountName: 'Berlin', severity: 'high' }, personal)).toEqual({ name: ERASED, accountName: ERASED, severity: 'high' });
    // And the erased case reads back through the stored-item parser: an unreadable case would be a 500.
    expect(escalationFromItem({ ...erased, pk: `ESC#${erased.id}`, sk: 'CASE' })).toEqual(erased);
  });

  it('an id naming an address is rewritten the same way every time, without the address', () => {
    const id = 'OUTBOX#v3#customer_update#Pat@Initech.test';
    expect(erasedId(id)).toBe(erasedId('OUTBOX#v3#customer_update#pat@initech.test'));
    expect(erasedId(id).toLowerCase()).not.toContain('initech');
    expect(erasedId('OUTBOX#v3#customer_update')).toBe('OUTBOX#v3#customer_update');
  });

  it('finds the inbound messages of a case in its timeline entries, each once', () => {
    const items = [
      { sk: 'EVENT#1', type: 'created', data: { sesMessageId: 'opened-by-mail' } },
      { sk: 'EVENT#2', type: 'customer_replied', data: { messageId: '<a@initech.test>', sesMessageId: 'reply-1', from: { address: 'pat@initech.test' } } },
      { sk: 'EVENT#3', type: 'message_quarantined', data: { messageId: '<a@initech.test>', sesMessageId: 'reply-1' } },
      { sk: 'EVENT#4', type: 'note_added', data: { text: 'no mail here' } },
      // An email we sent: SES's id of it is no key of the inbound bucket.
      { sk: 'EVENT#5', type: 'email_sent', data: { messageId: 'an SES id of an email we sent' } },
      { sk: 'EVENT#6', type: 'customer_replied', data: { sesMessageId: '' } },
    ];
    expect(inboundMessagesOf(items)).toEqual(['opened-by-mail', 'reply-1']);
  });
});
