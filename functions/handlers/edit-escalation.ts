import { container } from '../adapters/container';
import { byRoute, endpoint } from '../http/endpoint';
import { parseIdempotencyKey, parseIfMatch } from '../http/preconditions';
import { itemView, writtenResponse } from '../http/views';
import { IdPath, ImprovementItemPatch, ItemPath, PatchEscalationRequest } from '../schemas/escalation';
import { editEscalationFacts, updateReviewItem } from '../usecases/escalations';

const deps = container();

/** PATCH edits, each with If-Match: the facts of a case (its version), or one improvement item of its review (the item's own). */
export const handler = byRoute({
  'PATCH /escalations/{id}': endpoint({ path: IdPath, body: PatchEscalationRequest }, async ({ params, body, principal, headers }) => {
    const ifMatch = parseIfMatch(headers['if-match'], true);
    const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
    return writtenResponse(200, await editEscalationFacts(deps, params.id!, body, { principal, ifMatch, idempotencyKey }));
  }),
  'PATCH /escalations/{id}/review/items/{itemId}': endpoint({ path: ItemPath, body: ImprovementItemPatch }, async ({ params, body, principal, headers }) => {
    const ifMatch = parseIfMatch(headers['if-match'], true);
    const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
    const written = await updateReviewItem(deps, params.id!, params.itemId!, body, { principal, itemIfMatch: ifMatch, idempotencyKey });
    return {
      status: 200,
      headers: { etag: `"${written.item.version}"`, ...(written.replayed && { 'idempotent-replayed': 'true' }) },
      body: itemView(written.item),
    };
  }),
});
