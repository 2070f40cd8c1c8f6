import { intakeNotifications } from './communications';
import type { NewEscalation } from './commands';
import { computeDeadlines, type SlaClock } from './deadlines';
import { RuleViolationError } from './errors';
import type { Change, Context, Escalation } from './escalation';
import { routeAtIntake } from './routing';
import { calendarFor, snapshotPolicy } from './sla-policy';

// Intake: a new escalation from a request or an email, classified, given its SLA policy and
// deadlines, routed, and owing its first emails.

/** A client's clock may run a little ahead of ours: a reportedAt this far in the future is taken as now. */
export const REPORTED_AT_TOLERANCE_MS = 5 * 60_000;

/** When the customer raised it: the request's reportedAt (never in the future), else now. */
export function reportedAtFor(reportedAt: string | undefined, now: Date): string {
  if (reportedAt === undefined) return now.toISOString();
  const instant = Date.parse(reportedAt);
  if (Number.isNaN(instant)) throw new RuleViolationError(`reportedAt ${reportedAt} is not an instant`, 'reportedAt');
  if (instant > now.getTime() + REPORTED_AT_TOLERANCE_MS) {
    throw new RuleViolationError(`reportedAt ${reportedAt} is in the future (it is now ${now.toISOString()})`, 'reportedAt');
  }
  return new Date(Math.min(instant, now.getTime())).toISOString();
}

/** What intake knows besides the request: the account's sponsor, and the email that opened the case. */
export interface IntakeFacts {
  sponsor?: string;
  /** SES's id for the customer's email, when mail opened the case: its raw MIME is stored under it (erasure deletes it). */
  sesMessageId?: string;
}

/** Intake: classify, take the SLA policy, compute deadlines from when the customer raised it, route. */
export function openEscalation(id: string, input: NewEscalation, { now, actor, playbook }: Context, account: IntakeFacts = {}): Change {
  const createdAt = now.toISOString();
  const reportedAt = reportedAtFor(input.reportedAt, now);
  const sla: SlaClock = { startedAt: reportedAt, updateClockFrom: reportedAt, pausedMs: 0, pauses: [] };
  const policy = snapshotPolicy(playbook, input.customer, now, Date.parse(reportedAt));
  const routing = routeAtIntake(input, playbook);
  const next: Escalation = {
    ...input,
    id,
    version: 1,
    generation: 1,
    status: 'open',
    tier: 0,
    routedTo: routing.roles,
    deadlines: computeDeadlines(input.severity, sla, policy),
    sla,
    policy,
    reportedAt,
    createdAt,
    updatedAt: createdAt,
    reopenCount: 0,
    ...(account.sponsor && { sponsor: account.sponsor }),
  };
  const calendar = calendarFor(policy, input.severity);
  return {
    next,
    notifications: intakeNotifications(next, playbook),
    events: [
      {
        type: 'created',
        at: createdAt,
        actor,
        summary: `${input.severity} escalation opened via ${input.channel}; routed to ${routing.roles.join(', ')}${account.sponsor ? ` and to the account's executive sponsor ${account.sponsor}` : ''}`,
        data: {
          ...(account.sponsor && { sponsor: account.sponsor }),
          ...(account.sesMessageId && { sesMessageId: account.sesMessageId }),
          severity: input.severity,
          triggers: input.triggers,
          routedTo: routing.roles,
          matchedRules: routing.matchedRules,
          reportedAt,
          calendar: calendar.name,
          timeZone: policy.timeZone,
          deadlines: next.deadlines,
        },
      },
    ],
  };
}
