import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler } from '../../local/workflow-engine';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// Step Functions reads a Wait state's timestamp to the second and drops the milliseconds; the
// local engine does the same. A deadline with milliseconds must still cost one wake-up: the
// workflow rounds every instant it waits for up to the whole second. (Without the rounding the
// Wait ends up to 999 ms early, the act finds its check not yet due, and the execution loops.)

// Ten times real time, and a one-minute acknowledgement: the deadline is six real seconds away,
// and 999 ms of case time early would be 100 real milliseconds, far more than an act takes.
const SCALE = 10;
const PLAYBOOK = new URL('../fixtures/playbook-minutes.json', import.meta.url).pathname;

let api: TestApi;
const acts: { caseId: string; checkKey: string }[] = [];
const counting = (name: string, handler: TaskHandler): TaskHandler =>
  name !== 'act-on-deadline'
    ? handler
    : async (input, context) => {
        acts.push(input as { caseId: string; checkKey: string });
        return handler(input, context);
      };

beforeAll(async () => {
  api = await startTestApi({ playbookPath: PLAYBOOK, timeScale: SCALE, retryIntervalMs: 50, wrapTask: counting });
});
afterAll(() => api?.close());

describe('whole-second waits', () => {
  it('a deadline at .999 of a second is acted on after one wake-up, at or after its instant', async () => {
    // Reported 30 s ago (case time) at .999 of a second: acknowledgeBy falls at .999 too.
    const reportedAt = new Date(Math.floor(api.stack.clock.now().getTime() / 1000) * 1000 - 30_000 + 999).toISOString();
    const { status, body } = await api.call('POST', '/escalations', escalationRequest({ reportedAt, title: `Whole seconds ${Date.now()}` }));
    expect(status).toBe(201);
    expect(body.deadlines.acknowledgeBy).toMatch(/\.999Z$/);
    const breach = await waitFor(
      async () => {
        const { body: timeline } = await api.call('GET', `/escalations/${body.id}/timeline`);
        return timeline.items.find((event: { type: string }) => event.type === 'deadline_breached');
      },
      { timeoutMs: 20_000, everyMs: 100, what: 'the acknowledgement breach' },
    );
    expect(Date.parse(breach.at)).toBeGreaterThanOrEqual(Date.parse(body.deadlines.acknowledgeBy));
    const ofThisCheck = acts.filter((act) => act.caseId === body.id && act.checkKey === `ack:${body.deadlines.acknowledgeBy}`);
    expect(ofThisCheck).toHaveLength(1);
  }, 30_000);
});
