import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import type { Incident } from '../domain/incidents';
import { IdPath } from '../schemas/escalation';
import { CloseIncidentRequest, CreateIncidentRequest, IncidentUpdateRequest, ListIncidentsQuery } from '../schemas/incident';
import { broadcastIncidentUpdate, closeIncidentById, getIncident, listIncidents, openIncident } from '../usecases/incidents';

const deps = container();

/** The incident as the API shows it: the request fingerprint stays inside. */
const view = ({ requestFingerprint: _fingerprint, ...incident }: Incident) => incident;

const BODIES = { 'POST /incidents': CreateIncidentRequest, 'POST /incidents/{id}/updates': IncidentUpdateRequest, 'POST /incidents/{id}/close': CloseIncidentRequest } as const;
const bodyFor = (event: ApiEvent) => BODIES[event.routeKey as keyof typeof BODIES];
/** Every route but the two on /incidents itself names an incident by id. */
const pathFor = (event: ApiEvent) => (event.routeKey.startsWith('POST /incidents/') || event.routeKey.startsWith('GET /incidents/') ? IdPath : undefined);
const queryFor = (event: ApiEvent) => (event.routeKey === 'GET /incidents' ? ListIncidentsQuery : undefined);

/** Incidents: one problem, many customers. One Lambda, five routes. */
export const handler = endpoint({ bodyFor, pathFor, queryFor }, async ({ event, params, body, query, principal, headers }) => {
  switch (event.routeKey) {
    case 'POST /incidents': {
      const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
      const incident = await openIncident(deps, body as never, { principal, ...(idempotencyKey && { idempotencyKey }) });
      return { status: 201, headers: { location: `/incidents/${incident.id}` }, body: view(incident) };
    }
    case 'GET /incidents': {
      const { status, limit, cursor } = query as unknown as ReturnType<typeof ListIncidentsQuery.parse>;
      const page = await listIncidents(deps, status, { limit, ...(cursor && { cursor }) });
      return { status: 200, body: { items: page.items.map(view), ...(page.nextCursor && { nextCursor: page.nextCursor }) } };
    }
    case 'POST /incidents/{id}/updates': {
      const updateId = parseIdempotencyKey(headers['idempotency-key']);
      const { message } = body as unknown as { message: string };
      return { status: 200, body: await broadcastIncidentUpdate(deps, params.id!, message, { principal, ...(updateId && { updateId }) }) };
    }
    case 'POST /incidents/{id}/close': {
      // Closing is idempotent by nature (a closed incident answers as it is); a key is still checked for its form.
      parseIdempotencyKey(headers['idempotency-key']);
      const { note } = body as unknown as { note?: string };
      return { status: 200, body: view(await closeIncidentById(deps, params.id!, { note }, { principal })) };
    }
    default:
      return { status: 200, body: view(await getIncident(deps, params.id!)) };
  }
});
