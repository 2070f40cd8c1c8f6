import type { ActionInput, ActionName, EscalationEdits } from './commands';
import { assignmentFacts, toCustomer, toInternal } from './communications';
import { computeDeadlines, pauseClock, restartUpdateClock, resumeClock, workingTimeSpent, type Deadlines } from './deadlines';
import { AlreadyAnsweredError, IllegalTransitionError, RuleViolationError } from './errors';
import { retainUntilFor, type Change, type Context, type Customer, type Escalation, type EventType, type TimelineEvent } from './escalation';
import { recordReview } from './review';
import { rolesForTier, routeAtIntake, topTier, unique } from './routing';
import { calendarFor, snapshotPolicy, withAccountTimeZone, type SlaPolicy } from './sla-policy';
import { formatTarget } from './sla-target';
import { ACTIVE_STATUSES, type Severity, type Status } from './vocabulary';

/**
 * Every pause is kept on the case (who, why, from, to); a case item must stay under DynamoDB's
 * 400 KB, and a pause with its reason takes up to about 2 KB.
 */
export const MAX_PAUSES = 100;

const ACTIVE: readonly Status[] = ACTIVE_STATUSES;
const WORKING: Status[] = ['acknowledged', 'in_progress', 'waiting_on_customer'];

/** Actions that change nothing about the case, only add to its timeline (their command returns the case itself). */
export const APPEND_ONLY_ACTIONS: ReadonlySet<ActionName> = new Set<ActionName>(['notes']);

/** Which statuses each action may start from. The lifecycle of PLAYBOOK.md §5 in one table. */
export const ALLOWED_FROM: Record<ActionName | 'edit', readonly Status[]> = {
  acknowledge: ['open'],
  // Ownership can move at any point of the active work, even before anyone acknowledged it.
  assign: ACTIVE,
  updates: ['acknowledged', 'in_progress'],
  escalate: ACTIVE,
  resolve: WORKING,
  'out-of-scope': ACTIVE,
  pause: ['acknowledged', 'in_progress'],
  resume: ['waiting_on_customer'],
  reopen: ['resolved'],
  close: ['resolved'],
  notes: ['open', 'acknowledged', 'in_progress', 'waiting_on_customer', 'resolved', 'closed', 'out_of_scope'],
  're-evaluate': [...ACTIVE, 'resolved'],
  // The blameless review follows the resolution, before or after the case closes.
  review: ['resolved', 'closed'],
  edit: [...ACTIVE, 'resolved'],
};

export function allowedActions(status: Status): string[] {
  return Object.entries(ALLOWED_FROM)
    .filter(([, from]) => from.includes(status))
    .map(([action]) => action);
}

function assertAllowed(action: ActionName | 'edit', current: Escalation) {
  if (current.erasedAt) throw new RuleViolationError(`this escalation's personal data was erased on ${current.erasedAt}; it takes no more changes`);
  if (!ALLOWED_FROM[action].includes(current.status)) {
    throw new IllegalTransitionError(action, current.status, allowedActions(current.status));
  }
}

/**
 * The next version of the case with the bookkeeping every change shares. Deadlines are
 * recomputed from the case's own policy (the playbook as it was at intake), never from
 * the playbook as it is now, unless the case predates policies.
 */
function advance(current: Escalation, changes: Partial<Escalation>, ctx: Context): Escalation {
  const next = { ...current, ...changes, version: current.version + 1, updatedAt: ctx.now.toISOString() };
  next.deadlines = computeDeadlines(next.severity, next.sla, next.policy, next.resolvedAt);
  return next;
}

/** SLA time (the calendar's working time, pauses skipped) from when the customer raised it to now. */
function workingTimeSince(current: Escalation, sla: Escalation['sla'], ctx: Context): number {
  return workingTimeSpent(current.policy, current.severity, sla, sla.startedAt, ctx.now.toISOString());
}

