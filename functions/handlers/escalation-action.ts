import { container } from '../adapters/container';
import { byRoute, endpoint } from '../http/endpoint';
import { parseIdempotencyKey, parseIfMatch } from '../http/preconditions';
import { writtenResponse } from '../http/views';
import type { ActionName } from '../domain/commands';
import { ACTION_NAMES, ActionRequests, IdPath } from '../schemas/escalation';
import { actOnEscalation } from '../usecases/escalations';

const deps = container();

/** A lifecycle action's endpoint: its body is parsed and typed by that action's own schema. */
function actionEndpoint<A extends ActionName>(action: A) {
  return endpoint({ path: IdPath, body: ActionRequests[action] }, async ({ params, body, principal, headers }) => {
    const ifMatch = parseIfMatch(headers['if-match'], false);
    const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
    const written = await actOnEscalation(deps, params.id!, action, body, { principal, ifMatch, idempotencyKey });
    return writtenResponse(200, written);
  });
}

/** One Lambda serves every lifecycle action; the route's last segment names it. */
export const handler = byRoute(Object.fromEntries(ACTION_NAMES.map((action) => [`POST /escalations/{id}/${action}`, actionEndpoint(action)])));
