import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { parseIfMatch } from '../http/preconditions';
import { etag, toView } from '../http/views';
import { PatchEscalationRequest } from '../schemas/escalation';
import { editEscalationFacts } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ body: PatchEscalationRequest }, async ({ params, body, principal, headers }) => {
  const ifMatch = parseIfMatch(headers['if-match'], true);
  const escalation = await editEscalationFacts(deps, params.id!, body, { principal, ifMatch });
  return { status: 200, headers: { etag: etag(escalation) }, body: toView(escalation, deps.playbook) };
});
