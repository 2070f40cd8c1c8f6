import { container } from '../adapters/container';
import { endpoint, type ApiEvent } from '../http/endpoint';
import { parseIdempotencyKey, parseIfMatch } from '../http/preconditions';
import { itemView, writtenResponse } from '../http/views';
import { IdPath, ImprovementItemPatch, ItemPath, PatchEscalationRequest, type ImprovementItemChanges, type PatchEscalationInput } from '../schemas/escalation';
import { editEscalationFacts, updateReviewItem } from '../usecases/escalations';

const deps = container();

const ITEM_ROUTE = 'PATCH /escalations/{id}/review/items/{itemId}';
const isItemRoute = (event: ApiEvent) => event.routeKey === ITEM_ROUTE;

/** PATCH edits, each with If-Match: the facts of a case (its version), or one improvement item of its review (the item's own). */
export const handler = endpoint(
  { pathFor: (event) => (isItemRoute(event) ? ItemPath : IdPath), bodyFor: (event) => (isItemRoute(event) ? ImprovementItemPatch : PatchEscalationRequest) },
  async ({ event, params, body, principal, headers }) => {
    const ifMatch = parseIfMatch(headers['if-match'], true);
    const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
    if (isItemRoute(event)) {
      const written = await updateReviewItem(deps, params.id!, params.itemId!, body as unknown as ImprovementItemChanges, { principal, itemIfMatch: ifMatch, idempotencyKey });
      return {
        status: 200,
        headers: { etag: `"${written.item.version}"`, ...(written.replayed && { 'idempotent-replayed': 'true' }) },
        body: itemView(written.item),
      };
    }
    return writtenResponse(200, await editEscalationFacts(deps, params.id!, body as unknown as PatchEscalationInput, { principal, ifMatch, idempotencyKey }), deps.playbook);
  },
);