/** What a person needs to see of a policy on the timeline: the targets and calendar of one severity. */
export function policySummary(policy: SlaPolicy, severity: Severity) {
  const calendar = calendarFor(policy, severity);
  const targets = policy.targets[severity];
  return {
    source: 'case snapshot',
    takenAt: policy.takenAt,
    calendar: calendar.name,
    timeZone: calendar.timeZone,
    acknowledgeWithin: formatTarget(targets.acknowledgeWithin),
    updateEvery: formatTarget(targets.updateEvery),
    resolveWithin: formatTarget(targets.resolveWithin),
  };
}

function changedDeadlines(before: Deadlines, after: Deadlines): string[] {
  return (Object.keys({ ...before, ...after }) as (keyof Deadlines)[]).filter((key) => before[key] !== after[key]);
}

function event(type: EventType, ctx: Context, summary: string, data?: Record<string, unknown>): TimelineEvent {
  return { type, at: ctx.now.toISOString(), actor: ctx.actor, summary, ...(data && { data }) };
}

type Command<A extends ActionName> = (current: Escalation, input: ActionInput<A>, ctx: Context) => Change;

const commands: { [A in ActionName]: Command<A> } = {
  acknowledge(current, input, ctx) {
    const owner = input.owner ?? ctx.actor;
    const now = ctx.now.toISOString();
    const next = advance(
      current,
      { status: 'acknowledged', owner, acknowledgedAt: now, sla: restartUpdateClock(current.sla, ctx.now) },
      ctx,
    );
    // Measured from when the customer raised it; the working time is what the SLA counted.
    const timeToAcknowledgeMs = ctx.now.getTime() - Date.parse(current.sla.startedAt);
    const minutes = Math.round(timeToAcknowledgeMs / 60_000);
    return {
      next,
      notifications: input.message ? toCustomer(next, 'customer_update', `v${next.version}`, { message: input.message }) : [],
      events: [
        event('acknowledged', ctx, `${owner} took ownership, ${minutes} min after it was reported`, {
          owner,
          timeToAcknowledgeMs,
          workingTimeToAcknowledgeMs: workingTimeSince(current, current.sla, ctx),
          acknowledgeBy: current.deadlines.acknowledgeBy,
          onTime: ctx.now.getTime() <= Date.parse(current.deadlines.acknowledgeBy),
          ...(input.message && { message: input.message }),
        }),
      ],
    };
  },

  assign(current, input, ctx) {
    const { owner } = input;
    if (current.owner?.toLowerCase() === owner.toLowerCase()) throw new RuleViolationError(`${input.owner} already owns this escalation`, 'owner');
    const next = advance(current, { owner }, ctx);
    const previousOwner = current.owner;
    return {
      next,
      notifications: toInternal(next, 'case_assigned', `v${next.version}`, [owner], assignmentFacts({ previousOwner, assignedBy: ctx.actor, reason: input.reason, escalation: next })),
      events: [
        event('assigned', ctx, `${previousOwner ?? 'nobody'} → ${owner}: ${input.reason}`, {
          from: previousOwner ?? null,
          to: owner,
          reason: input.reason,
        }),
      ],
    };
  },

  updates(current, input, ctx) {
    let promisedUpdateBy: string | undefined;
    if (input.nextUpdateBy) {
      if (Date.parse(input.nextUpdateBy) <= ctx.now.getTime()) throw new RuleViolationError('nextUpdateBy must be in the future', 'nextUpdateBy');
      promisedUpdateBy = new Date(input.nextUpdateBy).toISOString();
    }
    // A promise to update sooner than the cadence is kept (the clock remembers it); a later one cannot stretch the SLA.
    const next = advance(current, { status: 'in_progress', sla: restartUpdateClock(current.sla, ctx.now, promisedUpdateBy) }, ctx);
    return {
      next,
      notifications: toCustomer(next, 'customer_update', `v${next.version}`, { message: input.message }),
      events: [
        event('customer_updated', ctx, 'customer update sent', {
          message: input.message,
          dueBy: current.deadlines.nextUpdateBy,
          onTime: ctx.now.getTime() <= Date.parse(current.deadlines.nextUpdateBy),
          nextUpdateBy: next.deadlines.nextUpdateBy,
        }),
      ],
    };
  },

  escalate(current, input, ctx) {
    if (current.tier >= topTier(ctx.playbook)) {
      throw new RuleViolationError(`already at the top of the escalation ladder (tier ${current.tier})`);
    }
    const tier = current.tier + 1;
    const roles = rolesForTier(tier, ctx.playbook);
    const next = advance(current, { tier, routedTo: unique([...current.routedTo, ...roles]) }, ctx);
    return {
      next,
      events: [event('escalated', ctx, `moved to tier ${tier} (${roles.join(', ')}): ${input.reason}`, { tier, roles, reason: input.reason })],
    };
  },

  resolve(current, input, ctx) {
    const now = ctx.now.toISOString();
    const sla = resumeClock(current.sla, ctx.now, ctx.actor).clock;
    const next = advance(current, { status: 'resolved', resolvedAt: now, resolution: input, sla }, ctx);
    return {
      next,
      notifications: toCustomer(next, 'customer_resolution', `v${next.version}`, { ...input }),
      events: [
        event('resolved', ctx, `resolved: ${input.fix}`, {
          ...input,
          timeToResolveMs: ctx.now.getTime() - Date.parse(current.sla.startedAt),
          workingTimeToResolveMs: workingTimeSince(current, sla, ctx),
          resolveBy: next.deadlines.resolveBy,
          onTime: ctx.now.getTime() <= Date.parse(next.deadlines.resolveBy),
          followUpAt: next.deadlines.followUpAt,
        }),
      ],
    };
  },

  'out-of-scope'(current, input, ctx) {
    // A pause ends with the case: its length is credited and its end recorded.
    const sla = resumeClock(current.sla, ctx.now, ctx.actor).clock;
    const closedAt = ctx.now.toISOString();
    const next = advance(current, { status: 'out_of_scope', closedAt, retainUntil: retainUntilFor(closedAt, ctx.playbook), sla }, ctx);
    return { next, notifications: toCustomer(next, 'customer_out_of_scope', `v${next.version}`, { ...input }), events: [event('declared_out_of_scope', ctx, `out of scope: ${input.reason}`, input)] };
  },

  pause(current, input, ctx) {
    if ((current.sla.pauses ?? []).length >= MAX_PAUSES) {
      throw new RuleViolationError(`this escalation has been paused ${MAX_PAUSES} times already, the most a case keeps; resolve it or open a new one`);
    }
    const next = advance(current, { status: 'waiting_on_customer', sla: pauseClock(current.sla, ctx.now, { by: ctx.actor, reason: input.reason }) }, ctx);
    return {
      next,
      events: [event('paused', ctx, `SLA clock paused: ${input.reason}`, { reason: input.reason, by: ctx.actor, from: ctx.now.toISOString() })],
    };
  },

  resume(current, input, ctx) {
    const { clock, pausedForMs, pause } = resumeClock(current.sla, ctx.now, ctx.actor);
    const next = advance(current, { status: 'in_progress', sla: clock }, ctx);
    return {
      next,
      events: [
        event('resumed', ctx, `SLA clock resumed after ${Math.round(pausedForMs / 60_000)} min`, {
          from: current.sla.pausedSince,
          to: pause?.to ?? ctx.now.toISOString(),
          pausedForMs,
          ...(pause && { pause }),
          ...(input.note && { note: input.note }),
          previousDeadlines: current.deadlines,
          deadlines: next.deadlines,
        }),
      ],
    };
  },

  reopen(current, input, ctx) {
    const { resolvedAt: _resolvedAt, resolution: _resolution, ...rest } = current;
    const next = advance(
      rest as Escalation,
      { status: 'in_progress', reopenCount: current.reopenCount + 1, sla: restartUpdateClock(current.sla, ctx.now) },
      ctx,
    );
    return { next, events: [event('reopened', ctx, `reopened: ${input.reason}`, { reason: input.reason })] };
  },

  close(current, input, ctx) {
    const closedAt = ctx.now.toISOString();
    const next = advance(current, { status: 'closed', closedAt, retainUntil: retainUntilFor(closedAt, ctx.playbook), ...(input.outcome && { outcome: input.outcome }) }, ctx);
    return { next, events: [event('closed', ctx, input.note ? `closed: ${input.note}` : 'closed', input)] };
  },

  notes(current, input, ctx) {
    // A note changes nothing about the case: it is only appended to the timeline, so writers
    // adding notes side by side never race for the case's version.
    return { next: current, events: [event('note_added', ctx, input.text)] };
  },

  review(current, input, ctx) {
    return recordReview(current, input, ctx);
  },

  're-evaluate'(current, input, ctx) {
    // The playbook as it is now replaces the policy the case started with; the timeline keeps both.
    const before = current.policy;
    const policy = snapshotPolicy(ctx.playbook, current.customer, ctx.now, Date.parse(current.sla.startedAt));
    const next = advance(current, { policy }, ctx);
    const changed = changedDeadlines(current.deadlines, next.deadlines);
    return {
      next,
      events: [
        event('re_evaluated', ctx, `SLA targets re-evaluated against the current playbook (${changed.length ? `moved ${changed.join(', ')}` : 'no deadline moved'}): ${input.reason}`, {
          reason: input.reason,
          before: { policy: policySummary(before, current.severity), deadlines: current.deadlines },
          after: { policy: policySummary(policy, next.severity), deadlines: next.deadlines },
          changed,
        }),
      ],
    };
  },
};

