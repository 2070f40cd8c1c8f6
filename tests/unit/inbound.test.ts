import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountToOpenFor,
  doubtsAbout,
  isAuthenticated,
  quarantineMessage,
  reasonsToQuarantine,
  recordCustomerReply,
  senderOf,
  type InboundMessage,
  type ReceiptVerdicts,
  type Verdict,
} from '../../functions/domain/inbound';
import { applyAction } from '../../functions/domain/lifecycle';
import { parsePlaybook } from '../../functions/playbook/load';
import { ctxAt, HOUR, later, NOW, open, playbook } from './fixtures';
import { missingVariables } from './template-variables';

const CLEAN: ReceiptVerdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', spam: 'PASS', virus: 'PASS' };
const VERDICTS: Verdict[] = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED', 'DISABLED'];
const trustingDomains = parsePlaybook({ inboundMail: { trustContactDomains: true } });

const message = (from: string, overrides: Partial<InboundMessage> = {}): InboundMessage => ({
  messageId: '<m1@acme.example>',
  from: { address: from },
  recipients: [],
  subject: 'Re: logs',
  inReplyTo: [],
  text: 'Here are the logs.\n\nOn Mon, Dana wrote:\n> please send logs',
  attachments: [],
  ...overrides,
});

/** A case acknowledged by its owner and paused while waiting on the customer (contact: cto@acme.example). */
function paused() {
  const acknowledged = applyAction('acknowledge', open(), { owner: 'owner@example.com' }, ctxAt(later(NOW, HOUR))).next;
  return applyAction('pause', acknowledged, { reason: 'waiting for logs' }, ctxAt(later(NOW, 2 * HOUR))).next;
}

