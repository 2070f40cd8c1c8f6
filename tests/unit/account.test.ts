import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountBrief, accountOrder, accountSummary } from '../../functions/domain/account';
import type { Escalation } from '../../functions/domain/escalation';
import { STATUSES, SEVERITIES, ACTIVE_STATUSES } from '../../functions/domain/vocabulary';
import { DAY, NOW, open } from './fixtures';

const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
const scored = (id: string, day: number, score: number, extra: Partial<Escalation> = {}): Escalation => ({
  ...open('medium', new Date(at(day))),
  id,
  status: 'closed',
  acknowledgedAt: at(day + 0.01),
  resolvedAt: at(day + 1),
  satisfaction: { score, at: at(day + 2) },
  ...extra,
});

describe('account history', () => {
  it('property: open cases come before the others, and the others are newest first', () => {
    const anyCase = fc.record({ status: fc.constantFrom(...STATUSES), severity: fc.constantFrom(...SEVERITIES), day: fc.integer({ min: 0, max: 500 }) });
    fc.assert(
      fc.property(fc.array(anyCase, { maxLength: 20 }), (drawn) => {
        const cases = drawn.map((entry, i) => ({ ...open(entry.severity, new Date(at(entry.day))), id: `c${i}`, status: entry.status }));
        const sorted = [...cases].sort(accountOrder);
        const isOpen = (escalation: Escalation) => (ACTIVE_STATUSES as readonly string[]).includes(escalation.status);
        const firstFinished = sorted.findIndex((escalation) => !isOpen(escalation));
        if (firstFinished >= 0) expect(sorted.slice(firstFinished).every((escalation) => !isOpen(escalation))).toBe(true);
        const finished = sorted.filter((escalation) => !isOpen(escalation)).map((escalation) => escalation.createdAt);
        expect(finished).toEqual([...finished].sort().reverse());
      }),
    );
  });

  it('figures: medians, satisfaction trend from the earlier half to the later, outcomes and the highest tier', () => {
    const cases = [scored('a', 0, 4, { outcome: 'churned' }), scored('b', 10, 5, { tier: 2 }), scored('c', 20, 8, { outcome: 'retained' }), scored('d', 30, 9)];
    const summary = accountSummary('acme', cases, { proposals: [] });
    expect(summary.escalations.map((escalation) => escalation.id)).toEqual(['d', 'c', 'b', 'a']);
    expect(summary.satisfaction).toMatchObject({ average: 6.5, trend: 'improving' });
    expect(summary.timeToResolve).toEqual({ count: 4, medianMs: DAY });
    expect(summary.outcomes).toEqual({ retained: 1, churned: 1 });
    expect(summary.highestTierReached).toBe(2);
    expect(summary.sponsorship.standing).toBe('none');
    expect(accountSummary('acme', [scored('a', 0, 9), scored('b', 1, 3)], { proposals: [] }).satisfaction.trend).toBe('declining');
    expect(accountSummary('acme', [scored('a', 0, 9)], { proposals: [] }).satisfaction.trend).toBe('unknown');
  });

  it('the brief covers the period only: what went wrong with its cause, what prevents it, satisfaction since', () => {
    const old = scored('old', -200, 2, { title: 'Old outage', resolution: { rootCause: 'disk', fix: 'x', prevention: 'alarms on disks' } });
    const recent = scored('new', -10, 8, { title: 'Slow search', resolution: { rootCause: 'an index', fix: 'y', prevention: 'index checks in CI' } });
    const cases = [old, recent];
    const brief = accountBrief(accountSummary('acme', cases, { proposals: [] }), cases, at(-90));
    expect(brief.whatWentWrong).toEqual([`${recent.createdAt.slice(0, 10)}: Slow search (medium, closed) — cause: an index`]);
    expect(brief.whatWeDidToPreventIt).toEqual(['Slow search: index checks in CI']);
    expect(brief.satisfactionSince).toMatchObject({ responses: 1, average: 8 });
    expect(brief.headline).toMatch(/^1 escalation since .*, 0 still open/);
  });
});
