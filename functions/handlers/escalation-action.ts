import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIdempotencyKey, parseIfMatch } from '../http/preconditions';
import { writtenResponse } from '../http/views';
import { ActionRequests, IdPath, type ActionName } from '../schemas/escalation';
import { actOnEscalation } from '../usecases/escalations';

const deps = container();

/** One Lambda serves every lifecycle action; the route's last segment names it. */
const actionOf = (event: ApiEvent) => event.routeKey.split('/').pop() as ActionName;

export const handler = endpoint({ path: IdPath, bodyFor: (event) => ActionRequests[actionOf(event)] }, async ({ event, params, body, principal, headers }) => {
  const ifMatch = parseIfMatch(headers['if-match'], false);
  const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
  const written = await actOnEscalation(deps, params.id!, actionOf(event), body as never, { principal, ifMatch, idempotencyKey });
  return writtenResponse(200, written, deps.playbook);
});
