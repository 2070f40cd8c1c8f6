import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { aftercareDueAt, pendingAftercare } from '../../functions/domain/aftercare';
import { isOpenAt, type Calendar } from '../../functions/domain/business-calendar';
import { performCheck, phaseOf, planNext, scheduledChecks } from '../../functions/domain/deadline-checks';
import { AlreadyAnsweredError, IllegalTransitionError, RuleViolationError } from '../../functions/domain/errors';
import { type Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import { applyAction } from '../../functions/domain/lifecycle';
import { itemIdOf, overdueInstant, recordReview, updateImprovementItem, type ReviewInput } from '../../functions/domain/review';
import { parsePlaybook } from '../../functions/playbook/load';
import { ActionRequests, ResourceId } from '../../functions/schemas/escalation';
import { ACTOR, ctxAt, DAY, HOUR, input, later, NOW, open, playbook } from './fixtures';

// The blameless review after a resolution (PLAYBOOK.md §5, step 9) and the aftercare the
// workflow keeps for it: the review reminder, one reminder per overdue improvement item, and the
// deletion date of a closed case.

const REVIEW: ReviewInput = {
  rootCause: 'a certificate nobody watched expired',
  wentWell: 'the workaround was out within the hour',
  communicationGaps: 'the second update came two hours late',
  processFixes: 'certificates are inventoried and alarmed',
  concession: 'one month of credit',
  items: [
    { team: 'engineering', owner: 'sre@example.com', title: 'Alert 30 days before any certificate expires', due: '2026-03-20' },
    { team: 'support', owner: 'lead@example.com', title: 'Update template for certificate incidents', due: '2026-03-27' },
  ],
};

/** A high case (Mon–Fri 09:00–17:00 Berlin) acknowledged and resolved on Monday 2 March. */
function resolved(): Escalation {
  const acked = applyAction('acknowledge', open('high'), { owner: 'owner@example.com' }, ctxAt(later(NOW, HOUR))).next;
  return applyAction('resolve', acked, { rootCause: 'a', fix: 'b', prevention: 'c' }, ctxAt(later(NOW, 2 * HOUR))).next;
}

describe('the review deadline', () => {
  it('is five working days after the resolution on the business calendar, and a missing review reminds the owner then', () => {
    const e = resolved();
    // Resolved Monday 2 March 12:00 UTC (13:00 Berlin): five working days on is Monday 9 March, same time.
    expect(e.deadlines.reviewBy).toBe('2026-03-09T12:00:00.000Z');
    const check = scheduledChecks(e, playbook).find((candidate) => candidate.action === 'remind_review_due')!;
    expect(check).toMatchObject({ key: 'review:2026-03-09T12:00:00.000Z', at: '2026-03-09T12:00:00.000Z', kind: 'review' });
    const { notifications, events } = performCheck(e, check, new Date(check.at), playbook);
    expect(notifications.map((n) => [n.template, n.to, n.data.reminder])).toEqual([['owner_reminder', ['owner@example.com'], 'review_due']]);
    expect(events.map((event) => [event.type, event.data?.kind])).toEqual([['reminder_sent', 'review']]);
  });

  it('follows the playbook the case was opened under: another target and calendar', () => {
    const faster = parsePlaybook({ review: { within: '2d', calendar: '24x7' } });
    const opened = openEscalation('esc-2', input('high'), { now: NOW, actor: ACTOR, playbook: faster }).next;
    const acked = applyAction('acknowledge', opened, {}, { now: later(NOW, HOUR), actor: ACTOR, playbook: faster }).next;
    const e = applyAction('resolve', acked, { rootCause: 'a', fix: 'b', prevention: 'c' }, { now: later(NOW, 2 * HOUR), actor: ACTOR, playbook: faster }).next;
    expect(Date.parse(e.deadlines.reviewBy!) - Date.parse(e.resolvedAt!)).toBe(2 * DAY);
  });

  it('a recorded review cancels the reminder; on time is judged against the deadline', () => {
    const e = resolved();
    const onTime = recordReview(e, REVIEW, ctxAt(later(NOW, 3 * HOUR)));
    expect(onTime.next.review).toMatchObject({ onTime: true, dueBy: e.deadlines.reviewBy, concession: 'one month of credit', recordedBy: ACTOR });
    expect(scheduledChecks(onTime.next, playbook).map((check) => check.action)).not.toContain('remind_review_due');
    expect(onTime.events[0]).toMatchObject({ type: 'review_recorded', data: { onTime: true, concessionOffered: true } });
    const late = recordReview(e, { ...REVIEW, items: [] }, ctxAt(later(NOW, 10 * DAY)));
    expect(late.next.review!.onTime).toBe(false);
  });

  it('is recorded once, and only after a resolution', () => {
    const reviewed = recordReview(resolved(), REVIEW, ctxAt(later(NOW, 3 * HOUR))).next;
    expect(() => recordReview(reviewed, REVIEW, ctxAt(later(NOW, 4 * HOUR)))).toThrow(AlreadyAnsweredError);
    expect(() => applyAction('review', open(), ActionRequests.review.parse(REVIEW), ctxAt(later(NOW, HOUR)))).toThrow(IllegalTransitionError);
    // Closed, it can still be reviewed.
    const closed = applyAction('close', resolved(), {}, ctxAt(later(NOW, 3 * HOUR))).next;
    expect(applyAction('review', closed, ActionRequests.review.parse(REVIEW), ctxAt(later(NOW, 4 * HOUR))).next.review).toBeDefined();
  });

  it('refuses an item for a team the playbook does not know, or due on a day already past, naming the field', () => {
    const e = resolved();
    const stranger = { ...REVIEW, items: [REVIEW.items[0]!, { ...REVIEW.items[1]!, team: 'marketing' }] };
    expect(() => recordReview(e, stranger, ctxAt(later(NOW, 3 * HOUR)))).toThrow(expect.objectContaining({ field: 'items.1.team' }));
    const withMarketing = parsePlaybook({ review: { extraTeams: ['marketing'] } });
    expect(recordReview(e, stranger, { now: later(NOW, 3 * HOUR), actor: ACTOR, playbook: withMarketing }).next.review!.items[1]!.team).toBe('marketing');
    const past = { ...REVIEW, items: [{ ...REVIEW.items[0]!, due: '2026-03-01' }] };
    expect(() => recordReview(e, past, ctxAt(later(NOW, 3 * HOUR)))).toThrow(expect.objectContaining({ field: 'items.0.due' }));
  });
});

describe('improvement items', () => {
  it('get ids that are UUIDs, the same whenever the review is decided again', () => {
    const first = recordReview(resolved(), REVIEW, ctxAt(later(NOW, 3 * HOUR))).next.review!.items.map((item) => item.id);
    const again = recordReview(resolved(), REVIEW, ctxAt(later(NOW, 5 * HOUR))).next.review!.items.map((item) => item.id);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(2);
    for (const id of first) expect(ResourceId.safeParse(id).success).toBe(true);
    fc.assert(fc.property(fc.uuid(), fc.nat(50), (caseId, index) => ResourceId.safeParse(itemIdOf(caseId, index)).success && itemIdOf(caseId, index) !== itemIdOf(caseId, index + 1)));
  });

  it('an overdue item reminds its owner once, in working hours; finishing it ends its reminders', () => {
    const reviewed = recordReview(resolved(), REVIEW, ctxAt(later(NOW, 3 * HOUR))).next;
    const [first, second] = reviewed.review!.items;
    // Due Friday 20 March: overdue from Monday 23 March 09:00 Berlin, the next working moment after that day.
    expect(first!.overdueAt).toBe('2026-03-23T08:00:00.000Z');
    const checks = scheduledChecks(reviewed, playbook).filter((check) => check.action === 'remind_improvement_item_overdue');
    expect(checks.map((check) => [check.itemId, check.at])).toEqual([
      [first!.id, first!.overdueAt],
      [second!.id, second!.overdueAt],
    ]);
    const { next, notifications } = performCheck(reviewed, checks[0]!, new Date(checks[0]!.at), playbook);
    expect(notifications.map((n) => [n.to, n.data.itemTitle, n.data.itemTeam, n.data.itemDue])).toEqual([[['sre@example.com'], first!.title, 'engineering', '2026-03-20']]);
    expect(scheduledChecks(next, playbook).filter((check) => check.itemId === first!.id)).toEqual([]);
    const done = updateImprovementItem(reviewed, second!.id, { status: 'done' }, ctxAt(later(NOW, 4 * HOUR))).next;
    expect(scheduledChecks(done, playbook).filter((check) => check.itemId === second!.id)).toEqual([]);
  });

  it('an update changes that item alone and its version; a new due date is a new reminder', () => {
    const reviewed = recordReview(resolved(), REVIEW, ctxAt(later(NOW, 3 * HOUR))).next;
    const [first, second] = reviewed.review!.items;
    const moved = updateImprovementItem(reviewed, first!.id, { due: '2026-04-03', owner: 'kim@example.com' }, ctxAt(later(NOW, 4 * HOUR), 'lead@example.com'));
    const [movedFirst, sameSecond] = moved.next.review!.items;
    expect(movedFirst).toMatchObject({ version: 2, due: '2026-04-03', owner: 'kim@example.com', overdueAt: '2026-04-06T07:00:00.000Z', updatedBy: 'lead@example.com' });
    expect(sameSecond).toEqual(second);
    expect(moved.next.version).toBe(reviewed.version + 1);
    expect(moved.events[0]).toMatchObject({ type: 'improvement_item_updated', data: { itemId: first!.id, fields: ['due', 'owner'] } });
    expect(scheduledChecks(moved.next, playbook).find((check) => check.itemId === first!.id)!.key).toBe(`item:${first!.id}:2026-04-06T07:00:00.000Z`);
    // Nothing that differs: no new version, nothing on the timeline.
    expect(updateImprovementItem(moved.next, first!.id, { owner: 'kim@example.com' }, ctxAt(later(NOW, 5 * HOUR)))).toEqual({ next: moved.next, events: [] });
    expect(() => updateImprovementItem(reviewed, 'no-such-item', { status: 'done' }, ctxAt(later(NOW, 4 * HOUR)))).toThrow(RuleViolationError);
  });

  it('property: an item is overdue at the first working moment after its due day ends in the calendar\'s zone', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'UTC'];
    const business = (timeZone: string): Calendar => ({
      name: 'business',
      timeZone,
      week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '12:00'], ['13:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '15:00']] },
      holidays: ['2026-12-24', '2026-12-25', '2026-04-03'],
    });
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.date({ min: new Date('2026-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }), fc.boolean(), (zone, day, alwaysOpen) => {
        const calendar = alwaysOpen ? { name: '24x7', alwaysOpen: true as const, timeZone: zone, week: {}, holidays: [] } : business(zone);
        const due = day.toISOString().slice(0, 10);
        const at = Date.parse(overdueInstant(calendar, due));
        const endOfDue = DateTime.fromISO(due, { zone }).plus({ days: 1 }).startOf('day').toMillis();
        expect(at).toBeGreaterThanOrEqual(endOfDue);
        expect(isOpenAt(calendar, at)).toBe(true);
        // The first such moment: nothing earlier after the due day was working time.
        for (let probe = endOfDue; probe < at; probe += 30 * 60_000) expect(isOpenAt(calendar, probe)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

describe('aftercare of a closed case', () => {
  it('a close sets the deletion date (the retention after the close) and the workflow sets it on everything stored, once', () => {
    const reviewed = recordReview(resolved(), { ...REVIEW, items: [] }, ctxAt(later(NOW, 3 * HOUR))).next;
    const closed = applyAction('close', reviewed, { outcome: 'retained' }, ctxAt(later(NOW, 4 * HOUR))).next;
    expect(Date.parse(closed.retainUntil!) - Date.parse(closed.closedAt!)).toBe(730 * DAY);
    expect(phaseOf(closed)).toBe('aftercare');
    const plan = planNext(closed, later(NOW, 4 * HOUR), playbook);
    expect(plan.due).toMatchObject({ action: 'schedule_deletion', key: `retention:${closed.retainUntil}` });
    const acted = performCheck(closed, plan.due!, later(NOW, 4 * HOUR), playbook);
    expect(acted.events.map((event) => event.type)).toEqual(['deletion_scheduled']);
    expect(phaseOf(acted.next)).toBe('finished');
    expect(planNext(acted.next, later(NOW, 5 * HOUR), playbook)).toEqual({ phase: 'finished' });
    const custom = parsePlaybook({ retention: { closedCaseDays: 30 } });
    const shortly = applyAction('out-of-scope', open(), { reason: 'r', guidance: 'g' }, { now: NOW, actor: ACTOR, playbook: custom }).next;
    expect(Date.parse(shortly.retainUntil!) - Date.parse(shortly.closedAt!)).toBe(30 * DAY);
  });

  it('property: a closed case is finished exactly when nothing is left to watch, and sorts by its earliest open work', () => {
    const base = applyAction('close', recordReview(resolved(), REVIEW, ctxAt(later(NOW, 3 * HOUR))).next, {}, ctxAt(later(NOW, 4 * HOUR))).next;
    const [first, second] = base.review!.items;
    fc.assert(
      fc.property(
        fc.subarray(['retention', 'first', 'second'] as const),
        fc.constantFrom('open', 'in_progress', 'done', 'wont_do'),
        fc.constantFrom('open', 'in_progress', 'done', 'wont_do'),
        (acted, firstStatus, secondStatus) => {
          const keys = { retention: `retention:${base.retainUntil}`, first: `item:${first!.id}:${first!.overdueAt}`, second: `item:${second!.id}:${second!.overdueAt}` };
          const items = [
            { ...first!, status: firstStatus },
            { ...second!, status: secondStatus },
          ];
          const e: Escalation = { ...base, actedOn: acted.map((name) => keys[name]), review: { ...base.review!, items } };
          const pending = pendingAftercare(e);
          expect(phaseOf(e) === 'finished').toBe(pending.length === 0);
          const open = items.filter((item) => item.status === 'open' || item.status === 'in_progress');
          const expected = [...pending.map((check) => check.at), ...open.map((item) => item.overdueAt)].sort()[0];
          expect(aftercareDueAt(e)).toBe(expected);
        },
      ),
    );
  });

  it('an erased case watches nothing and takes no review', () => {
    const closed = applyAction('close', resolved(), {}, ctxAt(later(NOW, 4 * HOUR))).next;
    const erased: Escalation = { ...closed, erasedAt: later(NOW, 5 * HOUR).toISOString() };
    expect(phaseOf(erased)).toBe('finished');
    expect(aftercareDueAt(erased)).toBeUndefined();
    expect(() => applyAction('review', erased, ActionRequests.review.parse(REVIEW), ctxAt(later(NOW, 6 * HOUR)))).toThrow(RuleViolationError);
  });
});
