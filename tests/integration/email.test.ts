import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERDICT_HEADER } from '../../local/smtp-inbound';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

let api: TestApi;
let smtp: nodemailer.Transporter;

beforeAll(async () => {
  api = await startTestApi();
  smtp = nodemailer.createTransport({ host: '127.0.0.1', port: api.stack.smtpPort, secure: false, ignoreTLS: true });
});
afterAll(() => api?.close());

const events = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as { type: string; actor: string; data?: any }[];
const replyAddress = (id: string) => api.stack.inboundAddress.replace('@', `+${id}@`);
const uniqueAccount = () => `acct-${Math.random().toString(36).slice(2)}`;

async function open(overrides: Record<string, unknown> = {}) {
  const { status, body } = await api.call('POST', '/escalations', escalationRequest(overrides));
  expect(status).toBe(201);
  // The contact directory learns the case's contacts from the table's stream, right after the write.
  await api.stack.caseChanges.drained();
  return body;
}

describe('outbound email', () => {
  it('markup in customer-given text reaches the customer as text, with the case reply address', async () => {
    const title = `<script>alert(1)</script> checkout ${Date.now()}`;
    const opened = await open({ title });
    const acknowledgment = await waitFor(async () => (await api.sentMail()).find((m) => m.subject.startsWith('We are on it') && m.subject.includes(opened.id)));
    expect(acknowledgment.body.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(acknowledgment.body.html).not.toContain('<script>');
    expect(acknowledgment.subject).toContain('<script>alert(1)</script>'); // a subject is plain text
    expect(acknowledgment.destination.to).toEqual(['cto@acme.test']);
    expect(acknowledgment.body.text).toContain('Hello Dana Reyes');
    const sent = (await events(opened.id)).find((e) => e.type === 'email_sent' && e.data.template === 'customer_acknowledgment');
    expect(sent?.data.messageId).toBe(acknowledgment.messageId);
  });

  it('a bounce reported by SES is recorded on the case the email belongs to', async () => {
    const opened = await open({ customer: { accountId: 'bouncy', name: 'Bouncy', contacts: [{ email: 'gone@bouncy.test' }] } });
    const acknowledgment = await waitFor(async () => (await api.sentMail()).find((m) => m.subject.includes(opened.id)));
    const notice = { eventType: 'Bounce', mail: { messageId: acknowledgment.messageId }, bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', bouncedRecipients: [{ emailAddress: 'gone@bouncy.test' }] } };
    const result = await api.stack.reportDeliveryEvent(notice);
    expect(result).toEqual({ results: [{ recorded: true, caseId: opened.id }] });
    const bounced = (await events(opened.id)).find((e) => e.type === 'email_bounced');
    expect(bounced?.data).toMatchObject({ kind: 'bounce', recipients: ['gone@bouncy.test'], detail: 'Permanent/NoEmail' });
  });

  it('a title with a line break is refused before anything is stored or sent', async () => {
    const response = await api.call('POST', '/escalations', escalationRequest({ title: 'Hello\r\nBcc: everyone@example.com' }));
    expect(response.status).toBe(400);
    expect(response.body.errors[0]).toMatchObject({ path: 'body.title', message: expect.stringContaining('single line') });
  });
});

describe('inbound email (SMTP standing in for SES receiving)', () => {
  it('a reply to the case address lands on the timeline once, and resumes a paused clock', async () => {
    const opened = await open();
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'waiting for the customer to send logs' });
    const message = {
      from: 'Dana Reyes <cto@acme.test>',
      to: replyAddress(opened.id),
      subject: 'Re: the logs you asked for',
      messageId: `<reply-${Date.now()}@acme.test>`,
      text: 'Logs attached.\n\nOn Mon, 4 May 2026 at 10:00, Escalations wrote:\n> Could you send the logs?',
      attachments: [{ filename: 'app.log', content: 'x'.repeat(2048) }],
    };
    await smtp.sendMail(message);
    await smtp.sendMail(message); // the same message delivered twice

    const replies = (await events(opened.id)).filter((e) => e.type === 'customer_replied');
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ actor: 'cto@acme.test', data: { text: 'Logs attached.', attachments: [{ filename: 'app.log', size: 2048 }] } });
    const current = (await api.call('GET', `/escalations/${opened.id}`)).body;
    expect(current.status).toBe('in_progress');
    expect(current.sla.pausedSince).toBeUndefined();
  });

  it('a reply from a stranger to a paused case leaves it paused, is quarantined on the timeline and the owner is told; the same reply from its contact resumes it', async () => {
    const opened = await open({ title: `Quarantine ${Date.now()}` });
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'owner@example.com' });
    await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'waiting for the customer to confirm the fix' });
    const reply = { to: replyAddress(opened.id), subject: 'Re: all fine, close it', text: 'It works again, please close the case.' };

    await smtp.sendMail({ ...reply, from: 'intruder@elsewhere.test', messageId: `<stranger-${Date.now()}@elsewhere.test>` });
    const afterStranger = (await api.call('GET', `/escalations/${opened.id}`)).body;
    expect(afterStranger.status).toBe('waiting_on_customer');
    const quarantined = (await events(opened.id)).filter((e) => e.type === 'message_quarantined');
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]!.data).toMatchObject({ from: { address: 'intruder@elsewhere.test' }, text: 'It works again, please close the case.', reasons: ['intruder@elsewhere.test is not a contact of this case'] });
    expect((await events(opened.id)).some((e) => e.type === 'customer_replied' || e.type === 'resumed')).toBe(false);
    const told = (await api.settledMail([opened.id])).filter((mail) => mail.subject.includes('Message held back') && mail.subject.includes(opened.title));
    expect(told).toHaveLength(1);
    expect(told[0]!.destination.to).toEqual(['owner@example.com']);
    expect(told[0]!.body.text).toContain('From:     intruder@elsewhere.test');

    await smtp.sendMail({ ...reply, from: 'Dana Reyes <cto@acme.test>', messageId: `<contact-${Date.now()}@acme.test>` });
    const afterContact = (await api.call('GET', `/escalations/${opened.id}`)).body;
    expect(afterContact.status).toBe('in_progress');
    expect((await events(opened.id)).filter((e) => e.type === 'customer_replied')).toHaveLength(1);
  });

  it('a contact\'s reply that SES could not authenticate (no DMARC policy: GRAY) is quarantined too', async () => {
    const opened = await open();
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'waiting for logs' });
    await smtp.sendMail({ from: 'cto@acme.test', to: replyAddress(opened.id), subject: 'Re: logs', text: 'attached', headers: { [VERDICT_HEADER]: 'dmarc=GRAY' } });
    expect((await api.call('GET', `/escalations/${opened.id}`)).body.status).toBe('waiting_on_customer');
    const [quarantined] = (await events(opened.id)).filter((e) => e.type === 'message_quarantined');
    expect(quarantined!.data.reasons[0]).toContain('dmarc=GRAY');
  });

  it('a reply is matched by the reference in its subject, or by In-Reply-To our message id', async () => {
    const opened = await open();
    await smtp.sendMail({ from: 'cto@acme.test', to: api.stack.inboundAddress, subject: `Re: We are on it [ref ESC-${opened.id}]`, text: 'By subject.' });
    const acknowledgment = await waitFor(async () => (await api.sentMail()).find((m) => m.subject.includes(opened.id)));
    await smtp.sendMail({ from: 'cto@acme.test', to: api.stack.inboundAddress, subject: 'Re: thanks', inReplyTo: `<${acknowledgment.messageId}@email.amazonses.com>`, text: 'By thread.' });
    const texts = (await events(opened.id)).filter((e) => e.type === 'customer_replied').map((e) => e.data.text);
    expect(texts).toEqual(['By subject.', 'By thread.']);
  });

  it('mail matching no case opens a medium email escalation for a known account', async () => {
    const account = uniqueAccount();
    await open({ customer: { accountId: account, name: 'Globex', contacts: [{ email: `ops@${account}.test`, name: 'Hank' }] } });
    await smtp.sendMail({ from: `ops@${account}.test`, to: api.stack.inboundAddress, subject: 'Reports are empty this morning', text: 'Since 8:00 every report is blank.' });
    const cases = (await api.call('GET', `/escalations?accountId=${account}`)).body.items;
    expect(cases).toHaveLength(2);
    expect(cases[0]).toMatchObject({ severity: 'medium', channel: 'email', title: 'Reports are empty this morning', customer: { name: 'Globex' } });
  });

  it('mail that would open a case is refused unless SPF or DKIM passed with DMARC aligned', async () => {
    const account = uniqueAccount();
    await open({ customer: { accountId: account, name: 'Initech', contacts: [{ email: `ops@${account}.test` }] } });
    await expect(
      smtp.sendMail({ from: `ops@${account}.test`, to: api.stack.inboundAddress, subject: 'New problem', text: 'hi', headers: { [VERDICT_HEADER]: 'spf=GRAY, dkim=GRAY, dmarc=GRAY' } }),
    ).rejects.toThrow(/550.*not authenticated/);
    expect((await api.call('GET', `/escalations?accountId=${account}`)).body.items).toHaveLength(1);
  });

  it('a sender who is a contact of two accounts opens nothing by guessing, and is told why', async () => {
    const [first, second] = [uniqueAccount(), uniqueAccount()];
    const shared = `consultant-${first}@partner.test`;
    await open({ customer: { accountId: first, name: 'First Co', contacts: [{ email: shared }] } });
    await open({ customer: { accountId: second, name: 'Second Co', contacts: [{ email: shared }] } });
    await expect(smtp.sendMail({ from: shared, to: api.stack.inboundAddress, subject: 'Another outage', text: 'hi' })).rejects.toThrow(/550.*contact of 2 accounts/);
    for (const account of [first, second]) expect((await api.call('GET', `/escalations?accountId=${account}`)).body.items).toHaveLength(1);
  });

  it('a contact added with PATCH may write on the case at once, and is known to the directory for new mail', async () => {
    const account = uniqueAccount();
    const opened = await open({ customer: { accountId: account, name: 'Umbrella', contacts: [{ email: `first@${account}.test` }] } });
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    const paused = await api.call('POST', `/escalations/${opened.id}/pause`, { reason: 'waiting for the new admin' });
    const added = `admin@${account}.test`;
    const patched = await api.call('PATCH', `/escalations/${opened.id}`, { customer: { contacts: [{ email: `first@${account}.test` }, { email: added }] } }, { 'if-match': paused.headers.get('etag')! });
    expect(patched.status).toBe(200);
    await smtp.sendMail({ from: added, to: replyAddress(opened.id), subject: 'Re: access', text: 'You have access now.' });
    await api.stack.caseChanges.drained();
    expect((await api.call('GET', `/escalations/${opened.id}`)).body.status).toBe('in_progress');
    await smtp.sendMail({ from: added, to: api.stack.inboundAddress, subject: 'A second problem', text: 'Exports fail too.' });
    const cases = (await api.call('GET', `/escalations?accountId=${account}`)).body.items;
    expect(cases.map((c: { title: string }) => c.title)).toEqual(['A second problem', opened.title]);
  });

  it('mail from an unknown sender is refused and opens nothing', async () => {
    await expect(smtp.sendMail({ from: 'stranger@nowhere.test', to: api.stack.inboundAddress, subject: 'hello', text: 'hi' })).rejects.toThrow(/550/);
  });

  it.each(['spf', 'dkim', 'dmarc', 'spam', 'virus'])('a message failing the %s check is refused and stored nowhere', async (check) => {
    const opened = await open();
    await expect(
      smtp.sendMail({ from: 'cto@acme.test', to: replyAddress(opened.id), subject: 'Re: update', text: 'hi', headers: { [VERDICT_HEADER]: `${check}=FAIL` } }),
    ).rejects.toThrow(/550.*refused.*FAIL/);
    expect((await events(opened.id)).filter((e) => e.type === 'customer_replied')).toEqual([]);
  });
});
