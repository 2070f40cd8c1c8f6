import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import { CreateIncidentRequest, IncidentUpdateRequest } from '../schemas/incident';
import { broadcastIncidentUpdate, getIncident, openIncident } from '../usecases/incidents';

const deps = container();

const BODIES = { 'POST /incidents': CreateIncidentRequest, 'POST /incidents/{id}/updates': IncidentUpdateRequest } as const;
const bodyFor = (event: ApiEvent) => BODIES[event.routeKey as keyof typeof BODIES];

/** Incidents: one problem, many customers. One Lambda, three routes. */
export const handler = endpoint({ bodyFor }, async ({ event, params, body, principal, headers }) => {
  switch (event.routeKey) {
    case 'POST /incidents': {
      const incident = await openIncident(deps, body as never, principal);
      return { status: 201, headers: { location: `/incidents/${incident.id}` }, body: incident };
    }
    case 'POST /incidents/{id}/updates': {
      const updateId = parseIdempotencyKey(headers['idempotency-key']);
      const { message } = body as unknown as { message: string };
      return { status: 200, body: await broadcastIncidentUpdate(deps, params.id!, message, { principal, ...(updateId && { updateId }) }) };
    }
    default:
      return { status: 200, body: await getIncident(deps, params.id!) };
  }
});
