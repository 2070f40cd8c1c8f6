import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, ROUND_THE_CLOCK_CHAT_PLAYBOOK, stageOf, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// A playbook whose roles name chat channels (tests/fixtures/playbook-24x7-chat.json): among them the
// support lead a Slack channel, the CSM managers a Teams channel, the support team a Slack
// channel. On the 24×7 calendar at an hour a second, a high escalation nobody acknowledges is
// warned of at 3 h (75 % of its 4 h target: the support team's channel hears it) and breaches at
// 4 h, which raises it to tier 1: the support lead's Slack gets Block Kit, the CSM managers'
// Teams an Adaptive Card, each linking to the case; the support team's warning, with no URL
// given for its secret, lands on the local chat page `npm start` shows. The stack runs the local stage synthesized
// from this same playbook, so the senders' secret reads pass the local IAM check only because
// CDK granted exactly these secrets.

const SCALE = 3_600;
const HOUR_REAL_MS = 3_600_000 / SCALE;

interface Post {
  channel: string;
  body: any;
  at: number;
}

/** A stand-in for Slack's and Teams' incoming webhooks: records what is posted; a channel may be made to answer 503. */
class Receiver {
  readonly posts: Post[] = [];
  readonly refused: Post[] = [];
  readonly down = new Set<string>();
  private server?: Server;
  url = '';

