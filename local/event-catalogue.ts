import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performCheck, planNext } from '../functions/domain/deadline-checks';
import { domainEventsOf, type DomainEvent, type RecordedEvent } from '../functions/domain/domain-events';
import { type Change, type Context, type Escalation } from '../functions/domain/escalation';
import { openEscalation } from '../functions/domain/intake';
import { receiveIncidentUpdate } from '../functions/domain/incidents';
import { applyAction, recordSatisfaction } from '../functions/domain/lifecycle';
import { parsePlaybook } from '../functions/playbook/load';
import { CreateEscalationRequest } from '../functions/schemas/escalation';
import { EVENT_SCHEMAS, EVENT_TYPE_NAMES, eventJsonSchema, eventSchemaFile, type PublishedEvent, type EventType } from '../functions/schemas/events';

// The event catalogue: every domain event produced by the real rules on two sample cases (one
// acknowledged, updated, paused, resolved, rated, reopened and closed; one left alone until
// its deadlines pass, then declared out of scope), the committed JSON Schemas under events/ and the examples in
// docs/events.md. `npm run events:schemas` writes them; tests/unit/domain-events.test.ts fails
// when they differ from what this produces.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EVENTS_DIR = join(ROOT, 'events');
export const CATALOGUE_PAGE = join(ROOT, 'docs', 'events.md');
const BEGIN = '<!-- examples:begin (npm run events:schemas) -->';
const END = '<!-- examples:end -->';

const playbook = parsePlaybook({});
const CASE_A = '0f6f2a1e-8d4b-4c1a-9f57-3f1d2c9b7a10';
const CASE_B = '5b0c9e44-2f7d-4e8a-b1c3-6a9d8e7f6c21';
const INCIDENT = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

const at = (iso: string, actor = 'alice@example.com'): Context => ({ now: new Date(iso), actor, playbook });

/** The timeline entries of a change as the repository stores them (sequence, case facts). */
function recorded(change: Change): RecordedEvent[] {
  return change.events.map((event, index) => ({
    ...event,
    caseId: change.next.id,
    seq: `${String(change.next.version).padStart(10, '0')}#${String(index).padStart(3, '0')}`,
    severity: change.next.severity,
    accountId: change.next.customer.accountId,
    caseStatus: change.next.status,
    caseTier: change.next.tier,
  }));
}

function opened(id: string, reportedAt: string, severity: 'high' | 'critical'): Change {
  const input = CreateEscalationRequest.parse({
    customer: { accountId: 'acme', name: 'Acme Corp', segment: 'enterprise', arr: 240000, timezone: 'Europe/Berlin', contacts: [{ email: 'cto@acme.test', name: 'Dana' }] },
    title: 'Checkout fails for every customer',
    severity,
    triggers: ['platform_down'],
  });
  return openEscalation(id, { ...input, reportedAt }, at(reportedAt, 'api-client'));
}

