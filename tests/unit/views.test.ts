import { describe, expect, it } from 'vitest';
import { openEscalation } from '../../functions/domain/intake';
import { applyAction } from '../../functions/domain/lifecycle';
import { toView } from '../../functions/http/views';
import { parsePlaybook } from '../../functions/playbook/load';
import { CreateEscalationRequest } from '../../functions/schemas/escalation';
import { EscalationView } from '../../functions/schemas/views';
import { ctxAt, validBody } from './fixtures';

// The acceptance example: high, default calendar, reported Friday 16:00 in Europe/Berlin.
const friday = () => {
  const input = { ...CreateEscalationRequest.parse(validBody({ severity: 'high' })), reportedAt: '2026-03-06T16:00:00+01:00' };
  return openEscalation('esc-1', input, ctxAt('2026-03-06T15:05:00Z')).next;
};

describe('toView', () => {
  it('shows acknowledgeBy on Monday 12:00 Berlin time and says why', () => {
    const view = toView(friday());
    expect(view.deadlines.acknowledgeBy).toBe('2026-03-09T11:00:00.000Z');
    expect(view.reportedAt).toBe('2026-03-06T15:00:00.000Z');
    expect(view.deadlineExplanations!.acknowledgeBy).toMatchObject({
      at: '2026-03-09T11:00:00.000Z',
      atLocal: '2026-03-09T12:00:00+01:00',
      calendar: { name: 'business', hours: 'Mon–Fri 09:00–17:00', timeZone: 'Europe/Berlin' },
      counted: [
        { from: '2026-03-06T16:00:00+01:00', to: '2026-03-06T17:00:00+01:00' },
        { from: '2026-03-09T09:00:00+01:00', to: '2026-03-09T12:00:00+01:00' },
      ],
    });
    expect(view.sla).toEqual({
      pausedMs: 0,
      pauses: [],
      calendar: 'business',
      timeZone: 'Europe/Berlin',
      targets: { acknowledgeWithin: '4h', updateEvery: '4h', resolveWithin: '3d' },
      policyTakenAt: '2026-03-06T15:05:00.000Z',
    });
    expect(view).not.toHaveProperty('policy');
    expect(view).not.toHaveProperty('generation');
    expect(() => EscalationView.parse(view)).not.toThrow();
  });

  it('shows targets as the playbook writes them and explains a whole-day target as working days', () => {
    const input = { ...CreateEscalationRequest.parse(validBody({ severity: 'medium' })), reportedAt: '2026-03-02T10:00:00+01:00' };
    const view = toView(openEscalation('esc-1', input, ctxAt('2026-03-02T09:05:00Z')).next);
    expect(view.sla.targets).toEqual({ acknowledgeWithin: '1d', updateEvery: '1d', resolveWithin: '7d' });
    expect(view.deadlineExplanations!.resolveBy).toMatchObject({
      at: '2026-03-11T09:00:00.000Z',
      atLocal: '2026-03-11T10:00:00+01:00',
      method: 'working_days',
      target: '7d',
      workingDays: { days: 7, day: '2026-03-11', sameTimeLocal: '2026-03-11T10:00:00+01:00' },
    });
    expect(view.deadlineExplanations!.resolveBy.summary).toContain('7 working days');
    expect(() => EscalationView.parse(view)).not.toThrow();
  });

  it('lists every pause with who, why, from, to and its length; the open one has no end yet', () => {
    let e = applyAction('acknowledge', friday(), {}, ctxAt('2026-03-09T08:00:00Z')).next;
    e = applyAction('pause', e, { reason: 'waiting for logs' }, ctxAt('2026-03-09T09:00:00Z', 'sam@example.com')).next;
    e = applyAction('resume', e, {}, ctxAt('2026-03-09T10:00:00Z', 'lee@example.com')).next;
    e = applyAction('pause', e, { reason: 'waiting for a call back' }, ctxAt('2026-03-09T11:00:00Z', 'sam@example.com')).next;
    const view = toView(e);
    expect(view.sla.pauses).toEqual([
      { from: '2026-03-09T09:00:00.000Z', to: '2026-03-09T10:00:00.000Z', by: 'sam@example.com', reason: 'waiting for logs', resumedBy: 'lee@example.com', pausedMs: 3_600_000 },
      { from: '2026-03-09T11:00:00.000Z', by: 'sam@example.com', reason: 'waiting for a call back' },
    ]);
    expect(view.sla.pausedMs).toBe(3_600_000);
    expect(view.sla.pausedSince).toBe('2026-03-09T11:00:00.000Z');
    expect(view.deadlineExplanations!.resolveBy.pausesSkipped).toEqual([
      { from: '2026-03-09T10:00:00+01:00', to: '2026-03-09T11:00:00+01:00', workingMs: 3_600_000, by: 'sam@example.com', reason: 'waiting for logs' },
    ]);
    expect(() => EscalationView.parse(view)).not.toThrow();
  });
});

describe('the policy kept on a case', () => {
  it('keeps only the holidays its clocks can meet (from two days before the report to two years after)', () => {
    const withHolidays = parsePlaybook({ calendars: { business: { holidays: ['2025-12-25', '2026-03-05', '2026-12-25', '2027-12-24', '2028-12-25', '2030-01-01'] } } });
    const input = { ...CreateEscalationRequest.parse(validBody({ severity: 'high' })), reportedAt: '2026-03-06T16:00:00+01:00' };
    const e = openEscalation('esc-1', input, { ...ctxAt('2026-03-06T15:05:00Z'), playbook: withHolidays }).next;
    expect(e.policy!.calendars.business!.holidays).toEqual(['2026-03-05', '2026-12-25', '2027-12-24']);
    expect(Object.keys(e.policy!.calendars).sort()).toEqual(['24x7', 'business']);
  });
});
