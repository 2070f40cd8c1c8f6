import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWorkingDays, isOpenAt, workingTimeBetween, type Calendar } from '../../functions/domain/business-calendar';
import { closedPauses } from '../../functions/domain/deadlines';
import { AlreadyAnsweredError, IllegalTransitionError, RuleViolationError } from '../../functions/domain/errors';
import { calendarFor } from '../../functions/domain/sla-policy';
import { countsWorkingDays, elapsedMs, type SlaTarget } from '../../functions/domain/sla-target';
import { type Change, type Context, type Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import { allowedActions, applyAction, contactsAddedTo, editEscalation } from '../../functions/domain/lifecycle';
import { SEVERITIES, STATUSES, type Status } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { ACTION_NAMES, ActionRequests, CreateEscalationRequest, PatchEscalationRequest } from '../../functions/schemas/escalation';
import type { ActionName } from '../../functions/domain/commands';
import { ACTION_BODIES, ACTOR, DAY, HOUR, MINUTE, NOW, actionInput, ctxAt, input, later, open, playbook, validBody } from './fixtures';
import { missingVariables } from './template-variables';

type Move = ActionName | 'edit';

/** The working time a target holds from `from`: an hour target as written, N working days what those days hold (the calendar's own arithmetic, checked against its oracle). */
const heldFrom = (calendar: Calendar, from: number, target: SlaTarget) =>
  countsWorkingDays(target, calendar) ? workingTimeBetween(calendar, from, addWorkingDays(calendar, from, target.amount).at) : elapsedMs(target);

/** The lifecycle of PLAYBOOK.md §5, written out independently of the code under test. */
const ACTIVE: Status[] = ['open', 'acknowledged', 'in_progress', 'waiting_on_customer'];
const TABLE: Record<Move, { from: Status[]; to: Status | 'same' }> = {
  acknowledge: { from: ['open'], to: 'acknowledged' },
  updates: { from: ['acknowledged', 'in_progress'], to: 'in_progress' },
  escalate: { from: ACTIVE, to: 'same' },
  assign: { from: ACTIVE, to: 'same' },
  resolve: { from: ['acknowledged', 'in_progress', 'waiting_on_customer'], to: 'resolved' },
  'out-of-scope': { from: ACTIVE, to: 'out_of_scope' },
  pause: { from: ['acknowledged', 'in_progress'], to: 'waiting_on_customer' },
  resume: { from: ['waiting_on_customer'], to: 'in_progress' },
  reopen: { from: ['resolved'], to: 'in_progress' },
  close: { from: ['resolved'], to: 'closed' },
  notes: { from: [...STATUSES], to: 'same' },
  're-evaluate': { from: [...ACTIVE, 'resolved'], to: 'same' },
  review: { from: ['resolved', 'closed'], to: 'same' },
  edit: { from: [...ACTIVE, 'resolved'], to: 'same' },
};
const MOVES = Object.keys(TABLE) as Move[];
const expectedAllowed = (status: Status) => MOVES.filter((m) => TABLE[m].from.includes(status)).sort();


function act(action: ActionName, current: Escalation, ctx: Context, override?: unknown): Change {
  const parsed = actionInput(action, override);
  return applyAction(action, current, parsed as never, ctx);
}

/** Runs actions one hour apart from NOW + 1h; returns the final escalation. */
function walk(start: Escalation, actions: ActionName[]): Escalation {
  let current = start;
  actions.forEach((action, i) => {
    current = act(action, current, ctxAt(later(NOW, (i + 1) * HOUR))).next;
  });
  return current;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, nothing was thrown');
}

const at = (iso: string) => ctxAt(new Date(iso));

describe('transition table', () => {
  it('walks open → acknowledged → in_progress ⇄ waiting_on_customer → resolved → closed', () => {
    let e = open('high');
    expect(e.status).toBe('open');
    const steps: [ActionName, Status][] = [
      ['acknowledge', 'acknowledged'],
      ['updates', 'in_progress'],
      ['pause', 'waiting_on_customer'],
      ['resume', 'in_progress'],
      ['pause', 'waiting_on_customer'],
      ['resume', 'in_progress'],
      ['resolve', 'resolved'],
      ['close', 'closed'],
    ];
    steps.forEach(([action, status], i) => {
      e = act(action, e, ctxAt(later(NOW, (i + 1) * HOUR))).next;
      expect(e.status, `after ${action}`).toBe(status);
    });
    expect(e.closedAt).toBe(later(NOW, steps.length * HOUR).toISOString());
    expect(e.outcome).toBe('retained');
  });

  it('pauses straight from acknowledged and resolves straight from waiting_on_customer', () => {
    const e = walk(open(), ['acknowledge', 'pause', 'resolve']);
    expect(e.status).toBe('resolved');
  });

  it.each(ACTIVE)('declares out of scope from %s', (status) => {
    const path: Record<string, ActionName[]> = {
      open: [],
      acknowledged: ['acknowledge'],
      in_progress: ['acknowledge', 'updates'],
      waiting_on_customer: ['acknowledge', 'pause'],
    };
    const e = walk(open(), path[status]!);
    expect(e.status).toBe(status);
    const now = later(NOW, 10 * HOUR);
    const { next, events } = act('out-of-scope', e, ctxAt(now));
    expect(next.status).toBe('out_of_scope');
    expect(next.closedAt).toBe(now.toISOString());
    expect(events.map((ev) => ev.type)).toEqual(['declared_out_of_scope']);
    expect(events[0]!.data).toMatchObject({ reason: 'third-party outage', guidance: 'contact the provider' });
  });

  it('declaring out of scope while waiting on the customer ends the pause', () => {
    const paused = walk(open(), ['acknowledge', 'pause']);
    const { next } = act('out-of-scope', paused, at('2026-03-02T15:00:00Z'));
    expect(next.status).toBe('out_of_scope');
    expect(next.sla.pausedSince).toBeUndefined();
    expect(next.sla.pausedMs).toBe(Date.parse('2026-03-02T15:00:00Z') - Date.parse(paused.sla.pausedSince!));
  });

  it('reopens a resolved case into in_progress, dropping the resolution and follow-up', () => {
    const resolved = walk(open(), ['acknowledge', 'resolve']);
    expect(resolved.resolvedAt).toBeDefined();
    expect(resolved.deadlines.followUpAt).toBeDefined();
    const now = later(NOW, 30 * HOUR);
    const { next, events } = act('reopen', resolved, ctxAt(now));
    expect(next.status).toBe('in_progress');
    expect(next.reopenCount).toBe(1);
    expect(next.resolvedAt).toBeUndefined();
    expect(next.resolution).toBeUndefined();
    expect(next.deadlines.followUpAt).toBeUndefined();
    // Reopened Tue 16:00 UTC = 17:00 Berlin, closing time: 4 working hours are Wed 09:00–13:00 Berlin.
    expect(next.deadlines.nextUpdateBy).toBe('2026-03-04T12:00:00.000Z');
    expect(events[0]).toMatchObject({ type: 'reopened', actor: ACTOR, at: now.toISOString(), data: { reason: 'it broke again' } });
    expect(walk(next, ['resolve', 'reopen']).reopenCount).toBe(2);
  });

  it.each(STATUSES)('allowedActions(%s) matches the table', (status) => {
    expect([...allowedActions(status)].sort()).toEqual(expectedAllowed(status));
  });

  it('lists every action of the API in the table', () => {
    expect([...ACTION_NAMES].sort()).toEqual(MOVES.filter((m) => m !== 'edit').sort());
  });
});

describe('illegal moves', () => {
  it('acknowledging twice throws IllegalTransitionError naming the allowed actions', () => {
    const e = walk(open(), ['acknowledge']);
    const error = thrown(() => act('acknowledge', e, ctxAt(later(NOW, 2 * HOUR))));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    const { action, status, allowed, message } = error as IllegalTransitionError;
    expect(action).toBe('acknowledge');
    expect(status).toBe('acknowledged');
    expect([...allowed].sort()).toEqual(['assign', 'edit', 'escalate', 'notes', 'out-of-scope', 'pause', 're-evaluate', 'resolve', 'updates']);
    for (const name of allowed) expect(message).toContain(name);
  });

  it('closing an open case is refused; the allowed list is what an open case can do', () => {
    const error = thrown(() => act('close', open(), ctxAt(later(NOW, HOUR)))) as IllegalTransitionError;
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect([...error.allowed].sort()).toEqual(['acknowledge', 'assign', 'edit', 'escalate', 'notes', 'out-of-scope', 're-evaluate']);
    expect(error.allowed).not.toContain('close');
  });

  it('a closed case accepts only notes and its review; editing it is refused', () => {
    const closed = walk(open(), ['acknowledge', 'resolve', 'close']);
    const error = thrown(() => editEscalation(closed, PatchEscalationRequest.parse({ title: 'new' }), ctxAt(later(NOW, 9 * HOUR))));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect((error as IllegalTransitionError).allowed).toEqual(['notes', 'review']);
    // A note is only appended to the timeline: the case itself stays as it is.
    const noted = act('notes', closed, ctxAt(later(NOW, 9 * HOUR)));
    expect(noted.next).toBe(closed);
    expect(noted.events.map((e) => e.type)).toEqual(['note_added']);
  });

  it.each([
    ['resolve', [] as ActionName[]],
    ['pause', [] as ActionName[]],
    ['updates', [] as ActionName[]],
    ['resume', ['acknowledge'] as ActionName[]],
    ['reopen', ['acknowledge'] as ActionName[]],
    ['updates', ['acknowledge', 'pause'] as ActionName[]],
    ['pause', ['acknowledge', 'pause'] as ActionName[]],
    ['escalate', ['acknowledge', 'resolve'] as ActionName[]],
    ['out-of-scope', ['acknowledge', 'resolve'] as ActionName[]],
    ['reopen', ['acknowledge', 'resolve', 'close'] as ActionName[]],
    ['acknowledge', ['out-of-scope'] as ActionName[]],
  ] as [ActionName, ActionName[]][])('%s after %j is an IllegalTransitionError and changes nothing', (action, path) => {
    const e = walk(open(), path);
    const snapshot = structuredClone(e);
    const error = thrown(() => act(action, e, ctxAt(later(NOW, 20 * HOUR))));
    expect(error).toBeInstanceOf(IllegalTransitionError);
    expect([...(error as IllegalTransitionError).allowed].sort()).toEqual(expectedAllowed(e.status));
    expect(e).toEqual(snapshot);
  });
});

describe('acknowledge', () => {
  it('defaults the owner to the actor and records acknowledgedAt and an acknowledged event', () => {
    const e = open('high');
    const now = later(NOW, 90 * MINUTE);
    const { next, events } = act('acknowledge', e, ctxAt(now, 'sam@example.com'));
    expect(next.owner).toBe('sam@example.com');
    expect(next.acknowledgedAt).toBe(now.toISOString());
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'acknowledged', actor: 'sam@example.com', at: now.toISOString() });
    expect(events[0]!.data).toMatchObject({ owner: 'sam@example.com', timeToAcknowledgeMs: 90 * MINUTE, onTime: true });
  });

  it('takes an explicit owner and the message for the customer', () => {
    const { next, events } = act('acknowledge', open(), ctxAt(later(NOW, HOUR)), { owner: 'Priya', message: 'We see the impact.' });
    expect(next.owner).toBe('Priya');
    expect(events[0]!.actor).toBe(ACTOR);
    expect(events[0]!.data).toMatchObject({ owner: 'Priya', message: 'We see the impact.' });
  });

  it('starts the update cadence from the acknowledgement', () => {
    const now = later(NOW, 30 * MINUTE);
    const { next } = act('acknowledge', open('critical'), ctxAt(now));
    expect(next.deadlines.nextUpdateBy).toBe(later(now, HOUR).toISOString());
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-02T11:00:00.000Z');
    expect(next.deadlines.resolveBy).toBe('2026-03-03T10:00:00.000Z');
  });

  it('records a late acknowledgement as not on time', () => {
    const { events } = act('acknowledge', open('critical'), ctxAt(later(NOW, HOUR + 1)));
    expect(events[0]!.data).toMatchObject({ onTime: false, acknowledgeBy: '2026-03-02T11:00:00.000Z' });
  });
});