  async start() {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const post = { channel: (request.url ?? '/').slice(1), body: JSON.parse(Buffer.concat(chunks).toString('utf8')), at: Date.now() };
        if (this.down.has(post.channel)) {
          this.refused.push(post);
          return void response.writeHead(503).end('service_unavailable');
        }
        this.posts.push(post);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** What a channel received about a case, optionally only the messages whose headline starts so (Slack header or Teams first TextBlock). */
  to(channel: string, caseId: string, headline = '') {
    return this.posts.filter((post) => post.channel === channel && JSON.stringify(post.body).includes(caseId) && headlineOf(post.body).startsWith(headline));
  }

  stop() {
    return new Promise((resolve) => this.server?.close(resolve));
  }
}

const headlineOf = (body: any): string => String(body.blocks?.[0]?.text?.text ?? body.attachments?.[0]?.content?.body?.[0]?.text ?? '');
const BREACH = 'Deadline missed: now with tier 1';

const receiver = new Receiver();
let api: TestApi;

beforeAll(async () => {
  await receiver.start();
  api = await startTestApi({
    stage: await stageOf(ROUND_THE_CLOCK_CHAT_PLAYBOOK),
    playbookPath: ROUND_THE_CLOCK_CHAT_PLAYBOOK,
    timeScale: SCALE,
    retryIntervalMs: 20,
    owedEmailsEveryMs: 250,
    chatSecrets: {
      'escalation-api/chat/support-lead': `${receiver.url}/support-lead`,
      'escalation-api/chat/csm-managers': `${receiver.url}/csm-managers`,
    },
  });
}, 180_000);
afterAll(async () => {
  await api?.close();
  await receiver.stop();
});

const open = async (title: string) => {
  const { status, body } = await api.call('POST', '/escalations', escalationRequest({ title, severity: 'high', triggers: ['platform_down'] }));
  expect(status).toBe(201);
  return body.id as string;
};
const timeline = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as { type: string; data?: Record<string, unknown> }[];

describe('chat alerts on the 24×7 playbook at an hour a second', () => {
  it('warns the team\'s Slack channel at 75 %, then posts the breach to the next tier as Block Kit (Slack) and an Adaptive Card (Teams), each linking to the case', async () => {
    const title = `Orders <b>lost</b> & *duplicated* > 3 ${Date.now()}`;
    const id = await open(title);

    const [breach] = await waitFor(async () => receiver.to('support-lead', id, BREACH).length > 0 && receiver.to('support-lead', id, BREACH), { timeoutMs: 12 * HOUR_REAL_MS, what: 'the breach in the support lead\'s Slack channel' });
    const slack = breach!.body;
    expect(slack.blocks.map((block: { type: string }) => block.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(slack.blocks[0].text).toEqual({ type: 'plain_text', text: BREACH, emoji: false });
    expect(slack.blocks[3].elements[0].url).toBe(`https://support.example.test/cases/${id}`);
    // The title reaches Slack as plain text (its <, >, & and * are text, not markup), escaped in the notification fallback.
    expect(slack.blocks[2].fields[0]).toEqual({ type: 'plain_text', text: `Case\n${title}`, emoji: false });
    expect(slack.text).toContain(title.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));

    const [teams] = await waitFor(async () => receiver.to('csm-managers', id, 'Deadline missed').length > 0 && receiver.to('csm-managers', id, 'Deadline missed'), { timeoutMs: 4 * HOUR_REAL_MS, what: 'the breach in the CSM managers\' Teams channel' });
    const attachment = teams!.body.attachments[0];
    expect(teams!.body.type).toBe('message');
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(attachment.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', actions: [{ type: 'Action.OpenUrl', url: `https://support.example.test/cases/${id}` }] });

    // The warning came first, to the teams the case is routed to (high: csm and support, and the platform-down rule's roles).
    // The support team's secret was given no URL here, so it points at the local chat page, as with `npm start`.
    const warning = api.stack.chatInbox.posts().find((post) => post.role === 'support' && JSON.stringify(post.body).includes(id) && headlineOf(post.body) === 'At risk: the acknowledgement deadline is near');
    expect(warning?.kind).toBe('slack');
    expect(Date.parse(warning!.at)).toBeLessThan(breach!.at);
    const page = await (await fetch(`${api.stack.chatInbox.url}/`)).text();
    expect(page).toContain('At risk: the acknowledgement deadline is near');
    expect(page).toContain(title.replace(/&/g, '&#38;').replace(/</g, '&#60;').replace(/>/g, '&#62;'));

    // Each post is on the timeline, beside the emails of the same alerts (which went out as ever).
    const events = await waitFor(async () => {
      const found = await timeline(id);
      return found.filter((event) => event.type === 'chat_posted').length >= 3 && found;
    }, { what: 'the chat posts on the timeline' });
    const posted = events.filter((event) => event.type === 'chat_posted').map((event) => `${String(event.data!.template)} → ${String(event.data!.role)}`);
    expect(posted).toEqual(expect.arrayContaining(['deadline_warning → support', 'deadline_breach_alert → support_lead', 'deadline_breach_alert → csm_manager']));
    const mail = await api.settledMail([id]);
    expect(mail.some((sent) => sent.destination.to.includes('support-lead@example.com') && sent.subject.includes(title))).toBe(true);
  }, 60_000);

  it('never loses a message: a channel answering 503 for hours of case time gets the breach once it is back, while the emails and the deadline go on unaffected', async () => {
    receiver.down.add('support-lead');
    const title = `Chat outage ${Date.now()}`;
    const id = await open(title);
    // The breach happens and is emailed while Slack refuses.
    const refusedBreach = () => receiver.refused.filter((post) => post.channel === 'support-lead' && JSON.stringify(post.body).includes(id) && headlineOf(post.body) === BREACH);
    await waitFor(async () => refusedBreach().length > 0, { timeoutMs: 12 * HOUR_REAL_MS, what: 'Slack refusing the breach' });
    const mail = await waitFor(async () => (await api.sentMail()).find((sent) => sent.destination.to.includes('support-lead@example.com') && sent.subject.includes(title) && sent.subject.includes('tier 1')), { timeoutMs: 4 * HOUR_REAL_MS, what: 'the breach email while Slack is down' });
    expect(mail.subject).toContain('now with tier 1');
    // Still down: the message is tried again meanwhile, at a webhook's pace (on a loaded machine the
    // sweep that retries may take longer than two hours of case time to come round: wait for it).
    await waitFor(async () => refusedBreach().length > 1, { timeoutMs: 12 * HOUR_REAL_MS, what: 'Slack refusing the breach a second time' });
    expect(receiver.to('support-lead', id, BREACH)).toEqual([]);
    receiver.down.delete('support-lead');

    const delivered = await waitFor(async () => receiver.to('support-lead', id, BREACH).length > 0 && receiver.to('support-lead', id, BREACH), { timeoutMs: 10_000, what: 'the breach once Slack is back' });
    expect(delivered).toHaveLength(1);
    const events = await waitFor(async () => {
      const found = await timeline(id);
      return found.some((event) => event.type === 'chat_posted' && event.data!.role === 'support_lead' && event.data!.template === 'deadline_breach_alert') && found;
    }, { what: 'the late post on the timeline' });
    // The deadline was acted on once, on time, whatever the chat service did.
    const tierOne = events.filter((event) => event.type === 'deadline_breached' && event.data!.tier === 1);
    expect(tierOne).toHaveLength(1);
    expect(events.some((event) => event.type === 'chat_failed')).toBe(false);
  }, 60_000);
});
