import { container } from '../adapters/container';
import { byRoute, endpoint } from '../http/endpoint';
import { IdPath } from '../schemas/escalation';
import { DeliveriesQuery, RegisterWebhookRequest } from '../schemas/webhooks';
import { enableWebhook, getWebhook, listDeliveries, registerWebhook, rotateWebhookSecret, webhookView } from '../usecases/webhooks';

const deps = container();

/** Webhooks: register a URL for events, see its deliveries, rotate its secret, enable it again. One Lambda, five routes, admin scope. */
export const handler = byRoute({
  'POST /webhooks': endpoint({ body: RegisterWebhookRequest }, async ({ body, principal }) => {
    const registered = await registerWebhook(deps, body, principal);
    return { status: 201, headers: { location: `/webhooks/${registered.id}` }, body: registered };
  }),
  'GET /webhooks/{id}': endpoint({ path: IdPath }, async ({ params }) => ({ status: 200, body: webhookView(await getWebhook(deps, params.id!)) })),
  'GET /webhooks/{id}/deliveries': endpoint({ path: IdPath, query: DeliveriesQuery }, async ({ params, query: { limit, cursor } }) => ({
    status: 200,
    body: await listDeliveries(deps, params.id!, { limit, ...(cursor && { cursor }) }),
  })),
  'POST /webhooks/{id}/rotate-secret': endpoint({ path: IdPath }, async ({ params }) => ({ status: 200, body: await rotateWebhookSecret(deps, params.id!) })),
  'POST /webhooks/{id}/enable': endpoint({ path: IdPath }, async ({ params }) => ({ status: 200, body: await enableWebhook(deps, params.id!) })),
});