describe('customer updates', () => {
  const acknowledged = () => act('acknowledge', open('high'), at('2026-03-02T10:30:00Z')).next;

  it('moves to in_progress and restarts the update clock', () => {
    const { next, events } = act('updates', acknowledged(), at('2026-03-02T12:00:00Z'));
    expect(next.status).toBe('in_progress');
    expect(next.deadlines.nextUpdateBy).toBe('2026-03-02T16:00:00.000Z');
    expect(events[0]).toMatchObject({ type: 'customer_updated', data: { onTime: true, dueBy: '2026-03-02T14:30:00.000Z' } });
  });

  it('keeps a promise to update sooner than the cadence, ignores a later one', () => {
    const sooner = act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T13:00:00Z' });
    expect(sooner.next.deadlines.nextUpdateBy).toBe('2026-03-02T13:00:00.000Z');
    const laterPromise = act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T20:00:00Z' });
    expect(laterPromise.next.deadlines.nextUpdateBy).toBe('2026-03-02T16:00:00.000Z');
  });

  it('refuses a promised update time in the past', () => {
    const error = thrown(() => act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T11:00:00Z' }));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).field).toBe('nextUpdateBy');
  });

  it('refuses a promised update time equal to now (written without milliseconds)', () => {
    // now = 12:00:00.000Z; "12:00:00Z" is the same instant, so not in the future.
    const error = thrown(() => act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T12:00:00Z' }));
    expect(error).toBeInstanceOf(RuleViolationError);
  });

  it('refuses a past promised update time written with a UTC offset', () => {
    // 13:00+02:00 is 11:00Z, one hour before now (12:00Z).
    const error = thrown(() =>
      act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T13:00:00+02:00' }),
    );
    expect(error).toBeInstanceOf(RuleViolationError);
  });

  it('property: a promised update time is accepted exactly when it is a future instant, whatever its offset', () => {
    const now = new Date('2026-03-02T12:00:00Z');
    const base = acknowledged();
    fc.assert(
      fc.property(fc.integer({ min: -6 * 60, max: 6 * 60 }), fc.integer({ min: -14, max: 14 }), (minutesFromNow, offsetHours) => {
        const instant = now.getTime() + minutesFromNow * MINUTE;
        const local = new Date(instant + offsetHours * HOUR).toISOString().slice(0, 19);
        const sign = offsetHours < 0 ? '-' : '+';
        const written = `${local}${sign}${String(Math.abs(offsetHours)).padStart(2, '0')}:00`;
        expect(Date.parse(written)).toBe(instant);
        let outcome: Change | unknown;
        try {
          outcome = act('updates', base, ctxAt(now), { message: 'm', nextUpdateBy: written });
        } catch (error) {
          outcome = error;
        }
        if (instant <= now.getTime()) {
          expect(outcome).toBeInstanceOf(RuleViolationError);
        } else {
          expect(outcome).not.toBeInstanceOf(Error);
          const next = (outcome as Change).next;
          expect(Date.parse(next.deadlines.nextUpdateBy)).toBe(Math.min(instant, now.getTime() + elapsedMs(playbook.severities.high.updateEvery)));
        }
      }),
    );
  });

  it('accepts a future promised update time written with a negative UTC offset', () => {
    // 08:00-05:00 is 13:00Z, one hour after now (12:00Z), sooner than the 4 h cadence.
    const { next } = act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T08:00:00-05:00' });
    expect(next.deadlines.nextUpdateBy).toBe('2026-03-02T13:00:00.000Z');
  });

  it('a later note or escalation does not forget the promised update time', () => {
    const promised = act('updates', acknowledged(), at('2026-03-02T12:00:00Z'), { message: 'm', nextUpdateBy: '2026-03-02T13:00:00Z' }).next;
    const noted = act('notes', promised, at('2026-03-02T12:10:00Z')).next;
    expect(noted.deadlines).toEqual(promised.deadlines);
    const escalated = act('escalate', promised, at('2026-03-02T12:10:00Z')).next;
    expect(escalated.deadlines).toEqual(promised.deadlines);
  });
});

describe('pause, resume and resolve', () => {
  it('pausing keeps the deadlines; resuming moves them by the paused length and records from / to', () => {
    const ack = act('acknowledge', open('critical'), at('2026-03-02T10:30:00Z')).next;
    const paused = act('pause', ack, at('2026-03-02T11:00:00Z'));
    expect(paused.next.sla.pausedSince).toBe('2026-03-02T11:00:00.000Z');
    expect(paused.next.deadlines).toEqual(ack.deadlines);
    expect(paused.events[0]).toMatchObject({ type: 'paused', actor: ACTOR, data: { reason: 'waiting for logs', from: '2026-03-02T11:00:00.000Z' } });

    const resumed = act('resume', paused.next, at('2026-03-02T13:00:00Z'));
    expect(resumed.next.status).toBe('in_progress');
    expect(resumed.next.sla.pausedSince).toBeUndefined();
    expect(resumed.next.sla.pausedMs).toBe(2 * HOUR);
    expect(resumed.next.deadlines.resolveBy).toBe('2026-03-03T12:00:00.000Z');
    expect(resumed.next.deadlines.nextUpdateBy).toBe('2026-03-02T13:30:00.000Z');
    expect(resumed.events[0]).toMatchObject({
      type: 'resumed',
      data: { from: '2026-03-02T11:00:00.000Z', to: '2026-03-02T13:00:00.000Z', pausedForMs: 2 * HOUR, note: 'logs received' },
    });
  });

  it('resolving records the resolution and schedules the follow-up 24 h later', () => {
    const ack = act('acknowledge', open('high'), at('2026-03-02T10:30:00Z')).next;
    const { next, events } = act('resolve', ack, at('2026-03-03T09:00:00Z'));
    expect(next.resolvedAt).toBe('2026-03-03T09:00:00.000Z');
    expect(next.resolution).toEqual({ rootCause: 'expired certificate', fix: 'renewed it', prevention: 'expiry alerts' });
    expect(next.deadlines.followUpAt).toBe('2026-03-04T09:00:00.000Z');
    expect(events[0]).toMatchObject({ type: 'resolved', data: { onTime: true, followUpAt: '2026-03-04T09:00:00.000Z' } });
  });

  it('resolving while waiting on the customer stops the pause and credits it', () => {
    const ack = act('acknowledge', open('critical'), at('2026-03-02T10:30:00Z')).next;
    const paused = act('pause', ack, at('2026-03-02T11:00:00Z')).next;
    const { next } = act('resolve', paused, at('2026-03-02T15:00:00Z'));
    expect(next.sla.pausedSince).toBeUndefined();
    expect(next.sla.pausedMs).toBe(4 * HOUR);
    expect(next.deadlines.resolveBy).toBe('2026-03-03T14:00:00.000Z');
  });

  it('a resolution within the SLA once paused time is credited is on time', () => {
    // critical: 24 h to resolve. Worked 1 h, waited on the customer 30 h, resolved 1 h later:
    // 2 h of running clock, well inside the target, though 32 h of wall time have passed.
    const ack = act('acknowledge', open('critical'), at('2026-03-02T10:30:00Z')).next;
    const paused = act('pause', ack, at('2026-03-02T11:00:00Z')).next;
    const { next, events } = act('resolve', paused, at('2026-03-03T17:00:00Z'));
    expect(next.deadlines.resolveBy).toBe('2026-03-04T16:00:00.000Z');
    expect(events[0]!.data).toMatchObject({ onTime: true });
  });

  it('a late resolution is recorded as not on time', () => {
    const ack = act('acknowledge', open('critical'), at('2026-03-02T10:30:00Z')).next;
    const { events } = act('resolve', ack, at('2026-03-03T10:00:01Z'));
    expect(events[0]!.data).toMatchObject({ onTime: false });
  });
});

describe('editEscalation', () => {
  const patch = (body: unknown) => PatchEscalationRequest.parse(body);

  it('a severity change recomputes deadlines from createdAt and records why', () => {
    const e = open('medium');
    const now = at('2026-03-02T10:20:00Z');
    const { next, events } = editEscalation(e, patch({ severity: 'critical', reason: 'whole region is down' }), now);
    expect(next.severity).toBe('critical');
    expect(next.deadlines).toEqual({
      acknowledgeBy: '2026-03-02T11:00:00.000Z',
      nextUpdateBy: '2026-03-02T11:00:00.000Z',
      resolveBy: '2026-03-03T10:00:00.000Z',
    });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'severity_changed',
      actor: ACTOR,
      at: '2026-03-02T10:20:00.000Z',
      data: { from: 'medium', to: 'critical', reason: 'whole region is down', previousDeadlines: e.deadlines, deadlines: next.deadlines },
    });
    expect(events[0]!.summary).toContain('whole region is down');
  });

  it('a severity change after acknowledgement and a pause keeps the update clock and the paused time', () => {
    // Account in Europe/Berlin, Mon–Fri 09:00–17:00. Reported Mon 11:00, acknowledged 12:00, paused 13:00–16:00 Berlin.
    let e = act('acknowledge', open('low'), at('2026-03-02T11:00:00Z')).next;
    e = act('pause', e, at('2026-03-02T12:00:00Z')).next;
    e = act('resume', e, at('2026-03-02T15:00:00Z')).next;
    const { next, events } = editEscalation(e, patch({ severity: 'high', reason: 'more users affected' }), at('2026-03-02T16:00:00Z'));
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-02T14:00:00.000Z'); // 11:00 + 4 working hours = 15:00 Berlin
    expect(next.deadlines.nextUpdateBy).toBe('2026-03-03T10:00:00.000Z'); // 12–13, 16–17 Mon, 09–11 Tue Berlin
    expect(next.deadlines.resolveBy).toBe('2026-03-05T13:00:00.000Z'); // 3 working days (Thu 11:00 Berlin), the 3 paused working hours given back
    expect(events[0]!.data).toMatchObject({ policy: { calendar: 'business', timeZone: 'Europe/Berlin', acknowledgeWithin: '4h', source: 'case snapshot' } });
  });

  it('a severity change into a 24×7 severity counts on the wall clock from then on', () => {
    // Reported Friday 16:00 Berlin as high; raised to critical at 16:30: 1 h from the report, day or night.
    const e = openEscalation('esc-1', input('high'), ctxAt('2026-03-06T15:00:00Z')).next;
    expect(e.deadlines.acknowledgeBy).toBe('2026-03-09T11:00:00.000Z');
    const { next } = editEscalation(e, patch({ severity: 'critical', reason: 'all stores down' }), at('2026-03-06T15:30:00Z'));
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-06T16:00:00.000Z');
    expect(next.deadlines.resolveBy).toBe('2026-03-07T15:00:00.000Z');
  });

  it('a downgrade moves deadlines later and an upgrade moves them earlier, never before intake', () => {
    const rank = (severity: (typeof SEVERITIES)[number]) => SEVERITIES.indexOf(severity);
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.constantFrom(...SEVERITIES), (from, to) => {
        const e = open(from);
        const { next } = editEscalation(e, patch({ severity: to, reason: 'reassessed' }), at('2026-03-02T10:05:00Z'));
        // Recomputed from intake with the case's own policy, in the new severity's calendar.
        const calendar = calendarFor(e.policy!, to);
        const t = e.policy!.targets[to];
        expect(workingTimeBetween(calendar, NOW.getTime(), Date.parse(next.deadlines.acknowledgeBy))).toBe(heldFrom(calendar, NOW.getTime(), t.acknowledgeWithin));
        expect(workingTimeBetween(calendar, NOW.getTime(), Date.parse(next.deadlines.resolveBy))).toBe(heldFrom(calendar, NOW.getTime(), t.resolveWithin));
        const [a, b] = [Date.parse(e.deadlines.acknowledgeBy), Date.parse(next.deadlines.acknowledgeBy)];
        if (rank(to) > rank(from)) expect(b).toBeGreaterThan(a);
        if (rank(to) < rank(from)) expect(b).toBeLessThan(a);
        expect(b).toBeGreaterThan(NOW.getTime());
        expect(next.version).toBe(from === to ? 1 : 2);
      }),
    );
  });

  it('other edits record an edited event naming the fields, and no severity_changed', () => {
    const { next, events } = editEscalation(open(), patch({ title: 'Checkout fully down', executiveInvolved: true }), at('2026-03-02T11:00:00Z'));
    expect(next.title).toBe('Checkout fully down');
    expect(events.map((e) => e.type)).toEqual(['edited']);
    expect(events[0]!.data).toMatchObject({ fields: ['title', 'executiveInvolved'] });
  });

  it('an edit that changes nothing is not a change: no events, no new version', () => {
    const e = open();
    const { next, events } = editEscalation(e, patch({ title: e.title, severity: e.severity, reason: 'same' }), at('2026-03-02T11:00:00Z'));
    expect(events).toEqual([]);
    expect(next).toEqual(e);
  });
});

