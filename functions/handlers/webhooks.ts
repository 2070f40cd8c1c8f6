import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { IdPath } from '../schemas/escalation';
import { DeliveriesQuery, RegisterWebhookRequest } from '../schemas/webhooks';
import { enableWebhook, getWebhook, listDeliveries, registerWebhook, rotateWebhookSecret, webhookView } from '../usecases/webhooks';

const deps = container();

const bodyFor = (event: ApiEvent) => (event.routeKey === 'POST /webhooks' ? RegisterWebhookRequest : undefined);
/** Every route but POST /webhooks names a webhook by id. */
const pathFor = (event: ApiEvent) => (event.routeKey === 'POST /webhooks' ? undefined : IdPath);
const queryFor = (event: ApiEvent) => (event.routeKey === 'GET /webhooks/{id}/deliveries' ? DeliveriesQuery : undefined);

/** Webhooks: register a URL for events, see its deliveries, rotate its secret, enable it again. One Lambda, five routes, admin scope. */
export const handler = endpoint({ bodyFor, pathFor, queryFor }, async ({ event, params, body, query, principal }) => {
  switch (event.routeKey) {
    case 'POST /webhooks': {
      const registered = await registerWebhook(deps, body as never, principal);
      return { status: 201, headers: { location: `/webhooks/${registered.id}` }, body: registered };
    }
    case 'GET /webhooks/{id}/deliveries': {
      const { limit, cursor } = query as unknown as { limit: number; cursor?: string };
      return { status: 200, body: await listDeliveries(deps, params.id!, { limit, ...(cursor && { cursor }) }) };
    }
    case 'POST /webhooks/{id}/rotate-secret':
      return { status: 200, body: await rotateWebhookSecret(deps, params.id!) };
    case 'POST /webhooks/{id}/enable':
      return { status: 200, body: await enableWebhook(deps, params.id!) };
    default:
      return { status: 200, body: webhookView(await getWebhook(deps, params.id!)) };
  }
});
