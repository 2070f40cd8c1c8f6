import type { Playbook } from '../domain/playbook';
import { breachAlertFacts, deadlineWarningFacts, ownerAddresses, ownerReminderFacts, toChat, toCustomer, toInternal } from './communications';
import type { ChatTemplate, Notification, TemplateName } from './notification';
import { retainUntilFor, type Change, type Escalation, type TimelineEvent } from './escalation';
import { aftercareChecks, pendingAftercare } from './aftercare';
import { afterTarget, computeDeadlines, followUpSchedule, restartUpdateClock } from './deadlines';
import { recipientsFor, rolesForTier, topTier, unique } from './routing';
import { calendarFor } from './sla-policy';
import { describeTarget, humanDuration } from './sla-target';
import { deadlineWarnings, workingTimeLeft, type WarnedKind } from './warnings';
import type { ScheduledCheck } from './scheduled-check';

export { CHECK_ACTIONS, type CheckAction, type DeadlineKind, type ScheduledCheck } from './scheduled-check';

/**
 * The workflow's phase; the state machine's RouteToNextCheck choice stops on superseded and paused.
 * `aftercare`: closed (or out of scope) with work still to watch: its deletion date to set, the
 * review to remind of, improvement items to chase.
 */
export type Phase = 'awaiting_acknowledgement' | 'in_progress' | 'paused' | 'resolved' | 'aftercare' | 'finished';

export interface Plan {
  phase: Phase;
  /** A check already due: act on it before sleeping again. */
  due?: ScheduledCheck;
  /** When to wake up next, if nothing is due now. */
  wakeAt?: string;
  /** The check that will then be due: the workflow goes straight to its state on waking. */
  upcoming?: ScheduledCheck;
}

export interface CheckOutcome extends Change {
  notifications: Notification[];
}

export type { Notification };

/** How many performed check keys a case remembers; older ones can no longer come due. */
const REMEMBERED_CHECKS = 50;

export function phaseOf(escalation: Escalation): Phase {
  // An erased case has nothing left to watch: its workflow is stopped and never re-armed.
  if (escalation.erasedAt) return 'finished';
  switch (escalation.status) {
    case 'open':
      return 'awaiting_acknowledgement';
    case 'acknowledged':
    case 'in_progress':
      return 'in_progress';
    case 'waiting_on_customer':
      return 'paused';
    case 'resolved':
      return 'resolved';
    default:
      return pendingAftercare(escalation).length ? 'aftercare' : 'finished';
  }
}

