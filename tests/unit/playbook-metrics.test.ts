import { describe, expect, it } from 'vitest';
import { percentile, playbookMetrics, reviewMetrics, type MetricEventInput } from '../../functions/domain/playbook-metrics';
import type { Escalation } from '../../functions/domain/escalation';
import { parsePlaybook } from '../../functions/playbook/load';

const playbook = parsePlaybook({});
const HOUR = 3_600_000;
const now = new Date('2026-06-30T12:00:00Z');
let n = 0;
const event = (caseId: string, severity: MetricEventInput['severity'], type: string, data: Record<string, unknown> = {}): MetricEventInput => ({
  caseId,
  severity,
  type,
  at: new Date(Date.UTC(2026, 5, 1) + n++ * 60_000).toISOString(),
  data,
});

describe('percentile (nearest rank)', () => {
  it('picks the value at the rank', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 0.5)).toBe(5);
    expect(percentile(values, 0.9)).toBe(9);
    expect(percentile(values, 0.99)).toBe(10);
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe('playbook metrics', () => {
  const events = [
    event('a', 'critical', 'acknowledged', { timeToAcknowledgeMs: 0.5 * HOUR, onTime: true }),
    event('b', 'critical', 'deadline_breached', { kind: 'acknowledge' }),
    event('b', 'critical', 'acknowledged', { timeToAcknowledgeMs: 2 * HOUR, onTime: false }),
    event('c', 'high', 'acknowledged', { timeToAcknowledgeMs: 3 * HOUR, onTime: true }),
    event('d', 'high', 'deadline_breached', { kind: 'acknowledge' }),
    event('a', 'critical', 'customer_updated', { onTime: true }),
    event('a', 'critical', 'customer_updated', { onTime: false }),
    event('c', 'high', 'customer_updated', { onTime: true }),
    event('a', 'critical', 'resolved', { timeToResolveMs: 20 * HOUR, onTime: true }),
    event('c', 'high', 'resolved', { timeToResolveMs: 80 * HOUR, onTime: false }),
    event('a', 'critical', 'follow_up_sent', { action: 'send_follow_up' }),
    event('c', 'high', 'follow_up_sent', { action: 'send_follow_up' }),
    event('a', 'critical', 'satisfaction_recorded', { score: 9 }),
    event('a', 'critical', 'closed', { outcome: 'retained' }),
    event('c', 'high', 'closed', { outcome: 'churned' }),
    event('e', 'low', 'closed', {}),
  ];
  const report = playbookMetrics(events, [], now, playbook);

  it('time to acknowledge by severity, against each severity target', () => {
    expect(report.timeToAcknowledge.critical).toMatchObject({ count: 2, p50: 0.5 * HOUR, p99: 2 * HOUR, target: '1h', targetMs: HOUR, met: false });
    expect(report.timeToAcknowledge.high).toMatchObject({ count: 1, p50: 3 * HOUR, targetMs: 4 * HOUR, met: true });
    expect(report.timeToAcknowledge.low).toMatchObject({ count: 0, p50: null, met: null });
    expect(report.timeToAcknowledge.all).toMatchObject({ count: 3, p50: 2 * HOUR, target: '1h', targetMs: HOUR, met: false });
  });

  it('compliance counts each case once; a breach without the action is late', () => {
    expect(report.compliance.acknowledge).toMatchObject({ onTime: 2, total: 4, percent: 50, met: false });
    expect(report.compliance.resolve).toMatchObject({ onTime: 1, total: 2, percent: 50 });
    expect(report.updatesOnTime).toMatchObject({ onTime: 2, total: 3, percent: 66.67, targetPercent: 100, met: false });
  });

  it('satisfaction, response rate and churn against their targets', () => {
    expect(report.satisfaction).toMatchObject({ average: 9, responses: 1, surveysSent: 2, responseRatePercent: 50, met: true });
    expect(report.churn).toMatchObject({ churned: 1, retained: 1, ratePercent: 50, targetPercent: 5, met: false });
    // high resolves in 3 working days: no fixed length in working time, so the case's own deadline decides.
    expect(report.timeToResolution.high).toMatchObject({ count: 1, p50: 80 * HOUR, target: '3d', met: false });
    expect(report.timeToResolution.high.targetMs).toBeUndefined();
    expect(report.timeToResolution.critical).toMatchObject({ count: 1, p50: 20 * HOUR, target: '1d', targetMs: 24 * HOUR, met: true });
  });
});

describe('targets in working days are judged by each case\'s own deadline', () => {
  const acknowledgements = (onTime: number, late: number) => [
    ...Array.from({ length: onTime }, (_, i) => event(`on-${i}`, 'medium', 'acknowledged', { workingTimeToAcknowledgeMs: 7 * HOUR, onTime: true })),
    ...Array.from({ length: late }, (_, i) => event(`late-${i}`, 'medium', 'acknowledged', { workingTimeToAcknowledgeMs: 9 * HOUR, onTime: false })),
  ];

  it('met when at least 99 % of the cases (nearest rank, as the 99th percentile) made their deadline', () => {
    expect(playbookMetrics(acknowledgements(99, 1), [], now, playbook).timeToAcknowledge.medium).toMatchObject({ count: 100, target: '1d', met: true });
    expect(playbookMetrics(acknowledgements(98, 2), [], now, playbook).timeToAcknowledge.medium).toMatchObject({ count: 100, met: false });
    expect(playbookMetrics(acknowledgements(3, 1), [], now, playbook).timeToAcknowledge.medium.met).toBe(false);
    expect(playbookMetrics([], [], now, playbook).timeToAcknowledge.medium).toMatchObject({ count: 0, target: '1d', met: null });
  });

  it('a day target on a 24×7 calendar has a length in working time, N × 24 h, and is judged by it', () => {
    const allDay = parsePlaybook({ severityCalendars: { medium: '24x7' } });
    const report = playbookMetrics(acknowledgements(1, 0), [], now, allDay);
    expect(report.timeToAcknowledge.medium).toMatchObject({ target: '1d', targetMs: 24 * HOUR, met: true });
  });
});

describe('review metrics', () => {
  const item = (team: string, status: string, overdueAt: string) => ({ id: `${team}-${status}-${overdueAt}`, team, owner: 'o@example.com', title: 't', due: '2026-06-01', status, overdueAt, version: 1, updatedAt: overdueAt, updatedBy: 'x' });
  const withItems = (items: ReturnType<typeof item>[]) => ({ review: { items } }) as unknown as Escalation;

  it('counts reviews on time and late, reminders for missing ones, and open items by team, overdue once past their instant', () => {
    const events = [
      event('a', 'high', 'review_recorded', { onTime: true }),
      event('b', 'high', 'review_recorded', { onTime: false }),
      event('b', 'high', 'reminder_sent', { action: 'remind_review_due' }),
      event('c', 'high', 'reminder_sent', { action: 'remind_recovery_call' }),
    ];
    const cases = [
      withItems([item('qa', 'open', '2026-06-29T09:00:00.000Z'), item('qa', 'in_progress', '2026-07-29T09:00:00.000Z'), item('qa', 'done', '2026-06-01T09:00:00.000Z')]),
      withItems([item('sales', 'wont_do', '2026-06-01T09:00:00.000Z'), item('product', 'open', now.toISOString())]),
      {} as Escalation,
    ];
    expect(reviewMetrics(events, cases, now)).toEqual({
      reviews: { recorded: 2, onTime: { onTime: 1, total: 2, percent: 50, targetPercent: 100, met: false }, ownersReminded: 1 },
      improvementItems: { open: 3, overdue: 2, byTeam: { qa: { open: 2, overdue: 1 }, product: { open: 1, overdue: 1 } } },
    });
  });
});
