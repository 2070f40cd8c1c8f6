import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIfMatch } from '../http/preconditions';
import { etag, toView } from '../http/views';
import { ActionRequests, type ActionName } from '../schemas/escalation';
import { actOnEscalation } from '../usecases/escalations';

const deps = container();

/** One Lambda serves every lifecycle action; the route's last segment names it. */
const actionOf = (event: ApiEvent) => event.routeKey.split('/').pop() as ActionName;

export const handler = endpoint({ bodyFor: (event) => ActionRequests[actionOf(event)] }, async ({ event, params, body, principal, headers }) => {
  const ifMatch = parseIfMatch(headers['if-match'], false);
  const escalation = await actOnEscalation(deps, params.id!, actionOf(event), body as never, { principal, ifMatch });
  return { status: 200, headers: { etag: etag(escalation) }, body: toView(escalation, deps.playbook) };
});