export function applyAction<A extends ActionName>(action: A, current: Escalation, input: ActionInput<A>, ctx: Context): Change {
  assertAllowed(action, current);
  return commands[action](current, input, ctx);
}

/** PATCH: edit the facts of a case. A severity change recomputes every running deadline; so does a new account time zone. */
export function editEscalation(current: Escalation, patch: EscalationEdits, ctx: Context): Change {
  assertAllowed('edit', current);
  const { reason, customer: customerChanges, ...fields } = patch;
  const changed = differing(fields, current) as Partial<Escalation>;
  const customerChanged = customerChanges ? (differing(customerChanges, current.customer) as Partial<Customer>) : {};
  if (Object.keys(changed).length === 0 && Object.keys(customerChanged).length === 0) return { next: current, events: [] };
  if ('severity' in changed || 'triggers' in changed || 'executiveInvolved' in changed) {
    // New facts can bring more people in; nobody already working the case is dropped.
    const facts = { severity: current.severity, triggers: current.triggers, executiveInvolved: current.executiveInvolved, ...changed };
    changed.routedTo = unique([...current.routedTo, ...routeAtIntake(facts, ctx.playbook).roles]);
  }
  if (Object.keys(customerChanged).length) {
    changed.customer = { ...current.customer, ...customerChanged };
    // The case keeps its own targets and calendars; only the zone its office hours are read in moves.
    if (customerChanged.timezone) changed.policy = withAccountTimeZone(current.policy, customerChanged.timezone);
  }
  const next = advance(current, changed, ctx);
  const events: TimelineEvent[] = [];
  if (changed.severity) {
    events.push(
      event('severity_changed', ctx, `severity ${current.severity} → ${changed.severity}: ${reason}`, {
        from: current.severity,
        to: changed.severity,
        reason,
        previousDeadlines: current.deadlines,
        deadlines: next.deadlines,
        policy: policySummary(next.policy, changed.severity),
      }),
    );
  }
  const edited = Object.keys(changed).filter((key) => !['severity', 'routedTo', 'customer', 'policy'].includes(key));
  if (edited.length) events.push(event('edited', ctx, `edited ${edited.join(', ')}`, { fields: edited, ...(reason && { reason }) }));
  if (Object.keys(customerChanged).length) events.push(customerChangedEvent(current, next, customerChanged, reason, ctx));
  return { next, events };
}