describe('escalate', () => {
  it('climbs one tier at a time, adding that tier to routedTo, and refuses past the top', () => {
    let e = open('low');
    expect(e.tier).toBe(0);
    const expected = [['support_lead', 'csm_manager'], ['vp_customer_success'], ['executive_sponsor']];
    for (let tier = 1; tier <= 3; tier++) {
      const { next, events } = act('escalate', e, ctxAt(later(NOW, tier * HOUR)));
      expect(next.tier).toBe(tier);
      expect(next.routedTo).toEqual(expect.arrayContaining([...e.routedTo, ...expected[tier - 1]!]));
      expect(new Set(next.routedTo).size).toBe(next.routedTo.length);
      expect(events[0]).toMatchObject({ type: 'escalated', data: { tier, roles: expected[tier - 1], reason: 'acknowledgement deadline missed' } });
      e = next;
    }
    const error = thrown(() => act('escalate', e, ctxAt(later(NOW, 4 * HOUR))));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect(error).not.toBeInstanceOf(IllegalTransitionError);
    expect(e.tier).toBe(3);
  });

  it('uses the configured ladder', () => {
    const custom = parsePlaybook({ ladder: [['vp_customer_success']] });
    const ctx = { now: later(NOW, HOUR), actor: ACTOR, playbook: custom };
    const e = openEscalation('esc-9', input('low'), { now: NOW, actor: ACTOR, playbook: custom }).next;
    const once = applyAction('escalate', e, { reason: 'r' }, ctx).next;
    expect(once.tier).toBe(1);
    expect(once.routedTo).toContain('vp_customer_success');
    expect(() => applyAction('escalate', once, { reason: 'r' }, ctx)).toThrow(RuleViolationError);
  });
});

