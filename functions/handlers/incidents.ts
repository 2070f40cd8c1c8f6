import { container } from '../adapters/container';
import { byRoute, endpoint } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import type { Incident } from '../domain/incidents';
import { IdPath } from '../schemas/escalation';
import { CloseIncidentRequest, CreateIncidentRequest, IncidentUpdateRequest, ListIncidentsQuery } from '../schemas/incident';
import { broadcastIncidentUpdate, closeIncidentById, getIncident, listIncidents, openIncident } from '../usecases/incidents';

const deps = container();

/** The incident as the API shows it: the request fingerprint stays inside. */
const view = ({ requestFingerprint: _fingerprint, ...incident }: Incident) => incident;

/** Incidents: one problem, many customers. One Lambda, five routes, each typed by its own schemas. */
export const handler = byRoute({
  'POST /incidents': endpoint({ body: CreateIncidentRequest }, async ({ body, principal, headers }) => {
    const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
    const incident = await openIncident(deps, body, { principal, ...(idempotencyKey && { idempotencyKey }) });
    return { status: 201, headers: { location: `/incidents/${incident.id}` }, body: view(incident) };
  }),
  'GET /incidents': endpoint({ query: ListIncidentsQuery }, async ({ query: { status, limit, cursor } }) => {
    const page = await listIncidents(deps, status, { limit, ...(cursor && { cursor }) });
    return { status: 200, body: { items: page.items.map(view), ...(page.nextCursor && { nextCursor: page.nextCursor }) } };
  }),
  'GET /incidents/{id}': endpoint({ path: IdPath }, async ({ params }) => ({ status: 200, body: view(await getIncident(deps, params.id!)) })),
  'POST /incidents/{id}/updates': endpoint({ path: IdPath, body: IncidentUpdateRequest }, async ({ params, body: { message }, principal, headers }) => {
    const updateId = parseIdempotencyKey(headers['idempotency-key']);
    return { status: 200, body: await broadcastIncidentUpdate(deps, params.id!, message, { principal, ...(updateId && { updateId }) }) };
  }),
  'POST /incidents/{id}/close': endpoint({ path: IdPath, body: CloseIncidentRequest }, async ({ params, body: { note }, principal, headers }) => {
    // Closing is idempotent by nature (a closed incident answers as it is); a key is still checked for its form.
    parseIdempotencyKey(headers['idempotency-key']);
    return { status: 200, body: view(await closeIncidentById(deps, params.id!, { note }, { principal })) };
  }),
});