/** The fields of `proposed` whose value differs from the one stored. */
function differing(proposed: object, stored: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(proposed).filter(([key, value]) => value !== undefined && JSON.stringify(value) !== JSON.stringify((stored as Record<string, unknown>)[key])),
  );
}

const addressesOf = (contacts: Customer['contacts']) => new Set(contacts.map((contact) => contact.email.toLowerCase()));

/** Contacts in `after` whose address `before` did not list (addresses compared without case): what the contact directory learns from a change. */
export function contactsAddedTo(before: Customer['contacts'], after: Customer['contacts']): Customer['contacts'] {
  const known = addressesOf(before);
  return after.filter((contact) => !known.has(contact.email.toLowerCase()));
}

/** The account facts before and after; a new time zone also says which deadlines it moved and how they are counted now. */
function customerChangedEvent(current: Escalation, next: Escalation, customerChanged: Partial<Customer>, reason: string | undefined, ctx: Context): TimelineEvent {
  const fields = Object.keys(customerChanged) as (keyof Customer)[];
  const pick = (customer: Customer) => Object.fromEntries(fields.map((field) => [field, customer[field] ?? null]));
  const parts: string[] = [];
  const data: Record<string, unknown> = { fields, before: pick(current.customer), after: pick(next.customer), ...(reason && { reason }) };
  if (customerChanged.contacts) {
    const added = contactsAddedTo(current.customer.contacts, customerChanged.contacts).map((contact) => contact.email);
    const removed = contactsAddedTo(customerChanged.contacts, current.customer.contacts).map((contact) => contact.email);
    Object.assign(data, { contactsAdded: added, contactsRemoved: removed });
    const said = [...(added.length ? [`added ${added.join(', ')}`] : []), ...(removed.length ? [`removed ${removed.join(', ')}`] : [])];
    parts.push(`contacts${said.length ? ` (${said.join('; ')})` : ''}`);
  }
  if (customerChanged.timezone) {
    const from = current.policy.timeZone;
    const moved = changedDeadlines(current.deadlines, next.deadlines);
    Object.assign(data, {
      timeZone: { from, to: customerChanged.timezone },
      previousDeadlines: current.deadlines,
      deadlines: next.deadlines,
      moved,
      policy: policySummary(next.policy, next.severity),
    });
    parts.push(`time zone ${from} → ${customerChanged.timezone} (${moved.length ? `moved ${moved.join(', ')}` : 'no deadline moved'})`);
  }
  parts.push(...fields.filter((field) => field !== 'contacts' && field !== 'timezone'));
  return event('customer_changed', ctx, `customer facts changed: ${parts.join(', ')}${reason ? `: ${reason}` : ''}`, data);
}

/** The customer's answer to the follow-up survey: one score per case, after resolution. */
export function recordSatisfaction(current: Escalation, score: number, ctx: Context): Change {
  if (current.status !== 'resolved' && current.status !== 'closed') {
    throw new RuleViolationError(`a satisfaction score is taken after resolution; this escalation is ${current.status}`);
  }
  if (current.erasedAt) throw new RuleViolationError('this escalation\'s personal data was erased; it takes no more answers');
  if (current.satisfaction) throw new AlreadyAnsweredError(`a satisfaction score (${current.satisfaction.score}/10) was already recorded for this escalation`);
  const next = advance(current, { satisfaction: { score, at: ctx.now.toISOString() } }, ctx);
  return { next, events: [event('satisfaction_recorded', ctx, `customer rated the escalation ${score}/10`, { score })] };
}
