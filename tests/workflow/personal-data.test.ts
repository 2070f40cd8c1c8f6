import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// Personal data stays out of Step Functions (execution input and history) and out of logs: ids
// only (docs/guarantees.md). A whole lifecycle runs on the local stack, the real state machine
// keeping each execution's history as Step Functions does, every log line written captured; then
// neither holds the contact's address, name or phone, nor the account's name.
const SCALE = 1_000_000;
const DAY = 86_400_000;
const CONTACT = { email: 'zebulon.quasar@pii-probe.test', name: 'Zebulon Quasar', phone: '+44 7700 900123' };
const ACCOUNT_NAME = 'Quasarworks Holdings';
const PERSONAL = [CONTACT.email, CONTACT.name, CONTACT.phone, ACCOUNT_NAME, 'zebulon', 'quasar'];

const written: string[] = [];
const capture = (stream: NodeJS.WriteStream) => {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  return () => void (stream.write = original as typeof stream.write);
};

let api: TestApi;
let release: (() => void)[] = [];
beforeAll(async () => {
  // Every level of log line, so an info line with personal data would be seen too.
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  release = [capture(process.stdout), capture(process.stderr)];
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20, recordWorkflowHistory: true });
});
afterAll(async () => {
  await api?.close();
  for (const undo of release) undo();
});

describe('personal data in workflows and logs', () => {
  it('a full lifecycle leaves no contact address, name or phone in execution histories or log lines', async () => {
    const accountId = `pii-probe-${Date.now()}`;
    const customer = { accountId, name: ACCOUNT_NAME, contacts: [CONTACT] };
    const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ customer, severity: 'high', triggers: ['cancellation_threat'], title: 'Invoices fail to export' }));
    expect(opened.customer.contacts[0].email).toBe(CONTACT.email);
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'owner@example.com', message: `Hello ${CONTACT.name}, we are on it.` });
    await api.call('POST', `/escalations/${opened.id}/updates`, { message: `${CONTACT.name}: the export job is being rebuilt.` });
    await api.call('POST', `/escalations/${opened.id}/notes`, { text: `called ${CONTACT.name} on ${CONTACT.phone}` });
    await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a template bug', fix: 'fixed the template', prevention: `tests with ${ACCOUNT_NAME}'s invoice layout` });
    await api.call('POST', `/accounts/${accountId}/sponsorship`, { decision: 'enrol', sponsor: 'cro@example.com', reason: `${ACCOUNT_NAME} is strategic` });
    await api.call('POST', `/escalations/${opened.id}/review`, {
      rootCause: 'a template bug',
      wentWell: `${CONTACT.name} gave us a sample quickly`,
      communicationGaps: 'none',
      processFixes: 'layout tests',
      items: [{ team: 'qa', owner: 'qa@example.com', title: 'Layout tests for invoices', due: new Date(api.stack.clock.now().getTime() + 10 * DAY).toISOString().slice(0, 10) }],
    });
    // The follow-up, its reminders and the item's overdue reminder run in the workflow; the case closes itself.
    await waitFor(async () => (await api.call('GET', `/escalations/${opened.id}`)).body.status === 'closed', { timeoutMs: 30_000, what: 'the case to close itself' });
    await waitFor(async () => {
      const events = (await api.call('GET', `/escalations/${opened.id}/timeline?limit=200`)).body.items as { type: string }[];
      return events.some((event) => event.type === 'deletion_scheduled');
    }, { timeoutMs: 30_000, what: 'the deletion date to be set' });
    await api.settledMail([opened.id]);

    const histories = [...api.stack.engine.executionHistories().entries()].filter(([name]) => name.includes(opened.id));
    expect(histories.length).toBeGreaterThanOrEqual(1);
    const historyText = JSON.stringify(histories);
    // The histories are real: they carry the case id and the checks the workflow went through.
    expect(historyText).toContain(opened.id);
    expect(historyText).toContain('send_follow_up');
    // The item's overdue reminder, when it came before the close (a stalled machine can let the
    // case close first: a day passes in 86 ms), went through the workflow the same way.
    const timeline = (await api.call('GET', `/escalations/${opened.id}/timeline?limit=200`)).body.items as { type: string; data?: { itemId?: string } }[];
    if (timeline.some((event) => event.type === 'reminder_sent' && event.data?.itemId)) expect(historyText).toContain('remind_improvement_item_overdue');
    const logText = written.join('');
    expect(logText).toContain('sponsorship decided');
    for (const personal of PERSONAL) {
      expect(historyText.toLowerCase(), `execution history holds "${personal}"`).not.toContain(personal.toLowerCase());
      expect(logText.toLowerCase(), `a log line holds "${personal}"`).not.toContain(personal.toLowerCase());
    }
  }, 90_000);
});