/** Every event the two sample cases produce, in the order they happened. */
export function sampleEvents(): DomainEvent[] {
  const changes: Change[] = [];
  const step = (change: Change) => {
    changes.push(change);
    return change.next;
  };
  // Case A: a high case through its whole life (Monday 2 March 2026, Berlin office hours).
  let a: Escalation = step(opened(CASE_A, '2026-03-02T08:00:00.000Z', 'high'));
  a = step(applyAction('acknowledge', a, { owner: 'alice@example.com' }, at('2026-03-02T08:40:00.000Z')));
  a = step(applyAction('assign', a, { owner: 'bob@example.com', reason: 'Bob knows the checkout service' }, at('2026-03-02T09:00:00.000Z')));
  a = step(applyAction('updates', a, { message: 'We found the cause.' }, at('2026-03-02T10:00:00.000Z', 'bob@example.com')));
  a = step(receiveIncidentUpdate(a, { id: INCIDENT, title: 'Payments outage' }, { id: 'update-1', message: 'Payments work again.' }, at('2026-03-02T10:30:00.000Z', 'bob@example.com')));
  a = step(applyAction('pause', a, { reason: 'waiting for their logs' }, at('2026-03-02T11:00:00.000Z', 'bob@example.com')));
  a = step(applyAction('resume', a, {}, at('2026-03-02T12:00:00.000Z', 'bob@example.com')));
  a = step(applyAction('escalate', a, { reason: 'the customer asked for a manager' }, at('2026-03-02T12:30:00.000Z', 'bob@example.com')));
  a = step(applyAction('resolve', a, { rootCause: 'An expired certificate.', fix: 'Renewed it.', prevention: 'Renewal is monitored.' }, at('2026-03-02T13:00:00.000Z', 'bob@example.com')));
  a = step(recordSatisfaction(a, 9, at('2026-03-03T13:00:00.000Z', 'customer')));
  a = step(applyAction('reopen', a, { reason: 'it failed again' }, at('2026-03-03T14:00:00.000Z', 'bob@example.com')));
  a = step(applyAction('resolve', a, { rootCause: 'A second expired certificate.', fix: 'Renewed every one.', prevention: 'All renewals are monitored.' }, at('2026-03-03T15:00:00.000Z', 'bob@example.com')));
  step(applyAction('close', a, { outcome: 'retained' }, at('2026-03-03T16:00:00.000Z', 'bob@example.com')));

  // Case B: a critical case nobody acknowledges: warned, then breached and raised a tier.
  let b: Escalation = step(opened(CASE_B, '2026-03-02T22:00:00.000Z', 'critical'));
  for (let acts = 0; acts < 3; acts++) {
    const plan = planNext(b, new Date('2026-03-02T23:00:00.000Z'), playbook);
    if (!plan.due) break;
    b = step(performCheck(b, plan.due, new Date(plan.due.at), playbook));
  }
  step(applyAction('out-of-scope', b, { reason: 'their proxy strips the header', guidance: 'Allow the header in the proxy.' }, at('2026-03-03T08:00:00.000Z')));
  return changes.flatMap(recorded).flatMap(domainEventsOf);
}

/** The first sample of each type, parsed by its schema (a mapping that breaks a schema fails here). */
export function examples(): Map<EventType, PublishedEvent> {
  const byType = new Map<EventType, PublishedEvent>();
  for (const event of sampleEvents()) {
    if (!byType.has(event.type)) byType.set(event.type, EVENT_SCHEMAS[event.type].parse(event) as PublishedEvent);
  }
  return byType;
}

/** Every file the catalogue owns, with the content it should have. */
export function catalogueFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const type of EVENT_TYPE_NAMES) files.set(join(EVENTS_DIR, eventSchemaFile(type)), `${JSON.stringify(eventJsonSchema(type), null, 2)}\n`);
  const found = examples();
  const sections = EVENT_TYPE_NAMES.map((type) => {
    const example = found.get(type);
    const description = String(eventJsonSchema(type).description ?? '');
    return [`### \`${type}\``, '', `${description}. Schema: [\`events/${eventSchemaFile(type)}\`](../events/${eventSchemaFile(type)}).`, '', '```json', JSON.stringify(example ?? null, null, 2), '```'].join('\n');
  });
  const page = readFileSync(CATALOGUE_PAGE, 'utf8');
  const start = page.indexOf(BEGIN);
  const end = page.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${CATALOGUE_PAGE} lacks the markers ${BEGIN} … ${END}`);
  files.set(CATALOGUE_PAGE, `${page.slice(0, start + BEGIN.length)}\n\n${sections.join('\n\n')}\n\n${page.slice(end)}`);
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(EVENTS_DIR, { recursive: true });
  for (const [path, content] of catalogueFiles()) writeFileSync(path, content);
  console.log(`wrote ${EVENT_TYPE_NAMES.length} event schemas to events/ and the examples in docs/events.md`);
}