describe('bookkeeping shared by every command', () => {
  /** A case in a status from which the action is allowed. */
  const SETUP: Record<ActionName, ActionName[]> = {
    acknowledge: [],
    updates: ['acknowledge'],
    escalate: [],
    assign: [],
    resolve: ['acknowledge'],
    'out-of-scope': [],
    pause: ['acknowledge'],
    resume: ['acknowledge', 'pause'],
    reopen: ['acknowledge', 'resolve'],
    close: ['acknowledge', 'resolve'],
    notes: [],
    're-evaluate': [],
    review: ['acknowledge', 'resolve'],
  };

  const CHANGING_ACTIONS = ACTION_NAMES.filter((action) => action !== 'notes');

  it.each(CHANGING_ACTIONS)('%s increments version by exactly 1, sets updatedAt to ctx.now, and does not mutate its input', (action) => {
    const e = walk(open(), SETUP[action]);
    const snapshot = structuredClone(e);
    const now = later(NOW, 7 * HOUR + 123);
    const { next, events } = act(action, e, ctxAt(now, 'lee@example.com'));
    expect(next.version).toBe(e.version + 1);
    expect(next.updatedAt).toBe(now.toISOString());
    expect(next.createdAt).toBe(e.createdAt);
    expect(next.id).toBe(e.id);
    expect(events.length).toBeGreaterThan(0);
    for (const ev of events) expect(ev).toMatchObject({ at: now.toISOString(), actor: 'lee@example.com' });
    expect(e).toEqual(snapshot);
  });

  it('notes leaves the case as it is (same object) and only adds its event, at ctx.now, by the actor', () => {
    const e = open();
    const now = later(NOW, 7 * HOUR);
    const { next, events } = act('notes', e, ctxAt(now, 'lee@example.com'), { text: 'called them' });
    expect(next).toBe(e);
    expect(events).toEqual([{ type: 'note_added', at: now.toISOString(), actor: 'lee@example.com', summary: 'called them' }]);
  });

  it('editEscalation increments version by exactly 1 and sets updatedAt', () => {
    const e = open();
    const now = later(NOW, 5 * HOUR);
    const { next } = editEscalation(e, PatchEscalationRequest.parse({ businessImpact: 'orders lost' }), ctxAt(now));
    expect(next.version).toBe(e.version + 1);
    expect(next.updatedAt).toBe(now.toISOString());
  });

  it('a new case starts at version 1, open, tier 0, created and updated at intake', () => {
    const { next, events } = openEscalation('esc-1', input('critical'), ctxAt(NOW));
    expect(next).toMatchObject({ version: 1, status: 'open', tier: 0, reopenCount: 0, createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() });
    expect(events.map((e) => e.type)).toEqual(['created']);
  });
});