export function scheduledChecks(escalation: Escalation, playbook: Playbook): ScheduledCheck[] {
  if (escalation.erasedAt) return [];
  const { deadlines, sla, severity } = escalation;
  const policy = escalation.policy;
  const targets = policy.targets[severity];
  const checks: ScheduledCheck[] = [];
  const phase = phaseOf(escalation);

  if (phase === 'awaiting_acknowledgement' || phase === 'in_progress') {
    if (phase === 'awaiting_acknowledgement') {
      checks.push({ key: `ack:${deadlines.acknowledgeBy}`, action: 'escalate_unacknowledged', kind: 'acknowledge', at: deadlines.acknowledgeBy });
    } else {
      checks.push({ key: `update-reminder:${deadlines.nextUpdateBy}`, action: 'remind_owner_update_due', kind: 'update', at: deadlines.nextUpdateBy });
      checks.push({
        key: `update-escalation:${deadlines.nextUpdateBy}`,
        action: 'escalate_missed_update',
        kind: 'update',
        at: afterTarget(policy, severity, sla, deadlines.nextUpdateBy, targets.updateEvery),
      });
    }
    checks.push({ key: `resolve:${deadlines.resolveBy}`, action: 'alert_resolution_overdue', kind: 'resolve', at: deadlines.resolveBy });
    // Only the deadlines still pending in this phase are warned of: a met deadline has no warning left.
    const warned: WarnedKind[] = phase === 'awaiting_acknowledgement' ? ['acknowledge', 'resolve'] : ['update', 'resolve'];
    for (const warning of deadlineWarnings({ severity, sla, deadlines, policy }, warned, playbook)) {
      checks.push({
        // The deadline is in the key: a deadline that moves (a tier climbed, an update sent, a pause) is warned of again.
        key: `warn:${warning.kind}:${warning.percent}:${warning.deadline}`,
        action: 'warn_deadline_approaching',
        kind: warning.kind,
        at: warning.at,
        warning: { deadline: warning.deadline, percent: warning.percent },
      });
    }
    for (const rule of playbook.routing) {
      if (rule.when.unresolvedFor === undefined) continue;
      checks.push({
        key: `rule:${rule.name}`,
        action: 'route_by_rule',
        kind: 'routing',
        at: afterTarget(policy, severity, sla, sla.startedAt, rule.when.unresolvedFor),
        rule: rule.name,
      });
    }
  }

  if (phase === 'resolved' && escalation.resolvedAt) {
    const resolvedAt = escalation.resolvedAt;
    const due = followUpSchedule(policy, severity, resolvedAt);
    checks.push({ key: `follow-up:${resolvedAt}`, action: 'send_follow_up', kind: 'follow_up', at: due.followUpAt });
    checks.push({ key: `recovery-call:${resolvedAt}`, action: 'remind_recovery_call', kind: 'follow_up', at: due.recoveryCallAt });
    checks.push({ key: `health-check:${resolvedAt}`, action: 'remind_health_check', kind: 'follow_up', at: due.healthCheckAt });
    checks.push({ key: `auto-close:${resolvedAt}`, action: 'close_after_follow_up', kind: 'follow_up', at: due.healthCheckAt });
  }
  if (phase === 'resolved' || phase === 'aftercare') checks.push(...aftercareChecks(escalation));

  const done = new Set(escalation.actedOn ?? []);
  // Stable order: by due time, then as listed above (health-check reminder before auto-close).
  return checks.filter((check) => !done.has(check.key)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

/** What the workflow should do now: act on the earliest due check, or sleep until the next. */
export function planNext(escalation: Escalation, now: Date, playbook: Playbook): Plan {
  const phase = phaseOf(escalation);
  const [next] = scheduledChecks(escalation, playbook);
  if (!next) return { phase };
  return Date.parse(next.at) <= now.getTime() ? { phase, due: next } : { phase, wakeAt: next.at, upcoming: next };
}

/**
 * A change through the API must wake the workflow sooner when it moves the earliest
 * check earlier or gives a sleeping case something to wait for again.
 */
export function needsRearm(before: Escalation, after: Escalation, playbook: Playbook): boolean {
  const was = scheduledChecks(before, playbook)[0];
  const now = scheduledChecks(after, playbook)[0];
  if (!now) return false;
  return !was || Date.parse(now.at) < Date.parse(was.at);
}

function breachEvent(check: ScheduledCheck, now: Date, summary: string, data: Record<string, unknown>): TimelineEvent {
  return {
    type: 'deadline_breached',
    at: now.toISOString(),
    actor: 'workflow',
    summary,
    data: { kind: check.kind, action: check.action, deadline: check.at, actedAt: now.toISOString(), lagMs: now.getTime() - Date.parse(check.at), ...data },
  };
}

/** Performs one due check: the case change, its timeline events, and the emails it owes. */
export function performCheck(escalation: Escalation, check: ScheduledCheck, now: Date, playbook: Playbook): CheckOutcome {
  const actedOn = [...(escalation.actedOn ?? []), check.key].slice(-REMEMBERED_CHECKS);
  const nowIso = now.toISOString();
  let next: Escalation = { ...escalation, actedOn, version: escalation.version + 1, updatedAt: nowIso };
  const events: TimelineEvent[] = [];
  const notifications: Notification[] = [];
  const notify = (template: TemplateName, to: string[], extra: Record<string, unknown>) => {
    notifications.push(...toInternal(escalation, template, check.key, to, { deadline: check.at, ...extra }));
  };
  /** An alert to roles: emailed to their contacts, and posted to the chat channel of each role that has one. */
  const alert = (template: ChatTemplate, roles: string[], extra: Record<string, unknown>) => {
    notify(template, recipientsFor(roles, playbook), extra);
    postToChat(template, roles, extra);
  };
  const postToChat = (template: ChatTemplate, roles: string[], extra: Record<string, unknown>) => {
    notifications.push(...toChat(escalation, template, check.key, roles, playbook, { deadline: check.at, ...extra }));
  };

  const climb = (reason: string, restartClock: 'acknowledge' | 'update') => {
    const top = topTier(playbook);
    if (escalation.tier >= top) {
      events.push(breachEvent(check, now, `${check.kind} deadline missed at the top of the ladder (tier ${escalation.tier})`, { tier: escalation.tier }));
      alert('deadline_breach_alert', rolesForTier(top, playbook), breachAlertFacts('top_of_ladder', { tier: escalation.tier, reason }));
      return;
    }
    const tier = escalation.tier + 1;
    const roles = rolesForTier(tier, playbook);
    // The new tier gets a fresh deadline of its own, measured from now (a missed promise is spent).
    const sla = restartClock === 'acknowledge' ? { ...next.sla, acknowledgeClockFrom: nowIso } : restartUpdateClock(next.sla, now);
    next = { ...next, tier, routedTo: unique([...next.routedTo, ...roles]), sla };
    events.push(breachEvent(check, now, `${reason}; escalated to tier ${tier} (${roles.join(', ')})`, { tier, roles }));
    alert('deadline_breach_alert', roles, breachAlertFacts('tier_raised', { tier, reason }));
  };

  switch (check.action) {
    case 'warn_deadline_approaching': {
      const { deadline, percent } = check.warning!;
      const leftMs = workingTimeLeft({ severity: escalation.severity, sla: escalation.sla, policy: escalation.policy }, now, deadline);
      const timeLeft = humanDuration(leftMs);
      events.push({
        type: 'deadline_warning',
        at: nowIso,
        actor: 'workflow',
        summary: `${check.kind} deadline near: ${timeLeft} of working time left (${percent} % of the target spent)`,
        data: { kind: check.kind, deadline, percent, workingMsLeft: leftMs, warnedAt: check.at, actedAt: nowIso, lagMs: now.getTime() - Date.parse(check.at) },
      });
      // Before acknowledgement nobody owns the case: the team it is routed to hears it.
      const to = phaseOf(escalation) === 'awaiting_acknowledgement' ? recipientsFor(escalation.routedTo, playbook) : ownerAddresses(escalation, playbook);
      const facts = { ...deadlineWarningFacts(check.kind as WarnedKind, { deadline, percent, timeLeft, timeZone: playbook.teamTimeZone }), deadline };
      notify('deadline_warning', to, facts);
      // A channel is where the team the case is routed to watches its cases: it sees the warning whoever the email goes to.
      postToChat('deadline_warning', escalation.routedTo, facts);
      break;
    }
    case 'escalate_unacknowledged':
      climb('nobody acknowledged in time', 'acknowledge');
      break;
    case 'remind_owner_update_due':
      events.push({
        type: 'reminder_sent',
        at: nowIso,
        actor: 'workflow',
        summary: 'customer update is due: owner reminded',
        data: { kind: check.kind, deadline: check.at, actedAt: nowIso, lagMs: now.getTime() - Date.parse(check.at) },
      });
      notify('owner_reminder', ownerAddresses(escalation, playbook), ownerReminderFacts('customer_update_due'));
      break;
    case 'escalate_missed_update':
      climb('the customer update is still missing after a reminder', 'update');
      break;
    case 'alert_resolution_overdue':
      events.push(breachEvent(check, now, 'resolution target missed', {}));
      alert('deadline_breach_alert', unique([...escalation.routedTo, ...rolesForTier(escalation.tier, playbook)]), breachAlertFacts('resolution_overdue', { tier: escalation.tier, reason: 'resolution target missed' }));
      break;
    case 'route_by_rule': {
      const rule = playbook.routing.find((r) => r.name === check.rule);
      const roles = rule?.routeTo ?? [];
      next = { ...next, routedTo: unique([...next.routedTo, ...roles]) };
      events.push({
        type: 'routed',
        at: nowIso,
        actor: 'workflow',
        summary: `routing rule ${check.rule}: brought in ${roles.join(', ')}`,
        data: { rule: check.rule, roles, deadline: check.at, actedAt: nowIso, lagMs: now.getTime() - Date.parse(check.at) },
      });
      const unresolvedFor = rule?.when.unresolvedFor;
      const calendar = calendarFor(escalation.policy, escalation.severity);
      const reason = unresolvedFor === undefined ? `routing rule ${check.rule}` : `not resolved within ${describeTarget(unresolvedFor, calendar)}`;
      alert('deadline_breach_alert', roles, breachAlertFacts('routing_rule', { tier: escalation.tier, reason, rule: check.rule ?? 'unnamed' }));
      break;
    }
    case 'send_follow_up':
      events.push(followUpEvent(check, now, 'follow-up with satisfaction survey sent to the customer'));
      notifications.push(...toCustomer(escalation, 'satisfaction_follow_up', check.key, { resolution: escalation.resolution ?? null }));
      break;
    case 'remind_recovery_call':
      events.push(followUpEvent(check, now, 'owner reminded to make the recovery call'));
      notify('owner_reminder', ownerAddresses(escalation, playbook), ownerReminderFacts('recovery_call'));
      break;
    case 'remind_health_check':
      events.push(followUpEvent(check, now, 'owner reminded to hold the health-check call'));
      notify('owner_reminder', ownerAddresses(escalation, playbook), ownerReminderFacts('health_check_call'));
      break;
    case 'close_after_follow_up':
      next = { ...next, status: 'closed', closedAt: nowIso, retainUntil: retainUntilFor(nowIso, playbook) };
      events.push({ type: 'closed', at: nowIso, actor: 'workflow', summary: 'closed after the follow-up period', data: { deadline: check.at, actedAt: nowIso } });
      break;
    case 'remind_review_due':
      events.push({
        type: 'reminder_sent',
        at: nowIso,
        actor: 'workflow',
        summary: 'the blameless review is due: owner reminded',
        data: { kind: check.kind, action: check.action, deadline: check.at, actedAt: nowIso, lagMs: now.getTime() - Date.parse(check.at) },
      });
      notify('owner_reminder', ownerAddresses(escalation, playbook), ownerReminderFacts('review_due'));
      break;
    case 'remind_improvement_item_overdue': {
      const item = escalation.review?.items.find((candidate) => candidate.id === check.itemId);
      if (!item) break;
      events.push({
        type: 'reminder_sent',
        at: nowIso,
        actor: 'workflow',
        summary: `improvement item "${item.title}" (${item.team}) is overdue: ${item.owner} reminded`,
        data: { kind: check.kind, action: check.action, itemId: item.id, team: item.team, due: item.due, deadline: check.at, actedAt: nowIso, lagMs: now.getTime() - Date.parse(check.at) },
      });
      notify('owner_reminder', [item.owner], ownerReminderFacts('improvement_item_overdue', item));
      break;
    }
    case 'schedule_deletion':
      // The act's use case gives every item stored with the case the same deletion date before this write.
      events.push({
        type: 'deletion_scheduled',
        at: nowIso,
        actor: 'workflow',
        summary: `kept until ${escalation.retainUntil}, then deleted with its timeline and emails (retention of ${playbook.retention.closedCaseDays} days after closing)`,
        data: { retainUntil: escalation.retainUntil, closedAt: escalation.closedAt },
      });
      break;
  }
  next.deadlines = computeDeadlines(next.severity, next.sla, next.policy, next.resolvedAt);
  const breaches = events.filter((event) => event.type === 'deadline_breached').length;
  if (breaches) next.breaches = (escalation.breaches ?? 0) + breaches;
  return { next, events, notifications };
}

function followUpEvent(check: ScheduledCheck, now: Date, summary: string): TimelineEvent {
  return {
    type: 'follow_up_sent',
    at: now.toISOString(),
    actor: 'workflow',
    summary,
    data: { action: check.action, deadline: check.at, actedAt: now.toISOString(), lagMs: now.getTime() - Date.parse(check.at) },
  };
}
