import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { parseIdempotencyKey, parseIfMatch } from '../http/preconditions';
import { writtenResponse } from '../http/views';
import { PatchEscalationRequest, IdPath } from '../schemas/escalation';
import { editEscalationFacts } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ path: IdPath, body: PatchEscalationRequest }, async ({ params, body, principal, headers }) => {
  const ifMatch = parseIfMatch(headers['if-match'], true);
  const idempotencyKey = parseIdempotencyKey(headers['idempotency-key']);
  return writtenResponse(200, await editEscalationFacts(deps, params.id!, body, { principal, ifMatch, idempotencyKey }));
});
