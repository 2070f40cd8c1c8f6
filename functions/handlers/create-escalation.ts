import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import { etag, locationOf, toView } from '../http/views';
import { CreateEscalationRequest } from '../schemas/escalation';
import { createEscalation } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ body: CreateEscalationRequest }, async ({ body, principal, headers }) => {
  const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
  const { escalation, replayed } = await createEscalation(deps, body, { principal, idempotencyKey });
  return {
    status: 201,
    headers: { location: locationOf(escalation), etag: etag(escalation), ...(replayed && { 'idempotent-replayed': 'true' }) },
    body: toView(escalation, deps.playbook),
  };
});
