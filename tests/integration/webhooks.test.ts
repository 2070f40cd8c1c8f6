import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../functions/adapters/eventbridge-publisher';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// Webhooks as a user meets them: registered over the API, delivered over the network by the real
// sender to a receiver that checks signatures with the `standardwebhooks` library, retried by
// the owed-delivery sweep when the receiver is down. And the same events on the stack's bus.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; data: { escalationId: string } };
}

/** A receiver that answers `answer()` and remembers what it took (2xx answers only). */
async function receiver() {
  const taken: Received[] = [];
  let answer = 204;
  let calls = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      calls++;
      const body = Buffer.concat(chunks).toString('utf8');
      if (answer < 300) taken.push({ headers: request.headers, body, event: JSON.parse(body) as Received['event'] });
      response.writeHead(answer).end(answer < 300 ? '' : 'down for maintenance');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    taken,
    calls: () => calls,
    answerWith: (status: number) => void (answer = status),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const SCALE = 60;
let api: TestApi;
let hook: Awaited<ReturnType<typeof receiver>>;

beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20 });
  hook = await receiver();
});
afterAll(async () => {
  await hook?.close();
  await api?.close();
});

const admin = () => ({ authorization: `Bearer ${api.tokens.admin}` });
const verify = (secret: string, received: Received) => new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
const takenFor = (caseId: string, type: string) => hook.taken.find((received) => received.event.data.escalationId === caseId && received.event.type === type);

async function register(events: string[], url = hook.url) {
  const answer = await api.call('POST', '/webhooks', { url, events }, admin());
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as { id: string; secret: string };
}

async function open() {
  const { status, body } = await api.call('POST', '/escalations', escalationRequest({ severity: 'high' }));
  expect(status).toBe(201);
  return body as { id: string };
}

describe('webhooks', () => {
  let webhook: { id: string; secret: string };

  beforeAll(async () => {
    webhook = await register(['*']);
  });

  it('are registered by an administrator only; the secret is shown once, in the scheme format', async () => {
    expect(webhook.secret).toMatch(/^whsec_/);
    const read = await api.call('GET', `/webhooks/${webhook.id}`, undefined, admin());
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: webhook.id, url: hook.url, events: ['*'], status: 'active' });
    expect(JSON.stringify(read.body)).not.toContain(webhook.secret);
    expect((await api.call('POST', '/webhooks', { url: hook.url, events: ['*'] }, { authorization: `Bearer ${api.tokens.write}` })).status).toBe(403);
  });

  it('bad registrations are a 400 naming the field, nothing stored', async () => {
    const scheme = await api.call('POST', '/webhooks', { url: 'ftp://127.0.0.1/hook', events: ['*'] }, admin());
    expect(scheme.status).toBe(400);
    expect(scheme.body.errors[0].path).toBe('body.url');
    const unknown = await api.call('POST', '/webhooks', { url: hook.url, events: ['escalation.exploded'] }, admin());
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toMatch(/^body\.events/);
  });

  it('an opened escalation is delivered signed (verified by standardwebhooks) and put on the bus, with the same id', async () => {
    const opened = await open();
    const received = await waitFor(async () => takenFor(opened.id, 'escalation.opened'), { what: 'escalation.opened at the receiver' });
    expect(verify(webhook.secret, received)).toMatchObject({ type: 'escalation.opened', data: { escalationId: opened.id, severity: 'high' } });
    expect(received.headers['webhook-id']).toBe(received.event.id);
    const onBus = await waitFor(async () => api.stack.eventBus.entries().find((entry) => entry.DetailType === 'escalation.opened' && entry.Detail?.includes(opened.id)));
    expect(onBus.Source).toBe(EVENT_SOURCE);
    expect(JSON.parse(onBus.Detail!).id).toBe(received.event.id);
    // Never a body of an email or the customer's contacts.
    expect(received.body).not.toContain('@acme.test');
  });

  it('a refused change puts nothing on the bus and delivers nothing', async () => {
    const opened = await open();
    await waitFor(async () => takenFor(opened.id, 'escalation.opened'));
    await api.stack.caseChanges.drained();
    const before = { bus: api.stack.eventBus.entries().length, hook: hook.calls() };
    // Resolving an unacknowledged case is refused by the rules: the transaction never commits.
    const refused = await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a', fix: 'b', prevention: 'c' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    await api.stack.caseChanges.drained();
    expect(api.stack.eventBus.entries().length).toBe(before.bus);
    expect(hook.calls()).toBe(before.hook);
  });

  it('a receiver that is down gets the missed deliveries once it is back; GET /webhooks/{id}/deliveries shows the attempts', async () => {
    hook.answerWith(503);
    const opened = await open();
    await waitFor(async () => hook.calls() > 0 && (await api.call('GET', `/webhooks/${webhook.id}/deliveries?limit=50`, undefined, admin())).body.items.find((d: { eventType: string; status: string; attempts: number }) => d.eventType === 'escalation.opened' && d.status === 'pending'), { what: 'a pending delivery' });
    await api.stack.resendOwedEmails(); // a sweep while still down: one more failed attempt at most
    hook.answerWith(200);
    const received = await waitFor(
      async () => {
        await api.stack.resendOwedEmails();
        return takenFor(opened.id, 'escalation.opened');
      },
      { timeoutMs: 30_000, everyMs: 200, what: 'the missed delivery after the receiver came back' },
    );
    expect(verify(webhook.secret, received)).toBeDefined();
    const listed = (await api.call('GET', `/webhooks/${webhook.id}/deliveries?limit=50`, undefined, admin())).body.items as { eventId: string; status: string; attempts: number; history: { status?: number }[] }[];
    const delivery = listed.find((item) => item.eventId === received.event.id)!;
    expect(delivery.status).toBe('sent');
    expect(delivery.attempts).toBeGreaterThanOrEqual(2);
    expect(delivery.history[0]!.status).toBe(503);
    expect(delivery.history.at(-1)!.status).toBe(200);
  });

  it('after a rotation both secrets verify during the overlap', async () => {
    const rotated = await api.call('POST', `/webhooks/${webhook.id}/rotate-secret`, undefined, admin());
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(webhook.secret);
    const opened = await open();
    const received = await waitFor(async () => takenFor(opened.id, 'escalation.opened'));
    expect(verify(rotated.body.secret, received)).toBeDefined();
    expect(verify(webhook.secret, received)).toBeDefined();
  });

  it('a webhook for some types only gets those', async () => {
    const picky = await receiver();
    try {
      await register(['escalation.acknowledged'], picky.url);
      const opened = await open();
      await waitFor(async () => takenFor(opened.id, 'escalation.opened'));
      expect((await api.call('POST', `/escalations/${opened.id}/acknowledge`, {})).status).toBe(200);
      const acknowledged = await waitFor(async () => picky.taken.find((received) => received.event.data.escalationId === opened.id));
      expect(acknowledged.event.type).toBe('escalation.acknowledged');
      await api.stack.caseChanges.drained();
      expect(picky.taken.filter((received) => received.event.data.escalationId === opened.id).map((received) => received.event.type)).toEqual(['escalation.acknowledged']);
    } finally {
      await picky.close();
    }
  });
});
