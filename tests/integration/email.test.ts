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
