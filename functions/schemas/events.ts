import * as z from 'zod';
import { EVENT_SCHEMA_VERSION, EVENT_TYPES, type EventType } from '../domain/domain-events';
import { SEVERITIES, STATUSES } from '../domain/vocabulary';

// The domain events the product publishes (EventBridge on AWS, signed webhooks anywhere), one
// schema each. They are the contract with every consumer: a field is only ever added; a change
// that would break a consumer is a new schemaVersion, published beside the old one for a while.
// `npm run events:schemas` writes them as JSON Schema to events/ (tests/unit/domain-events.test.ts
// fails when the committed files differ from these).
//
// Events carry ids and facts, never message bodies, customer names or contact addresses: a
// consumer that needs more reads the case through the API with its own token.
//
// Like the request schemas (functions/schemas/escalation.ts), each is a z.lazy built the first
// time an event of its type is published: the functions that only name event types (the
// webhooks API, the owed-delivery sweep) build none at cold start.

export { EVENT_SCHEMA_VERSION };

const instant = () => z.iso.datetime({ offset: true });
const milliseconds = () => z.number().int().min(0);
const deadlineKind = () => z.enum(['acknowledge', 'update', 'resolve']);
const role = () => z.string();

/** What every event says about its case. */
const caseFacts = () => ({
  escalationId: z.uuid().describe('The case; GET /escalations/{id} reads it'),
  accountId: z.string().describe("The customer account's id, as given at intake"),
  severity: z.enum(SEVERITIES),
  status: z.enum(STATUSES).describe('The case status right after the change'),
  tier: z.number().int().min(0).describe('The escalation ladder tier right after the change (0: the owning team)'),
  sequence: z.string().describe("Orders the events of one case: compare as strings. Deliveries may arrive out of order when some are retried"),
});

function domainEvent<T extends string, D extends z.ZodRawShape>(type: T, description: string, data: () => D) {
  return z.lazy(() => z
    .strictObject({
      id: z.string().describe('Unique per event and the same on every delivery of it: receivers deduplicate on it (it is also the webhook-id header)'),
      type: z.literal(type),
      schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
      timestamp: instant().describe('When it happened'),
      data: z.strictObject({ ...caseFacts(), ...data() }),
    })
    .describe(description));
}

export const EVENT_SCHEMAS = {
  'escalation.opened': domainEvent('escalation.opened', 'An escalation was opened (API, inbound email or another channel)', () => ({
    triggers: z.array(z.string()),
    routedTo: z.array(role()).describe('The playbook roles it was routed to'),
    reportedAt: instant(),
    deadlines: z.strictObject({ acknowledgeBy: instant(), nextUpdateBy: instant(), resolveBy: instant() }),
  })),
  'escalation.acknowledged': domainEvent('escalation.acknowledged', 'A named owner took the case', () => ({
    owner: z.string().describe('Who took it (a staff member, usually an email address)'),
    timeToAcknowledgeMs: milliseconds(),
    acknowledgeBy: instant().describe('The acknowledgement deadline it was taken against'),
  })),
  'escalation.assigned': domainEvent('escalation.assigned', 'The case was handed to another owner', () => ({
    owner: z.string(),
    previousOwner: z.string().nullable(),
  })),
  'escalation.updated': domainEvent('escalation.updated', 'A customer update was sent; the update clock restarted', () => ({
    dueBy: instant().describe('When this update was due'),
    onTime: z.boolean(),
    nextUpdateBy: instant(),
  })),
  'deadline.approaching': domainEvent('deadline.approaching', 'A deadline is near: the share of its target the playbook warns at is spent', () => ({
    kind: deadlineKind(),
    deadline: instant(),
    percent: z.number().int().min(1).max(99),
    workingMsLeft: milliseconds().describe('Working time left until the deadline, in the case calendar'),
  })),
  'deadline.breached': domainEvent('deadline.breached', 'A deadline passed without the action it needed', () => ({
    kind: deadlineKind(),
    deadline: instant(),
    lagMs: z.number().int().describe('How long after the deadline the workflow acted'),
  })),
  'tier.raised': domainEvent('tier.raised', 'The case moved one tier up the escalation ladder', () => ({
    roles: z.array(role()).describe('The roles of the new tier'),
    cause: z.enum(['deadline_missed', 'requested']).describe('A missed deadline, or someone asked for it (POST /escalations/{id}/escalate)'),
  })),
  'escalation.paused': domainEvent('escalation.paused', 'Waiting on the customer: the SLA clock stopped', () => ({})),
  'escalation.resumed': domainEvent('escalation.resumed', 'The SLA clock runs again (a customer reply or the API)', () => ({
    pausedForMs: milliseconds(),
  })),
  'escalation.resolved': domainEvent('escalation.resolved', 'Resolved with a root cause, fix and prevention', () => ({
    timeToResolveMs: milliseconds(),
    resolveBy: instant(),
    onTime: z.boolean(),
  })),
  'escalation.reopened': domainEvent('escalation.reopened', 'A resolved, closed or out-of-scope case was reopened', () => ({})),
  'escalation.closed': domainEvent('escalation.closed', 'Closed, by a person or after the follow-up period', () => ({
    outcome: z.enum(['retained', 'churned']).nullable(),
  })),
  'escalation.out_of_scope': domainEvent('escalation.out_of_scope', 'The problem is not ours; the customer was told so with guidance', () => ({})),
  'satisfaction.recorded': domainEvent('satisfaction.recorded', "The customer's satisfaction score after the follow-up", () => ({
    score: z.number().int().min(1).max(10),
  })),
  'incident.update_sent': domainEvent('incident.update_sent', "An incident's update went to this case's customer", () => ({
    incidentId: z.uuid(),
    updateId: z.string(),
  })),
} as const satisfies Record<EventType, z.ZodType>;

export type { EventType };
export const EVENT_TYPE_NAMES: readonly EventType[] = EVENT_TYPES;
export type PublishedEvent = { [T in EventType]: z.output<(typeof EVENT_SCHEMAS)[T]> }[EventType];

/** The JSON Schema of one event as committed under events/ (`<type>.v<version>.schema.json`). */
export function eventJsonSchema(type: EventType): Record<string, unknown> {
  const schema = z.toJSONSchema(EVENT_SCHEMAS[type].unwrap(), { io: 'output' }) as Record<string, unknown>;
  return { ...schema, $id: `https://escalation-api.dev/events/${eventSchemaFile(type)}`, title: type };
}

export const eventSchemaFile = (type: EventType) => `${type}.v${EVENT_SCHEMA_VERSION}.schema.json`;