describe('property: any sequence of actions follows the table', () => {
  type Step = { move: Move; gap: number; severity: (typeof SEVERITIES)[number] };
  const stepArb: fc.Arbitrary<Step> = fc.record({
    move: fc.constantFrom(...MOVES),
    gap: fc.integer({ min: 0, max: 3 * DAY }),
    severity: fc.constantFrom(...SEVERITIES),
  });

  it('either throws IllegalTransitionError / RuleViolationError or lands where the table says; version = 1 + applied changes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.array(stepArb, { maxLength: 40 }), (severity, steps) => {
        let e = open(severity);
        const createdAt = Date.parse(e.createdAt);
        let t = createdAt;
        let applied = 0;
        for (const { move, gap, severity: newSeverity } of steps) {
          t += gap;
          const ctx = ctxAt(t);
          const before = e;
          const snapshot = structuredClone(e);
          const legal = TABLE[move].from.includes(before.status);
          const atTop = move === 'escalate' && before.tier >= playbook.ladder.length;
          const ownsAlready = move === 'assign' && before.owner === ACTION_BODIES.assign.owner;
          let change: Change;
          try {
            change =
              move === 'edit'
                ? editEscalation(before, PatchEscalationRequest.parse({ severity: newSeverity, reason: 'reassessed' }), ctx)
                : act(move, before, ctx);
          } catch (error) {
            if (!legal) {
              expect(error).toBeInstanceOf(IllegalTransitionError);
              expect([...(error as IllegalTransitionError).allowed].sort()).toEqual(expectedAllowed(before.status));
            } else if (move === 'review' && before.review) {
              // A review is recorded once.
              expect(error).toBeInstanceOf(AlreadyAnsweredError);
            } else if (move === 'review') {
              // Its item's due day has passed by now (the steps may run months on).
              expect(error).toBeInstanceOf(RuleViolationError);
              expect((error as RuleViolationError).message).toContain('has passed');
            } else {
              expect(atTop || ownsAlready).toBe(true);
              expect(error).toBeInstanceOf(RuleViolationError);
            }
            expect(before).toEqual(snapshot);
            continue;
          }
          expect(legal).toBe(true);
          expect(atTop || ownsAlready).toBe(false);
          if (move === 'review') expect(before.review).toBeUndefined();
          if (move === 'assign') expect(change.next.owner).toBe(ACTION_BODIES.assign.owner);
          // An edit to the same severity changes nothing; a note only appends to the timeline.
          const noop = (move === 'edit' && newSeverity === before.severity) || move === 'notes';
          if (!noop) applied++;
          e = change.next;

          const expectedStatus = TABLE[move].to === 'same' ? before.status : TABLE[move].to;
          expect(e.status).toBe(expectedStatus);
          expect(e.version).toBe(1 + applied);
          if (!noop) expect(e.updatedAt).toBe(ctx.now.toISOString());

          // Invariants of the SLA clock and the deadlines.
          if (e.status === 'waiting_on_customer') expect(e.sla.pausedSince).toBeDefined();
          if (e.status !== 'waiting_on_customer' && e.status !== 'out_of_scope') expect(e.sla.pausedSince).toBeUndefined();
          // resolveBy is the first instant by which the working time the target holds has run, pauses
          // skipped (for whole days, the next working moment from there); acknowledgeBy likewise from
          // intake (a case is paused only once acknowledged).
          const calendar = calendarFor(e.policy!, e.severity);
          const pauses = closedPauses(e.sla);
          const target = e.policy!.targets[e.severity];
          const resolveBy = Date.parse(e.deadlines.resolveBy);
          const held = heldFrom(calendar, createdAt, target.resolveWithin);
          expect(workingTimeBetween(calendar, createdAt, resolveBy, pauses)).toBe(held);
          if (isOpenAt(calendar, resolveBy - 1)) expect(workingTimeBetween(calendar, createdAt, resolveBy - 1, pauses)).toBeLessThan(held);
          if (countsWorkingDays(target.resolveWithin, calendar)) expect(isOpenAt(calendar, resolveBy)).toBe(true);
          expect(workingTimeBetween(calendar, createdAt, Date.parse(e.deadlines.acknowledgeBy))).toBe(heldFrom(calendar, createdAt, target.acknowledgeWithin));
          for (const d of Object.values(e.deadlines)) expect(Date.parse(d!)).toBeGreaterThanOrEqual(createdAt);
          // Every pause is a record of who and why; the total is the sum of the closed ones.
          const closed = (e.sla.pauses ?? []).filter((pause) => pause.to);
          expect(e.sla.pausedMs).toBe(closed.reduce((sum, pause) => sum + Date.parse(pause.to!) - Date.parse(pause.from), 0));
          for (const pause of e.sla.pauses ?? []) expect(pause).toMatchObject({ by: ACTOR, reason: 'waiting for logs' });
          // Same playbook throughout: re-evaluating retakes the same policy.
          expect({ ...e.policy, takenAt: '' }).toEqual({ ...open(severity).policy, takenAt: '' });
          expect(e.resolvedAt !== undefined).toBe(e.status === 'resolved' || e.status === 'closed');
          expect(e.deadlines.followUpAt !== undefined).toBe(e.resolvedAt !== undefined);
          expect(e.tier).toBeGreaterThanOrEqual(0);
          expect(e.tier).toBeLessThanOrEqual(playbook.ladder.length);
          if (e.status === 'open') expect(e.acknowledgedAt).toBeUndefined();
          if (!['open', 'out_of_scope'].includes(e.status)) expect(e.acknowledgedAt).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('reportedAt: every clock starts when the customer raised it', () => {
  const reported = (reportedAt: string | undefined, now: string) =>
    openEscalation('esc-1', CreateEscalationRequest.parse(validBody({ severity: 'high', ...(reportedAt && { reportedAt }) })), ctxAt(now));

  it('counts from reportedAt; createdAt stays the moment the case was written', () => {
    // Raised Friday 16:00 Berlin, typed in on Monday 08:00 Berlin: acknowledgement is due Monday 12:00 Berlin all the same.
    const { next, events } = reported('2026-03-06T16:00:00+01:00', '2026-03-09T07:00:00Z');
    expect(next.reportedAt).toBe('2026-03-06T15:00:00.000Z');
    expect(next.createdAt).toBe('2026-03-09T07:00:00.000Z');
    expect(next.sla.startedAt).toBe('2026-03-06T15:00:00.000Z');
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-09T11:00:00.000Z');
    expect(events[0]!.data).toMatchObject({ reportedAt: '2026-03-06T15:00:00.000Z', calendar: 'business', timeZone: 'Europe/Berlin' });
  });

  it('defaults to now', () => {
    const { next } = reported(undefined, '2026-03-09T07:00:00Z');
    expect(next.reportedAt).toBe('2026-03-09T07:00:00.000Z');
    expect(next.sla.startedAt).toBe(next.createdAt);
  });

  it('is never in the future: a few minutes of client clock skew is taken as now, more is refused naming the field', () => {
    expect(reported('2026-03-09T07:03:00Z', '2026-03-09T07:00:00Z').next.reportedAt).toBe('2026-03-09T07:00:00.000Z');
    const error = thrown(() => reported('2026-03-09T08:00:00Z', '2026-03-09T07:00:00Z'));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).field).toBe('reportedAt');
  });

  it('time to acknowledge is measured from reportedAt, with the working time the SLA counted beside it', () => {
    const e = reported('2026-03-06T16:00:00+01:00', '2026-03-09T07:00:00Z').next;
    const { events } = act('acknowledge', e, at('2026-03-09T09:30:00Z')); // Monday 10:30 Berlin
    expect(events[0]!.data).toMatchObject({ timeToAcknowledgeMs: 66.5 * HOUR, workingTimeToAcknowledgeMs: 2.5 * HOUR, onTime: true });
  });
});

describe('pauses are records', () => {
  it('who paused, why, from and to, and who resumed are on the clock and on the timeline', () => {
    const ack = act('acknowledge', open('critical'), at('2026-03-02T10:30:00Z')).next;
    const paused = act('pause', ack, ctxAt('2026-03-02T11:00:00Z', 'sam@example.com'));
    expect(paused.next.sla.pauses).toEqual([{ from: '2026-03-02T11:00:00.000Z', by: 'sam@example.com', reason: 'waiting for logs' }]);
    expect(paused.events[0]!.data).toMatchObject({ by: 'sam@example.com', reason: 'waiting for logs', from: '2026-03-02T11:00:00.000Z' });
    const resumed = act('resume', paused.next, ctxAt('2026-03-02T12:00:00Z', 'lee@example.com'));
    const record = { from: '2026-03-02T11:00:00.000Z', to: '2026-03-02T12:00:00.000Z', by: 'sam@example.com', reason: 'waiting for logs', resumedBy: 'lee@example.com' };
    expect(resumed.next.sla.pauses).toEqual([record]);
    expect(resumed.events[0]!.data).toMatchObject({ pause: record, previousDeadlines: paused.next.deadlines, deadlines: resumed.next.deadlines });
  });
});

describe('the policy a case started with', () => {
  const stricter = parsePlaybook({
    severities: { high: { acknowledgeWithin: '1h', updateEvery: '2h', resolveWithin: '24h' } },
    calendars: { business: { week: { mon: [['08:00', '20:00']] } } },
  });
  const ctxWith = (now: string, playbook = stricter): Context => ({ now: new Date(now), actor: ACTOR, playbook });

  it('keeps its targets and calendar when the playbook changes: later changes recompute from the snapshot', () => {
    const e = open('high'); // default playbook: 4 h, Mon–Fri 09:00–17:00 Berlin
    const noted = applyAction('notes', e, { text: 'n' }, ctxWith('2026-03-02T11:00:00Z')).next;
    expect(noted.deadlines).toEqual(e.deadlines);
    const acked = applyAction('acknowledge', noted, {}, ctxWith('2026-03-02T11:00:00Z')).next;
    expect(acked.deadlines.nextUpdateBy).toBe('2026-03-02T15:00:00.000Z'); // 4 h (the snapshot), not 2 h
    const raised = editEscalation(acked, PatchEscalationRequest.parse({ severity: 'medium', reason: 'r' }), ctxWith('2026-03-02T11:30:00Z')).next;
    expect(raised.deadlines.acknowledgeBy).toBe(open('medium').deadlines.acknowledgeBy);
    expect(raised.policy).toEqual(e.policy);
  });

  it('a new case takes the playbook as it is now', () => {
    const e = openEscalation('esc-2', input('high'), ctxWith(NOW.toISOString())).next;
    expect(e.deadlines.acknowledgeBy).toBe('2026-03-02T11:00:00.000Z');
    expect(e.policy!.targets.high.acknowledgeWithin).toEqual({ amount: 1, unit: 'hours' });
  });

  it('re-evaluate takes the current playbook, recomputes and records the change with before and after', () => {
    const e = act('acknowledge', open('high'), at('2026-03-02T10:30:00Z')).next;
    const { next, events } = applyAction('re-evaluate', e, { reason: 'new support hours' }, ctxWith('2026-03-02T11:00:00Z'));
    expect(next.policy!.targets.high).toEqual({ acknowledgeWithin: { amount: 1, unit: 'hours' }, updateEvery: { amount: 2, unit: 'hours' }, resolveWithin: { amount: 24, unit: 'hours' } });
    expect(next.policy!.takenAt).toBe('2026-03-02T11:00:00.000Z');
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-02T11:00:00.000Z');
    expect(next.deadlines.nextUpdateBy).toBe('2026-03-02T12:30:00.000Z');
    // 24 working hours from Mon 11:00 Berlin: Mon 11:00–20:00 (9 h), Tue 09:00–17:00 (8 h), Wed 09:00–16:00 (7 h).
    expect(next.deadlines.resolveBy).toBe('2026-03-04T15:00:00.000Z');
    expect(events).toEqual([
      expect.objectContaining({
        type: 're_evaluated',
        actor: ACTOR,
        data: {
          reason: 'new support hours',
          before: { policy: expect.objectContaining({ acknowledgeWithin: '4h', source: 'case snapshot', takenAt: NOW.toISOString() }), deadlines: e.deadlines },
          after: { policy: expect.objectContaining({ acknowledgeWithin: '1h', calendar: 'business', timeZone: 'Europe/Berlin' }), deadlines: next.deadlines },
          changed: ['acknowledgeBy', 'nextUpdateBy', 'resolveBy'],
        },
      }),
    ]);
    expect(events[0]!.summary).toContain('new support hours');
  });

  it('re-evaluate is refused once the case is closed', () => {
    const closed = walk(open(), ['acknowledge', 'resolve', 'close']);
    expect(thrown(() => act('re-evaluate', closed, ctxAt(later(NOW, 9 * HOUR))))).toBeInstanceOf(IllegalTransitionError);
  });
});

describe('assign: a case changes hands', () => {
  const assign = (current: Escalation, owner: string, now = later(NOW, 2 * HOUR), actor = 'lead@example.com') =>
    applyAction('assign', current, ActionRequests.assign.parse({ owner, reason: 'Kim knows this integration best' }), ctxAt(now, actor));

  it.each([
    ['open', [] as ActionName[]],
    ['acknowledged', ['acknowledge'] as ActionName[]],
    ['in_progress', ['acknowledge', 'updates'] as ActionName[]],
    ['waiting_on_customer', ['acknowledge', 'pause'] as ActionName[]],
  ])('works from %s: the owner changes, nothing else does, and the timeline says who gave it to whom and why', (status, path) => {
    const before = walk(open(), path);
    expect(before.status).toBe(status);
    const now = later(NOW, 30 * HOUR);
    const { next, events } = assign(before, 'kim@example.com', now);
    expect(next).toMatchObject({ owner: 'kim@example.com', status, deadlines: before.deadlines, tier: before.tier, sla: before.sla });
    expect(events).toEqual([
      {
        type: 'assigned',
        at: now.toISOString(),
        actor: 'lead@example.com',
        summary: `${before.owner ?? 'nobody'} → kim@example.com: Kim knows this integration best`,
        data: { from: before.owner ?? null, to: 'kim@example.com', reason: 'Kim knows this integration best' },
      },
    ]);
  });

  it('emails the new owner, and only them, a handoff with the case context that fills every variable of its template', () => {
    const acknowledged = walk(open(), ['acknowledge']);
    const { next, notifications } = assign(acknowledged, 'kim@example.com');
    expect(notifications).toHaveLength(1);
    const [handoff] = notifications!;
    expect(handoff).toMatchObject({ template: 'case_assigned', audience: 'internal', to: ['kim@example.com'] });
    expect(handoff!.id).toBe(`v${next.version}:case_assigned`);
    expect(handoff!.data).toMatchObject({
      caseId: next.id,
      title: next.title,
      accountName: next.customer.name,
      previousOwner: ACTOR,
      assignedBy: 'lead@example.com',
      reason: 'Kim knows this integration best',
      status: 'acknowledged',
      nextUpdateBy: next.deadlines.nextUpdateBy,
    });
    expect(missingVariables('case_assigned', handoff!.data)).toEqual([]);
    // Nobody held it before: the template's "it was with" branch is skipped, yet its variable is there.
    const first = assign(open(), 'kim@example.com').notifications![0]!;
    expect(first.data.previousOwner).toBe('');
    expect(missingVariables('case_assigned', first.data)).toEqual([]);
  });

  it('refuses to hand a case to whoever holds it already (addresses compared without case), changing nothing', () => {
    const held = assign(open(), 'kim@example.com').next;
    const snapshot = structuredClone(held);
    const error = thrown(() => assign(held, 'Kim@Example.com', later(NOW, 3 * HOUR)));
    expect(error).toBeInstanceOf(RuleViolationError);
    expect((error as RuleViolationError).field).toBe('owner');
    expect(held).toEqual(snapshot);
  });

  it.each([
    ['resolved', ['acknowledge', 'resolve'] as ActionName[]],
    ['closed', ['acknowledge', 'resolve', 'close'] as ActionName[]],
    ['out_of_scope', ['out-of-scope'] as ActionName[]],
  ])('is refused once the case is %s', (_, path) => {
    expect(thrown(() => assign(walk(open(), path), 'kim@example.com', later(NOW, 20 * HOUR)))).toBeInstanceOf(IllegalTransitionError);
  });

  it('needs an email address to send the handoff to, and a reason', () => {
    expect(ActionRequests.assign.safeParse({ owner: 'Kim', reason: 'x' }).error?.issues[0]?.path).toEqual(['owner']);
    expect(ActionRequests.assign.safeParse({ owner: 'kim@example.com' }).error?.issues[0]?.path).toEqual(['reason']);
  });
});

describe('PATCH customer: the account facts change after intake', () => {
  const edit = (current: Escalation, customer: Record<string, unknown>, now = later(NOW, 2 * HOUR), reason?: string) =>
    editEscalation(current, PatchEscalationRequest.parse({ customer, ...(reason && { reason }) }), ctxAt(now));
  const dana = { email: 'cto@acme.example', name: 'Dana', role: 'CTO' };
  const lee = { email: 'lee@acme.example', name: 'Lee' };

  it('replaces the contacts with the list sent, records who came and went, and the next customer email goes to the new list', () => {
    const acknowledged = walk(open(), ['acknowledge']);
    const { next, events } = edit(acknowledged, { contacts: [dana, lee] }, later(NOW, 2 * HOUR), 'Lee runs the integration');
    expect(next.customer.contacts).toEqual([dana, lee]);
    expect(next.customer.accountId).toBe(acknowledged.customer.accountId);
    // What the contact directory learns from the stored change (usecases/case-changes.ts).
    expect(contactsAddedTo(acknowledged.customer.contacts, next.customer.contacts)).toEqual([lee]);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'customer_changed',
        summary: 'customer facts changed: contacts (added lee@acme.example): Lee runs the integration',
        data: { fields: ['contacts'], before: { contacts: [dana] }, after: { contacts: [dana, lee] }, contactsAdded: ['lee@acme.example'], contactsRemoved: [], reason: 'Lee runs the integration' },
      }),
    ]);
    const update = act('updates', next, ctxAt(later(NOW, 3 * HOUR)));
    expect(update.notifications!.map((n) => n.to)).toEqual([['cto@acme.example'], ['lee@acme.example']]);

    const swapped = edit(next, { contacts: [lee] }, later(NOW, 4 * HOUR));
    expect(contactsAddedTo(next.customer.contacts, swapped.next.customer.contacts)).toEqual([]);
    expect(contactsAddedTo([dana], [{ ...dana, email: 'CTO@acme.example' }])).toEqual([]);
    expect(swapped.events[0]!.data).toMatchObject({ contactsAdded: [], contactsRemoved: ['cto@acme.example'] });
  });

  it('changes segment, ARR, health score and renewal date, with before and after, and moves no deadline', () => {
    const before = open();
    const { next, events } = edit(before, { segment: 'mid_market', arr: 80_000, healthScore: 30, renewalDate: '2026-12-31' });
    expect(next.customer).toMatchObject({ segment: 'mid_market', arr: 80_000, healthScore: 30, renewalDate: '2026-12-31', timezone: 'Europe/Berlin' });
    expect(next.deadlines).toEqual(before.deadlines);
    expect(events[0]!.data).toEqual({
      fields: ['segment', 'arr', 'healthScore', 'renewalDate'],
      before: { segment: 'enterprise', arr: 120_000, healthScore: 55, renewalDate: '2026-09-30' },
      after: { segment: 'mid_market', arr: 80_000, healthScore: 30, renewalDate: '2026-12-31' },
    });
  });

  it('sending what is stored already changes nothing', () => {
    const before = open();
    expect(edit(before, { contacts: [dana], healthScore: 55 })).toEqual({ next: before, events: [] });
  });

  it('a new time zone re-counts the open deadlines in it, with the case\'s own targets, and says which moved', () => {
    // High: 4 working hours to acknowledge, Mon–Fri 09:00–17:00. Reported Mon 2 March 10:00 UTC = 11:00 Berlin.
    const before = open('high');
    expect(before.deadlines.acknowledgeBy).toBe('2026-03-02T14:00:00.000Z');
    const { next, events } = edit(before, { timezone: 'America/New_York' });
    // 05:00 in New York: the four hours run 09:00–13:00 there (UTC−5).
    expect(next.deadlines.acknowledgeBy).toBe('2026-03-02T18:00:00.000Z');
    expect(next.policy).toMatchObject({ timeZone: 'America/New_York', timeZoneSource: 'account', targets: before.policy!.targets, takenAt: before.policy!.takenAt });
    expect(events[0]!.data).toMatchObject({
      timeZone: { from: 'Europe/Berlin', to: 'America/New_York' },
      previousDeadlines: before.deadlines,
      deadlines: next.deadlines,
      moved: expect.arrayContaining(['acknowledgeBy', 'resolveBy']),
      policy: { calendar: 'business', timeZone: 'America/New_York' },
    });
    expect(events[0]!.summary).toContain('time zone Europe/Berlin → America/New_York (moved ');
  });

  it('a calendar the playbook pinned to a zone of its own keeps it when the account moves', () => {
    const pinned = parsePlaybook({ calendars: { business: { timeZone: 'Asia/Tokyo' } } });
    const ctx = { now: NOW, actor: ACTOR, playbook: pinned };
    const before = openEscalation('esc-7', input('high'), ctx).next;
    const { next } = editEscalation(before, PatchEscalationRequest.parse({ customer: { timezone: 'America/New_York' } }), { ...ctx, now: later(NOW, HOUR) });
    expect(calendarFor(next.policy!, 'high').timeZone).toBe('Asia/Tokyo');
    expect(next.deadlines).toEqual(before.deadlines);
    expect(next.policy!.timeZone).toBe('America/New_York');
  });

  it('property: moving the account to another zone gives the deadlines the case would have had, opened in that zone', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney', 'UTC', 'America/Sao_Paulo'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.constantFrom(...zones), fc.integer({ min: 0, max: 14 * DAY }), fc.constantFrom(...SEVERITIES), (from, to, offset, severity) => {
        const reportedAt = later(NOW, offset);
        const openIn = (timezone: string) => openEscalation('esc-z', CreateEscalationRequest.parse(validBody({ severity, customer: { ...validBody().customer as object, timezone } })), ctxAt(reportedAt)).next;
        const moved = editEscalation(openIn(from), PatchEscalationRequest.parse({ customer: { timezone: to } }), ctxAt(later(reportedAt, MINUTE))).next;
        expect(moved.deadlines).toEqual(openIn(to).deadlines);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps contacts unique and bounded, the account\'s identity fixed, and refuses an empty change, naming the field', () => {
    const issue = (customer: unknown) => PatchEscalationRequest.safeParse({ customer }).error?.issues.map((i) => i.path.join('.'));
    expect(issue({ contacts: [dana, { email: 'CTO@acme.example' }] })).toEqual(['customer.contacts.1.email']);
    expect(issue({ contacts: [] })).toEqual(['customer.contacts']);
    expect(issue({ contacts: Array.from({ length: 21 }, (_, i) => ({ email: `c${i}@acme.example` })) })).toEqual(['customer.contacts']);
    expect(issue({ accountId: 'another' })).toEqual(['customer']);
    expect(issue({ timezone: 'Mars/Olympus' })).toEqual(['customer.timezone']);
    expect(issue({})).toEqual(['customer']);
  });
});