describe('authentication of a sender', () => {
  it.each([
    [{ spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' }, true],
    [{ spf: 'PASS', dkim: 'GRAY', dmarc: 'PASS' }, true],
    [{ spf: 'GRAY', dkim: 'PASS', dmarc: 'PASS' }, true],
    // The domain publishes no DMARC policy: anyone may use its name.
    [{ spf: 'PASS', dkim: 'PASS', dmarc: 'GRAY' }, false],
    [{ spf: 'GRAY', dkim: 'GRAY', dmarc: 'GRAY' }, false],
    [{ spf: 'GRAY', dkim: 'GRAY', dmarc: 'PASS' }, false],
    [{ spf: 'PASS', dkim: 'PASS', dmarc: 'DISABLED' }, false],
  ] as [Partial<ReceiptVerdicts>, boolean][])('%j → %s', (checks, expected) => {
    expect(isAuthenticated({ ...CLEAN, ...checks })).toBe(expected);
    expect(doubtsAbout({ ...CLEAN, ...checks }).length === 0).toBe(expected);
  });

  it('doubts a message the spam or virus scan could not clear, naming the check', () => {
    expect(doubtsAbout({ ...CLEAN, spam: 'GRAY' })).toEqual(['the spam check was inconclusive (spam=GRAY)']);
    expect(doubtsAbout({ ...CLEAN, virus: 'GRAY' })).toEqual(['the virus check was inconclusive (virus=GRAY)']);
    expect(doubtsAbout({ ...CLEAN, spam: 'DISABLED', virus: 'DISABLED' })).toEqual([]);
  });
});

describe('who may write on a case', () => {
  it('a contact of the case, whatever the case of the letters', () => {
    expect(senderOf(open(), 'CTO@Acme.Example', playbook)).toBe('contact');
  });

  it('a colleague at a contact\'s domain only when the playbook trusts contact domains (off by default)', () => {
    expect(playbook.inboundMail.trustContactDomains).toBe(false);
    expect(senderOf(open(), 'ops@acme.example', playbook)).toBe('stranger');
    expect(senderOf(open(), 'ops@acme.example', trustingDomains)).toBe('contact_domain');
    expect(senderOf(open(), 'ops@acme.example.evil', trustingDomains)).toBe('stranger');
    expect(senderOf(open(), '', trustingDomains)).toBe('stranger');
  });

  it('quarantines a stranger\'s reply and an unauthenticated contact\'s, saying why; takes an authenticated contact\'s', () => {
    const escalation = paused();
    expect(reasonsToQuarantine(escalation, message('cto@acme.example'), CLEAN, playbook)).toEqual([]);
    expect(reasonsToQuarantine(escalation, message('someone@elsewhere.example'), CLEAN, playbook)).toEqual(['someone@elsewhere.example is not a contact of this case']);
    const gray = reasonsToQuarantine(escalation, message('cto@acme.example'), { ...CLEAN, dmarc: 'GRAY' }, playbook);
    expect(gray).toHaveLength(1);
    expect(gray[0]).toContain('dmarc=GRAY');
  });
});

describe('a quarantined message', () => {
  it('is kept on the timeline whole, resumes nothing, and tells the owner in an email that fills its template', () => {
    const before = paused();
    const now = later(NOW, 3 * HOUR);
    const reasons = ['someone@elsewhere.example is not a contact of this case'];
    const { next, events, notifications } = quarantineMessage(before, message('someone@elsewhere.example'), reasons, ctxAt(now, 'inbound-email'));
    expect(next).toEqual({ ...before, version: before.version + 1, updatedAt: now.toISOString() });
    expect(next.status).toBe('waiting_on_customer');
    expect(events).toEqual([
      expect.objectContaining({
        type: 'message_quarantined',
        actor: 'inbound-email',
        data: { messageId: '<m1@acme.example>', from: { address: 'someone@elsewhere.example' }, subject: 'Re: logs', text: 'Here are the logs.', attachments: [], reasons },
      }),
    ]);
    expect(notifications).toHaveLength(1);
    expect(notifications![0]).toMatchObject({ template: 'message_quarantined', audience: 'internal', to: ['owner@example.com'] });
    expect(notifications![0]!.data).toMatchObject({ from: 'someone@elsewhere.example', reasons: reasons[0], excerpt: 'Here are the logs.', status: 'waiting on customer' });
    expect(missingVariables('message_quarantined', notifications![0]!.data)).toEqual([]);
  });

  it('reaches the case\'s roles when its owner has no address (or there is none yet)', () => {
    const { notifications } = quarantineMessage(open(), message('x@y.example'), ['x'], ctxAt(later(NOW, HOUR)));
    expect(notifications![0]!.to).toEqual(['csm@example.com', 'support@example.com']);
  });

  it('property: whatever the verdicts and the sender, a message resumes the clock only when it is a contact\'s and nothing is in doubt', () => {
    const senders = ['cto@acme.example', 'ops@acme.example', 'stranger@else.example', ''];
    fc.assert(
      fc.property(
        fc.record({ spf: fc.constantFrom(...VERDICTS), dkim: fc.constantFrom(...VERDICTS), dmarc: fc.constantFrom(...VERDICTS), spam: fc.constantFrom(...VERDICTS), virus: fc.constantFrom(...VERDICTS) }),
        fc.constantFrom(...senders),
        fc.boolean(),
        (verdicts, sender, trustDomains) => {
          const rules = trustDomains ? trustingDomains : playbook;
          const before = paused();
          const ctx = { ...ctxAt(later(NOW, 3 * HOUR)), playbook: rules };
          const reasons = reasonsToQuarantine(before, message(sender), verdicts, rules);
          const change = reasons.length ? quarantineMessage(before, message(sender), reasons, ctx) : recordCustomerReply(before, message(sender), ctx);
          const resumed = change.next.status === 'in_progress';
          const customers = sender === 'cto@acme.example' || (trustDomains && sender === 'ops@acme.example');
          expect(resumed).toBe(customers && isAuthenticated(verdicts) && doubtsAbout(verdicts).length === 0);
          if (!resumed) expect(change.next.deadlines).toEqual(before.deadlines);
        },
      ),
    );
  });
});

describe('mail that matches no case', () => {
  const acme = { accountId: 'acme', accountName: 'Acme' };
  const globex = { accountId: 'globex', accountName: 'Globex' };

  it('opens a case for the one account its authenticated sender is a contact of', () => {
    expect(accountToOpenFor('cto@acme.example', CLEAN, [acme])).toEqual({ account: acme });
  });

  it('opens nothing for an address known in two accounts, and says how to reach the right case', () => {
    const decision = accountToOpenFor('shared@partner.example', CLEAN, [globex, acme]);
    expect(decision).toEqual({ refused: expect.stringContaining('is a contact of 2 accounts (Acme (acme), Globex (globex))') });
    expect((decision as { refused: string }).refused).toContain('reply to an email of the case it concerns');
  });

  it('opens nothing when the sender is unknown or not authenticated (a GRAY DMARC verdict included)', () => {
    expect(accountToOpenFor('who@nowhere.example', CLEAN, [])).toEqual({ refused: expect.stringContaining('belongs to no known account') });
    expect(accountToOpenFor('cto@acme.example', { ...CLEAN, dmarc: 'GRAY' }, [acme])).toEqual({ refused: expect.stringContaining('dmarc=GRAY') });
    expect(accountToOpenFor('cto@acme.example', { ...CLEAN, spf: 'GRAY', dkim: 'GRAY' }, [acme])).toEqual({ refused: expect.stringContaining('not authenticated') });
  });
});
