import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { parseIdempotencyKey } from '../http/preconditions';
import { locationOf, writtenResponse } from '../http/views';
import { CreateEscalationRequest } from '../schemas/escalation';
import { createEscalation } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ body: CreateEscalationRequest }, async ({ body, principal, headers }) => {
  const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
  const written = await createEscalation(deps, body, { principal, idempotencyKey });
  const response = writtenResponse(201, written);
  return { ...response, headers: { ...response.headers, location: locationOf(written.escalation) } };
});
