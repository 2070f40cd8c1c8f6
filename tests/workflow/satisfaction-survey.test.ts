import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// Ten hours of case time per real second: the follow-up (+24 h) arrives after 2.4 s, and
// its link (valid 30 days) stays valid for the rest of the test.
const SCALE = 36_000;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 20 });
});
afterAll(() => api?.close());

describe('the satisfaction survey', () => {
  it('the link in the follow-up records one score; a second use and an altered token record nothing', async () => {
    const title = `Survey ${Date.now()}`;
    const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'low', triggers: [], title }));
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a full disk', fix: 'cleaned it', prevention: 'disk alarms' });

    const followUp = await waitFor(async () => (await api.sentMail()).find((m) => m.subject === `Checking in on "${title}"`), {
      timeoutMs: 10_000,
      what: 'the follow-up email',
    });
    const nine = /9: (http\S+)/.exec(followUp.body.text!)![1]!;
    const token = new URL(nine).pathname.split('/').pop()!;

    const tampered = nine.replace(token, `${token.slice(0, -3)}abc`);
    expect((await fetch(tampered)).status).toBe(403);
    const first = await fetch(nine);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/html');
    expect(await first.text()).toContain('score of 9');
    const again = await fetch(nine.replace('score=9', 'score=3'));
    expect(again.status).toBe(409);

    const stored = (await api.call('GET', `/escalations/${opened.id}`)).body;
    expect(stored.satisfaction.score).toBe(9);
    const events = (await api.call('GET', `/escalations/${opened.id}/timeline?limit=200`)).body.items;
    expect(events.filter((e: { type: string }) => e.type === 'satisfaction_recorded')).toHaveLength(1);
  });

  it('an out-of-range score is a 400 that names the field', async () => {
    const response = await fetch(`${api.url}/csat/whatever?score=11`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('query.score');
  });
});
