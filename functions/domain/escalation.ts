import type { Playbook } from '../playbook/schema';
import { intakeNotifications, type Notification } from './communications';
import type { CreateEscalationInput } from '../schemas/escalation';
import { computeDeadlines, type Deadlines, type SlaClock } from './deadlines';
import { routeAtIntake } from './routing';
import type { Channel, Outcome, Severity, Status, Trigger } from './vocabulary';

export type Customer = CreateEscalationInput['customer'];

export interface Resolution {
  rootCause: string;
  fix: string;
  prevention: string;
}

export interface Escalation {
  id: string;
  /** Optimistic lock: every write checks it and adds one. */
  version: number;
  /** Which workflow execution owns the deadlines; bumped when they must be re-armed. */
  generation: number;
  status: Status;
  severity: Severity;
  tier: number;
  triggers: Trigger[];
  channel: Channel;
  executiveInvolved: boolean;
  title: string;
  description?: string;
  businessImpact?: string;
  alreadyTried?: string;
  neededBy?: string;
  customer: Customer;
  owner?: string;
  routedTo: string[];
  deadlines: Deadlines;
  sla: SlaClock;
  createdAt: string;
  updatedAt: string;
  acknowledgedAt?: string;
  resolvedAt?: string;
  closedAt?: string;
  resolution?: Resolution;
  outcome?: Outcome;
  reopenCount: number;
  /** The incident this case is part of, when one problem hits many customers. */
  incidentId?: string;
  /** Incident updates already delivered to this case (a repeated broadcast sends nothing). */
  incidentUpdatesReceived?: string[];
  /** The customer's satisfaction score (1–10), recorded once from the follow-up survey. */
  satisfaction?: { score: number; at: string };
  /** Keys of the deadline checks the workflow has performed (functions/domain/deadline-checks.ts). */
  actedOn?: string[];
}

export const EVENT_TYPES = [
  'created',
  'acknowledged',
  'customer_updated',
  'escalated',
  'edited',
  'severity_changed',
  'resolved',
  'declared_out_of_scope',
  'paused',
  'resumed',
  'reopened',
  'closed',
  'note_added',
  'deadline_breached',
  'reminder_sent',
  'routed',
  'follow_up_sent',
  'email_sent',
  'email_failed',
  'workflow_failed',
  'workflow_rearmed',
  'satisfaction_recorded',
  'customer_replied',
  'email_bounced',
  'linked_to_incident',
  'incident_update_sent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface TimelineEvent {
  type: EventType;
  at: string;
  actor: string;
  summary: string;
  data?: Record<string, unknown>;
}

export interface Change {
  next: Escalation;
  events: TimelineEvent[];
  /** Emails the change owes: written with it, sent after it. */
  notifications?: Notification[];
}

export interface Context {
  now: Date;
  actor: string;
  playbook: Playbook;
}

/** Intake: classify, compute deadlines, route. */
export function openEscalation(id: string, input: CreateEscalationInput, { now, actor, playbook }: Context): Change {
  const startedAt = now.toISOString();
  const sla: SlaClock = { startedAt, updateClockFrom: startedAt, pausedMs: 0 };
  const routing = routeAtIntake(input, playbook);
  const next: Escalation = {
    ...input,
    id,
    version: 1,
    generation: 1,
    status: 'open',
    tier: 0,
    routedTo: routing.roles,
    deadlines: computeDeadlines(input.severity, sla, playbook),
    sla,
    createdAt: startedAt,
    updatedAt: startedAt,
    reopenCount: 0,
  };
  return {
    next,
    notifications: intakeNotifications(next, playbook),
    events: [
      {
        type: 'created',
        at: startedAt,
        actor,
        summary: `${input.severity} escalation opened via ${input.channel}; routed to ${routing.roles.join(', ')}`,
        data: { severity: input.severity, triggers: input.triggers, routedTo: routing.roles, matchedRules: routing.matchedRules, deadlines: next.deadlines },
      },
    ],
  };
}
