import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import type { Incident } from '../domain/incidents';
import { IdPath } from '../schemas/escalation';
import { CreateIncidentRequest, IncidentUpdateRequest } from '../schemas/incident';
import { broadcastIncidentUpdate, getIncident, openIncident } from '../usecases/incidents';

const deps = container();

/** The incident as the API shows it: the request fingerprint stays inside. */
const view = ({ requestFingerprint: _fingerprint, ...incident }: Incident) => incident;

const BODIES = { 'POST /incidents': CreateIncidentRequest, 'POST /incidents/{id}/updates': IncidentUpdateRequest } as const;
const bodyFor = (event: ApiEvent) => BODIES[event.routeKey as keyof typeof BODIES];

/** Incidents: one problem, many customers. One Lambda, three routes. */
/** Every route but POST /incidents names an incident by id. */
const pathFor = (event: ApiEvent) => (event.routeKey === 'POST /incidents' ? undefined : IdPath);

export const handler = endpoint({ bodyFor, pathFor }, async ({ event, params, body, principal, headers }) => {
  switch (event.routeKey) {
    case 'POST /incidents': {
      const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
      const incident = await openIncident(deps, body as never, { principal, ...(idempotencyKey && { idempotencyKey }) });
      return { status: 201, headers: { location: `/incidents/${incident.id}` }, body: view(incident) };
    }
    case 'POST /incidents/{id}/updates': {
      const updateId = parseIdempotencyKey(headers['idempotency-key']);
      const { message } = body as unknown as { message: string };
      return { status: 200, body: await broadcastIncidentUpdate(deps, params.id!, message, { principal, ...(updateId && { updateId }) }) };
    }
    default:
      return { status: 200, body: view(await getIncident(deps, params.id!)) };
  }
});
