// Shared fixtures for the unit tests of the pure domain.
import type { Context, Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import type { Severity, Trigger } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import type { ActionName, NewEscalation } from '../../functions/domain/commands';
import { ActionRequests, CreateEscalationRequest } from '../../functions/schemas/escalation';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const NOW = new Date('2026-03-02T10:00:00Z');
export const ACTOR = 'agent@example.com';
export const playbook = parsePlaybook({});

export function ctxAt(now: Date | number | string, actor = ACTOR): Context {
  return { now: new Date(now), actor, playbook };
}

export const later = (from: Date | string, ms: number) => new Date(new Date(from).getTime() + ms);

/** A raw (unparsed) request body that CreateEscalationRequest accepts. */
export function validBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customer: {
      accountId: 'acct-42',
      name: 'Acme GmbH',
      segment: 'enterprise',
      arr: 120_000,
      healthScore: 55,
      renewalDate: '2026-09-30',
      timezone: 'Europe/Berlin',
      contacts: [{ email: 'cto@acme.example', name: 'Dana', role: 'CTO' }],
    },
    title: 'Checkout integration broken',
    severity: 'high',
    ...overrides,
  };
}

export function input(severity: Severity = 'high', triggers: Trigger[] = [], executiveInvolved = false): NewEscalation {
  return CreateEscalationRequest.parse(validBody({ severity, triggers, executiveInvolved }));
}

export function open(severity: Severity = 'high', at: Date = NOW, triggers: Trigger[] = []): Escalation {
  return openEscalation('esc-1', input(severity, triggers), ctxAt(at)).next;
}

/** A valid request body for every lifecycle action (the type says when one is missing). */
export const ACTION_BODIES = {
  acknowledge: {},
  updates: { message: 'We reproduced it; next update within the hour.' },
  escalate: { reason: 'acknowledgement deadline missed' },
  assign: { owner: 'kim@example.com', reason: 'Kim knows this integration best' },
  resolve: { rootCause: 'expired certificate', fix: 'renewed it', prevention: 'expiry alerts' },
  'out-of-scope': { reason: 'third-party outage', guidance: 'contact the provider' },
  pause: { reason: 'waiting for logs' },
  resume: { note: 'logs received' },
  reopen: { reason: 'it broke again' },
  close: { outcome: 'retained' },
  notes: { text: 'called the customer' },
  're-evaluate': { reason: 'the playbook changed' },
  review: {
    rootCause: 'a certificate nobody watched',
    wentWell: 'the workaround was out within the hour',
    communicationGaps: 'the second update came late',
    processFixes: 'certificates are inventoried',
    items: [{ team: 'engineering', owner: 'sre@example.com', title: 'Alert 30 days before any certificate expires', due: '2026-06-30' }],
  },
} satisfies { [A in ActionName]: unknown };

/** An action's input as its handler gets it: the body (by default the one above) parsed through the action's real request schema. */
export const actionInput = (action: ActionName, body: unknown = ACTION_BODIES[action]) => ActionRequests[action].parse(body);
