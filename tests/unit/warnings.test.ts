import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpenAt, workingTimeBetween } from '../../functions/domain/business-calendar';
import { performCheck, planNext, scheduledChecks, type ScheduledCheck } from '../../functions/domain/deadline-checks';
import { type Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import { applyAction } from '../../functions/domain/lifecycle';
import { calendarFor } from '../../functions/domain/sla-policy';
import { SEVERITIES, type Severity } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { CreateEscalationRequest } from '../../functions/schemas/escalation';
import { ACTOR, HOUR, ctxAt, playbook, validBody } from './fixtures';

const ms = (iso: string) => Date.parse(iso);

function opened(severity: Severity, reportedAt: string, book = playbook): Escalation {
  const body = validBody({ severity, triggers: ['platform_slow'] });
  const input = { ...CreateEscalationRequest.parse(body), reportedAt };
  return openEscalation('esc-1', input, { now: new Date(reportedAt), actor: ACTOR, playbook: book }).next;
}

const warningsOf = (e: Escalation, book = playbook) => scheduledChecks(e, book).filter((check) => check.action === 'warn_deadline_approaching');
const warningFor = (e: Escalation, kind: string, book = playbook): ScheduledCheck | undefined => warningsOf(e, book).find((check) => check.kind === kind);

describe('a deadline is warned of before it passes', () => {
  it('a high case (4 h to acknowledge, Mon–Fri 09:00–17:00 Berlin) is warned after 3 working hours, an hour before', () => {
    const e = opened('high', '2026-03-02T08:00:00Z'); // Mon 09:00 Berlin
    const warning = warningFor(e, 'acknowledge')!;
    expect(warning.at).toBe('2026-03-02T11:00:00.000Z'); // 12:00 Berlin
    expect(warning.warning).toEqual({ deadline: e.deadlines.acknowledgeBy, percent: 75 });
    expect(planNext(e, new Date('2026-03-02T08:00:01Z'), playbook).upcoming).toEqual(warning);
  });

  it('a warning obeys the calendar: 3 working hours from Friday 16:00 fall on Monday 11:00', () => {
    const e = opened('high', '2026-03-06T15:00:00Z'); // Fri 16:00 Berlin
    expect(warningFor(e, 'acknowledge')!.at).toBe('2026-03-09T10:00:00.000Z');
  });

  it('a target in working days warns when that share of the working time those days hold is spent', () => {
    // Medium: 7 working days to resolve from Mon 10:00 Berlin, 56 working hours; 75 % leaves 14 of them.
    const e = opened('medium', '2026-03-02T09:00:00Z');
    const warning = warningFor(e, 'resolve')!;
    const calendar = calendarFor(e.policy, 'medium');
    expect(e.deadlines.resolveBy).toBe('2026-03-11T09:00:00.000Z'); // Wed of the next week, 10:00
    expect(workingTimeBetween(calendar, ms(warning.at), ms(e.deadlines.resolveBy))).toBe(14 * HOUR);
    expect(warning.at).toBe('2026-03-09T11:00:00.000Z'); // Mon 12:00 Berlin: 5 h that day, 8 on Tuesday, 1 on Wednesday
  });

  it('the percentages come from the playbook per severity and kind; an empty list turns a kind off', () => {
    const book = parsePlaybook({ severities: { high: { warnAtPercent: { acknowledge: [50, 90], resolve: [] } } } as never });
    const e = opened('high', '2026-03-02T08:00:00Z');
    expect(warningsOf(e, book).map((check) => [check.kind, check.warning!.percent, check.at])).toEqual([
      ['acknowledge', 50, '2026-03-02T10:00:00.000Z'],
      ['acknowledge', 90, '2026-03-02T11:36:00.000Z'],
    ]);
    expect(() => parsePlaybook({ severities: { high: { warnAtPercent: { update: [100] } } } as never })).toThrow(/severities\.high\.warnAtPercent\.update/);
  });

  it('a met deadline is never warned of: acknowledged, the acknowledgement warning is gone and the update one takes its place', () => {
    const e = opened('high', '2026-03-02T08:00:00Z');
    const acknowledged = applyAction('acknowledge', e, { owner: 'alice@example.com' }, ctxAt('2026-03-02T08:30:00Z')).next;
    expect(warningFor(acknowledged, 'acknowledge')).toBeUndefined();
    expect(warningFor(acknowledged, 'update')!.at).toBe('2026-03-02T11:30:00.000Z');
  });

  it('acting on a warning tells the routed team before acknowledgement, and the owner after, with the working time left', () => {
    const e = opened('high', '2026-03-02T08:00:00Z');
    const warning = warningFor(e, 'acknowledge')!;
    const outcome = performCheck(e, warning, new Date(warning.at), playbook);
    expect(outcome.events).toEqual([expect.objectContaining({ type: 'deadline_warning', data: expect.objectContaining({ kind: 'acknowledge', percent: 75, workingMsLeft: HOUR }) })]);
    expect(outcome.notifications).toEqual([
      expect.objectContaining({ template: 'deadline_warning', to: ['csm@example.com', 'support@example.com', 'support-lead@example.com', 'engineering-oncall@example.com'], data: expect.objectContaining({ timeLeft: '1h', acknowledgeDue: true, deadline: e.deadlines.acknowledgeBy }) }),
    ]);
    expect(outcome.next.tier).toBe(e.tier);
    expect(outcome.next.breaches).toBeUndefined();
    // Done once: the same warning is not planned again.
    expect(warningFor(outcome.next, 'acknowledge')).toBeUndefined();

    const owned = applyAction('acknowledge', e, { owner: 'alice@example.com' }, ctxAt('2026-03-02T08:30:00Z')).next;
    const update = warningFor(owned, 'update')!;
    expect(performCheck(owned, update, new Date(update.at), playbook).notifications[0]!.to).toEqual(['alice@example.com']);
  });

  it('property: every warning falls on working time, strictly before its pending deadline, at its share of the target', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEVERITIES),
        fc.integer({ min: Date.parse('2026-01-05T00:00:00Z'), max: Date.parse('2026-12-20T00:00:00Z') }),
        fc.integer({ min: 1, max: 99 }),
        (severity, reportedAt, percent) => {
          const book = parsePlaybook({ severities: { [severity]: { warnAtPercent: { acknowledge: [percent], update: [percent], resolve: [percent] } } } as never });
          const e = opened(severity, new Date(reportedAt).toISOString(), book);
          const calendar = calendarFor(e.policy, severity);
          const warnings = warningsOf(e, book);
          expect(warnings.map((check) => check.kind).sort()).toEqual(['acknowledge', 'resolve']);
          for (const check of warnings) {
            const deadline = ms(check.warning!.deadline);
            expect(ms(check.at)).toBeLessThan(deadline);
            // Reached by counting working time: on working time, or at the close of a working interval.
            expect(isOpenAt(calendar, ms(check.at)) || isOpenAt(calendar, ms(check.at) - 1)).toBe(true);
            const total = workingTimeBetween(calendar, Math.max(reportedAt, 0), deadline);
            const left = workingTimeBetween(calendar, ms(check.at), deadline);
            expect(Math.abs(left - (total * (100 - percent)) / 100)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
