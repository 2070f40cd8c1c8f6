import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// The workflow acts at the instants the day rule computed, on the default playbook's office
// hours (Mon–Fri 09:00–17:00, UTC for an account without a zone). A working day is at most
// about four days of case time (Friday after closing to Tuesday's opening): at 200 000× that
// is under two real seconds, so the waits below are bounded whatever day the suite runs on.
const SCALE = 200_000;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20 });
});
afterAll(() => api?.close());

interface Event {
  type: string;
  at: string;
  data?: Record<string, any>;
}
const timeline = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as Event[];

/** The first instant at or after `instant` within Mon–Fri 09:00–17:00 UTC (the default calendar, no holidays). */
function nextOpening(instant: string): string {
  const at = new Date(instant);
  const weekday = (d: Date) => d.getUTCDay() >= 1 && d.getUTCDay() <= 5;
  if (weekday(at) && at.getUTCHours() >= 9 && at.getUTCHours() < 17) return at.toISOString();
  const opening = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate(), 9));
  if (at.getUTCHours() >= 9) opening.setUTCDate(opening.getUTCDate() + 1);
  while (!weekday(opening)) opening.setUTCDate(opening.getUTCDate() + 1);
  return opening.toISOString();
}

/** One working day after `instant`, worked out by hand: from the next opening, the next weekday at the same time of day, or the next opening after that. */
function oneWorkingDayAfter(instant: string): string {
  const began = nextOpening(instant);
  const day = new Date(began.slice(0, 10) + 'T00:00:00Z');
  do day.setUTCDate(day.getUTCDate() + 1);
  while (day.getUTCDay() === 0 || day.getUTCDay() === 6);
  return nextOpening(`${day.toISOString().slice(0, 10)}T${began.slice(11)}`);
}

describe('a medium case nobody acknowledges (1 working day to acknowledge)', () => {
  it('breaches, routes by the not-resolved-within-a-day rule and climbs again, each at the instant the API computed', async () => {
    const { status, body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'medium', triggers: [], title: `Working days ${Date.now()}` }));
    expect(status).toBe(201);
    expect(opened.deadlineExplanations.acknowledgeBy).toMatchObject({ method: 'working_days', target: '1d', at: opened.deadlines.acknowledgeBy });
    expect(opened.deadlines.acknowledgeBy).toBe(oneWorkingDayAfter(opened.reportedAt));

    const events = await waitFor(async () => {
      const all = await timeline(opened.id);
      return all.filter((event) => event.type === 'deadline_breached').length >= 2 && all;
    }, { timeoutMs: 60_000, what: 'two acknowledgement breaches' });
    const [first, second] = events.filter((event) => event.type === 'deadline_breached');
    expect(first!.data).toMatchObject({ kind: 'acknowledge', tier: 1, deadline: opened.deadlines.acknowledgeBy });
    expect(Date.parse(first!.data!.actedAt)).toBeGreaterThanOrEqual(Date.parse(first!.data!.deadline));

    // The routing rule counts the same working day from the report: it is due at the same instant.
    const routed = events.find((event) => event.type === 'routed')!;
    expect(routed.data).toMatchObject({ rule: 'not-resolved-within-a-day', deadline: opened.deadlines.acknowledgeBy });

    // Tier 1's fresh working day runs from the first breach; the second breach is at that instant.
    expect(second!.data).toMatchObject({ kind: 'acknowledge', tier: 2, deadline: oneWorkingDayAfter(first!.data!.actedAt) });
    expect(Date.parse(second!.data!.actedAt)).toBeGreaterThanOrEqual(Date.parse(second!.data!.deadline));
  });
});

