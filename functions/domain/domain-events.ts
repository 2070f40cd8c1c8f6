import { createHash } from 'node:crypto';
import type { EventType as TimelineType } from './escalation';
import type { Severity, Status } from './vocabulary';

// Which timeline entries are domain events, and what each says. The timeline entry is written in
// the same transaction as the change it records, so deriving events from it (through the table's
// stream) means a committed change always produces its events and a rolled-back one never does,
// at no extra write.

/** A timeline entry as stored, with the facts of its case at that version (the repository writes them beside it). */
export interface RecordedEvent {
  caseId: string;
  /** Its place in the case's timeline (sort key order). */
  seq: string;
  type: TimelineType;
  at: string;
  data?: Record<string, unknown>;
  severity: Severity;
  accountId?: string;
  caseStatus?: Status;
  caseTier?: number;
}

/** Every event type the product publishes; functions/schemas/events.ts holds the published schema of each. */
export const EVENT_TYPES = [
  'escalation.opened',
  'escalation.acknowledged',
  'escalation.assigned',
  'escalation.updated',
  'deadline.approaching',
  'deadline.breached',
  'tier.raised',
  'escalation.paused',
  'escalation.resumed',
  'escalation.resolved',
  'escalation.reopened',
  'escalation.closed',
  'escalation.out_of_scope',
  'satisfaction.recorded',
  'incident.update_sent',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as the rules derive it; its schema (functions/schemas/events.ts) checks it before it leaves. */
export interface DomainEvent {
  id: string;
  type: EventType;
  schemaVersion: number;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The version of every event's schema (functions/schemas/events.ts); a breaking change is a new one. */
export const EVENT_SCHEMA_VERSION = 1;

/** The same timeline entry always gives the same id: a retried stream batch republishes it under the id receivers have seen. */
export function eventId(caseId: string, seq: string, type: EventType): string {
  return `evt_${createHash('sha256').update(`${caseId}\n${seq}\n${type}`).digest('hex').slice(0, 32)}`;
}

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0);
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const deadlineKind = (value: unknown) => (value === 'acknowledge' || value === 'update' || value === 'resolve' ? value : undefined);

/** The domain events one timeline entry stands for: none, one, or (a missed deadline that raised the tier) two. */
export function domainEventsOf(recorded: RecordedEvent): DomainEvent[] {
  const data = recorded.data ?? {};
  const facts = {
    escalationId: recorded.caseId,
    accountId: recorded.accountId ?? '',
    severity: recorded.severity,
    status: recorded.caseStatus ?? 'open',
    tier: recorded.caseTier ?? 0,
    sequence: recorded.seq,
  };
  const event = <T extends EventType>(type: T, extra: Record<string, unknown>) =>
    ({ id: eventId(recorded.caseId, recorded.seq, type), type, schemaVersion: EVENT_SCHEMA_VERSION, timestamp: recorded.at, data: { ...facts, ...extra } }) as DomainEvent;

  switch (recorded.type) {
    case 'created': {
      const deadlines = (data.deadlines ?? {}) as Record<string, unknown>;
      return [
        event('escalation.opened', {
          triggers: strings(data.triggers),
          routedTo: strings(data.routedTo),
          reportedAt: text(data.reportedAt, recorded.at),
          deadlines: { acknowledgeBy: text(deadlines.acknowledgeBy), nextUpdateBy: text(deadlines.nextUpdateBy), resolveBy: text(deadlines.resolveBy) },
        }),
      ];
    }
    case 'acknowledged':
      return [event('escalation.acknowledged', { owner: text(data.owner), timeToAcknowledgeMs: count(data.timeToAcknowledgeMs), acknowledgeBy: text(data.acknowledgeBy) })];
    case 'assigned':
      return [event('escalation.assigned', { owner: text(data.to), previousOwner: typeof data.from === 'string' ? data.from : null })];
    case 'customer_updated':
      return [event('escalation.updated', { dueBy: text(data.dueBy), onTime: data.onTime === true, nextUpdateBy: text(data.nextUpdateBy) })];
    case 'deadline_warning': {
      const kind = deadlineKind(data.kind);
      if (!kind) return [];
      return [event('deadline.approaching', { kind, deadline: text(data.deadline), percent: count(data.percent), workingMsLeft: count(data.workingMsLeft) })];
    }
    case 'deadline_breached': {
      const kind = deadlineKind(data.kind);
      if (!kind) return [];
      const breached = event('deadline.breached', { kind, deadline: text(data.deadline), lagMs: Math.round(Number(data.lagMs) || 0) });
      // A missed deadline below the top of the ladder also raised the tier (the roles it brought in are recorded with it).
      const raised = Array.isArray(data.roles) ? [event('tier.raised', { roles: strings(data.roles), cause: 'deadline_missed' })] : [];
      return [breached, ...raised];
    }
    case 'escalated':
      return [event('tier.raised', { roles: strings(data.roles), cause: 'requested' })];
    case 'paused':
      return [event('escalation.paused', {})];
    case 'resumed':
      return [event('escalation.resumed', { pausedForMs: count(data.pausedForMs) })];
    case 'resolved': {
      const resolveBy = text(data.resolveBy);
      return [event('escalation.resolved', { timeToResolveMs: count(data.timeToResolveMs), resolveBy, onTime: resolveBy !== '' && Date.parse(recorded.at) <= Date.parse(resolveBy) })];
    }
    case 'reopened':
      return [event('escalation.reopened', {})];
    case 'closed':
      return [event('escalation.closed', { outcome: data.outcome === 'retained' || data.outcome === 'churned' ? data.outcome : null })];
    case 'declared_out_of_scope':
      return [event('escalation.out_of_scope', {})];
    case 'satisfaction_recorded':
      return [event('satisfaction.recorded', { score: count(data.score) })];
    case 'incident_update_sent':
      return [event('incident.update_sent', { incidentId: text(data.incidentId), updateId: text(data.updateId) })];
    default:
      return [];
  }
}

/** Whether a subscription's event list takes this type: `*` takes every one. */
export function subscribedTo(types: readonly string[], type: EventType): boolean {
  return types.includes('*') || types.includes(type);
}
