import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpenAt } from '../../functions/domain/business-calendar';
import { needsRearm, performCheck, planNext, scheduledChecks } from '../../functions/domain/deadline-checks';
import { type Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import { applyAction } from '../../functions/domain/lifecycle';
import { calendarFor } from '../../functions/domain/sla-policy';
import { SEVERITIES, type Severity } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { CreateEscalationRequest } from '../../functions/schemas/escalation';
import { ACTOR, DAY, HOUR, ctxAt, validBody } from './fixtures';

/** The deadline actions on their own: warnings before them have their tests in warnings.test.ts. */
const NO_WARNINGS = { acknowledge: [], update: [], resolve: [] };
const playbook = parsePlaybook({ severities: Object.fromEntries(SEVERITIES.map((severity) => [severity, { warnAtPercent: NO_WARNINGS }])) as never });

const ms = (iso: string) => Date.parse(iso);

/** A case reported (and typed in) at `reportedAt`; the request schema's own "not in the future" check is bypassed. */
function opened(severity: Severity, reportedAt: string, timezone = 'Europe/Berlin', book = playbook): Escalation {
  const body = validBody({ severity, triggers: ['platform_slow'] });
  (body.customer as Record<string, unknown>).timezone = timezone;
  const input = { ...CreateEscalationRequest.parse(body), reportedAt };
  return openEscalation('esc-1', input, { now: new Date(reportedAt), actor: ACTOR, playbook: book }).next;
}

describe('the workflow sleeps until deadlines counted in working time', () => {
  it('a high case reported Friday 16:00 Berlin wakes the workflow on Monday 12:00 Berlin, not on Friday evening', () => {
    const e = opened('high', '2026-03-06T15:00:00Z');
    expect(planNext(e, new Date('2026-03-06T15:00:01Z'), playbook)).toEqual({
      phase: 'awaiting_acknowledgement',
      wakeAt: '2026-03-09T11:00:00.000Z',
      upcoming: expect.objectContaining({ action: 'escalate_unacknowledged', at: '2026-03-09T11:00:00.000Z' }),
    });
    expect(planNext(e, new Date('2026-03-07T03:00:00Z'), playbook).due).toBeUndefined();
    expect(planNext(e, new Date('2026-03-09T11:00:00Z'), playbook).due).toMatchObject({ action: 'escalate_unacknowledged', at: '2026-03-09T11:00:00.000Z' });
  });

  it('a critical case runs 24×7: its check falls in the night', () => {
    const e = opened('critical', '2026-03-06T22:30:00Z');
    expect(planNext(e, new Date('2026-03-06T22:30:01Z'), playbook).wakeAt).toBe('2026-03-06T23:30:00.000Z');
  });

  it('a missed acknowledgement gives the next tier a fresh deadline in working time, from when it climbed', () => {
    const e = opened('high', '2026-03-06T15:00:00Z');
    const check = scheduledChecks(e, playbook)[0]!;
    const { next } = performCheck(e, check, new Date('2026-03-09T11:00:02Z'), playbook);
    expect(next.tier).toBe(1);
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-09T15:00:02.000Z'); // 12:00:02 + 4 h, within Monday
    // Climbing at 16:30 Berlin: 30 min today, 3.5 h tomorrow.
    const late = performCheck(e, check, new Date('2026-03-09T15:30:00Z'), playbook).next;
    expect(late.deadlines.acknowledgeBy).toBe('2026-03-10T11:30:00.000Z');
  });

  it('the update escalation after a reminder comes one cadence of working time after the missed update', () => {
    const e = applyAction('acknowledge', opened('high', '2026-03-06T15:00:00Z'), {}, ctxAt('2026-03-06T15:30:00Z')).next;
    const checks = scheduledChecks(e, playbook);
    const reminder = checks.find((check) => check.action === 'remind_owner_update_due')!;
    const escalation = checks.find((check) => check.action === 'escalate_missed_update')!;
    expect(reminder.at).toBe('2026-03-09T11:30:00.000Z'); // Fri 16:30 + 4 h → Mon 12:30 Berlin
    expect(escalation.at).toBe('2026-03-09T15:30:00.000Z'); // + 4 h → Mon 16:30 Berlin
  });

  it('a missed update drops a spent promise: the next tier gets its own cadence', () => {
    let e = applyAction('acknowledge', opened('critical', '2026-03-02T10:00:00Z'), {}, ctxAt('2026-03-02T10:05:00Z')).next;
    e = applyAction('updates', e, { message: 'm', nextUpdateBy: '2026-03-02T10:30:00Z' }, ctxAt('2026-03-02T10:10:00Z')).next;
    const escalation = scheduledChecks(e, playbook).find((check) => check.action === 'escalate_missed_update')!;
    const { next } = performCheck(e, escalation, new Date(escalation.at), playbook);
    expect(next.sla.promisedUpdateBy).toBeUndefined();
    expect(next.deadlines.nextUpdateBy).toBe(new Date(ms(escalation.at) + HOUR).toISOString());
  });

  it('the update escalation of a medium case comes one working day after the missed update, at the same time', () => {
    const e = applyAction('acknowledge', opened('medium', '2026-03-06T15:00:00Z'), {}, ctxAt('2026-03-06T15:30:00Z')).next;
    const checks = scheduledChecks(e, playbook);
    expect(checks.find((check) => check.action === 'remind_owner_update_due')!.at).toBe('2026-03-09T15:30:00.000Z'); // Fri 16:30 → Mon 16:30 Berlin
    expect(checks.find((check) => check.action === 'escalate_missed_update')!.at).toBe('2026-03-10T15:30:00.000Z'); // → Tue 16:30 Berlin
  });

  it('a medium case that climbs unacknowledged gives the next tier one working day from then', () => {
    const e = opened('medium', '2026-03-02T09:00:00Z'); // Mon 10:00 Berlin: acknowledge by Tue 10:00
    const check = scheduledChecks(e, playbook)[0]!;
    expect(check).toMatchObject({ action: 'escalate_unacknowledged', at: '2026-03-03T09:00:00.000Z' });
    expect(performCheck(e, check, new Date('2026-03-03T09:00:02Z'), playbook).next.deadlines.acknowledgeBy).toBe('2026-03-04T09:00:02.000Z');
  });

  it('the "not resolved within a day" rule waits one working day, pauses given back, and says so', () => {
    const e = opened('high', '2026-03-02T08:00:00Z'); // Mon 09:00 Berlin
    const rule = scheduledChecks(e, playbook).find((check) => check.action === 'route_by_rule')!;
    expect(rule.at).toBe('2026-03-03T08:00:00.000Z'); // Tue 09:00 Berlin (24 working hours would be Wed 17:00)
    let paused = applyAction('acknowledge', e, {}, ctxAt('2026-03-02T09:00:00Z')).next;
    paused = applyAction('pause', paused, { reason: 'logs' }, ctxAt('2026-03-02T10:00:00Z')).next;
    const resumed = applyAction('resume', paused, {}, ctxAt('2026-03-02T12:00:00Z')).next;
    const moved = scheduledChecks(resumed, playbook).find((check) => check.action === 'route_by_rule')!;
    expect(moved.at).toBe('2026-03-03T10:00:00.000Z'); // two working hours paused: Tue 11:00 Berlin
    const { notifications } = performCheck(resumed, moved, new Date(moved.at), playbook);
    expect(notifications[0]!.data).toMatchObject({ routingRule: true, rule: 'not-resolved-within-a-day', reason: 'not resolved within 1 working day' });
  });

  it('after resolution, the follow-up and the reminders to the owner count working days (24×7 severities count 24 h days)', () => {
    const resolvedOn = (severity: Severity, at: string) => {
      const e = applyAction('acknowledge', opened(severity, '2026-03-02T08:00:00Z'), {}, ctxAt('2026-03-02T08:30:00Z')).next;
      return applyAction('resolve', e, { rootCause: 'a', fix: 'b', prevention: 'c' }, ctxAt(at)).next;
    };
    // Friday 18:30 Berlin is after hours: the days count from Monday 09:00. One working day is Tuesday 09:00,
    // five is the next Monday, twenty is four weeks on, Monday 6 Apr 09:00 (CEST by then).
    const high = resolvedOn('high', '2026-03-06T17:30:00Z');
    expect(scheduledChecks(high, playbook).map((check) => [check.action, check.at])).toEqual([
      ['send_follow_up', '2026-03-10T08:00:00.000Z'],
      ['remind_recovery_call', '2026-03-16T08:00:00.000Z'],
      ['remind_review_due', '2026-03-16T08:00:00.000Z'],
      ['remind_health_check', '2026-04-06T07:00:00.000Z'],
      ['close_after_follow_up', '2026-04-06T07:00:00.000Z'],
    ]);
    expect(high.deadlines.followUpAt).toBe('2026-03-10T08:00:00.000Z');
    const critical = resolvedOn('critical', '2026-03-06T17:30:00Z');
    // The review counts in the review calendar (business days) whatever the severity's: Monday 16 Mar 09:00 Berlin.
    expect(scheduledChecks(critical, playbook).map((check) => check.at)).toEqual([
      '2026-03-07T17:30:00.000Z',
      '2026-03-11T17:30:00.000Z',
      '2026-03-16T08:00:00.000Z',
      '2026-03-26T17:30:00.000Z',
      '2026-03-26T17:30:00.000Z',
    ]);
  });

  it('a re-evaluation that brings a deadline earlier re-arms the workflow', () => {
    const e = opened('high', '2026-03-06T15:00:00Z');
    const faster = parsePlaybook({ severities: { high: { acknowledgeWithin: '1h' } } });
    const { next } = applyAction('re-evaluate', e, { reason: 'r' }, { now: new Date('2026-03-06T15:10:00Z'), actor: ACTOR, playbook: faster });
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-06T16:00:00.000Z');
    expect(needsRearm(e, next, faster)).toBe(true);
  });

  it('a case is checked against its own policy, not the current playbook', () => {
    const e = opened('high', '2026-03-06T15:00:00Z');
    const allDay = parsePlaybook({ severityCalendars: { high: '24x7' } });
    const rule = (c: Escalation) => scheduledChecks(c, allDay).find((check) => check.action === 'route_by_rule')!.at;
    expect(rule(e)).toBe('2026-03-09T15:00:00.000Z'); // a working day in Berlin: Fri 16:00 → Mon 16:00, not 24 h on 24×7
  });
});

describe('property: reminders and escalations to people fall in working hours unless the severity runs 24×7', () => {
  type Step = { action: 'acknowledge' | 'updates' | 'pause' | 'resume' | 'resolve' | 'reopen' | 'check'; gap: number };
  const stepArb: fc.Arbitrary<Step> = fc.record({
    action: fc.constantFrom('acknowledge', 'updates', 'pause', 'resume', 'resolve', 'reopen', 'check'),
    gap: fc.integer({ min: 0, max: 2 * DAY }),
  });
  const BODIES = { acknowledge: {}, updates: { message: 'm' }, pause: { reason: 'logs' }, resume: {}, resolve: { rootCause: 'a', fix: 'b', prevention: 'c' }, reopen: { reason: 'again' } };

  it('every scheduled check of a business-hours case is in working time or at a closing time, whatever happened before', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Severity>(...SEVERITIES),
        fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'UTC'),
        fc.array(stepArb, { maxLength: 15 }),
        (severity, reported, zone, steps) => {
          let e = opened(severity, reported.toISOString(), zone);
          let t = reported.getTime();
          const calendar = calendarFor(e.policy!, severity);
          for (const { action, gap } of steps) {
            t += gap;
            try {
              if (action === 'check') {
                const due = planNext(e, new Date(t), playbook).due;
                if (due) e = performCheck(e, due, new Date(t), playbook).next;
              } else {
                e = applyAction(action, e, BODIES[action] as never, ctxAt(t)).next;
              }
            } catch {
              continue; // not allowed from this status
            }
            for (const check of scheduledChecks(e, playbook)) {
              const at = ms(check.at);
              if (calendar.alwaysOpen) continue;
              expect(isOpenAt(calendar, at) || isOpenAt(calendar, at - 1), `${check.action} at ${check.at}`).toBe(true);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the case counts its deadline breaches', () => {
  it('property: after any run of due checks, breaches equals the deadline_breached events they wrote', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.boolean(), fc.integer({ min: 1, max: 12 }), (severity, acknowledge, rounds) => {
        let e = opened(severity, '2026-03-02T09:30:00Z');
        if (acknowledge) e = applyAction('acknowledge', e, {}, ctxAt('2026-03-02T09:45:00Z')).next;
        let written = 0;
        for (let round = 0; round < rounds; round++) {
          const [check] = scheduledChecks(e, playbook);
          if (!check) break;
          const outcome = performCheck(e, check, new Date(ms(check.at) + 1000), playbook);
          written += outcome.events.filter((event) => event.type === 'deadline_breached').length;
          e = outcome.next;
        }
        expect(e.breaches ?? 0).toBe(written);
      }),
      { numRuns: 40 },
    );
  });

  it('a reminder is no breach; a missed acknowledgement is one', () => {
    const acknowledged = applyAction('acknowledge', opened('high', '2026-03-02T09:30:00Z'), {}, ctxAt('2026-03-02T09:45:00Z')).next;
    const reminder = scheduledChecks(acknowledged, playbook).find((check) => check.action === 'remind_owner_update_due')!;
    expect(performCheck(acknowledged, reminder, new Date(ms(reminder.at) + 1000), playbook).next.breaches).toBeUndefined();
    const unacknowledged = opened('high', '2026-03-02T09:30:00Z');
    const [missed] = scheduledChecks(unacknowledged, playbook);
    expect(performCheck(unacknowledged, missed!, new Date(ms(missed!.at) + 1000), playbook).next.breaches).toBe(1);
  });
});
