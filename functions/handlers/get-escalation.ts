import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { matchesAny } from '../http/preconditions';
import { etag, toView } from '../http/views';
import { IdPath } from '../schemas/escalation';
import { getEscalation } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ path: IdPath }, async ({ params, headers }) => {
  const escalation = await getEscalation(deps, params.id!);
  if (matchesAny(headers['if-none-match'], escalation.version)) return { status: 304, headers: { etag: etag(escalation) } };
  return { status: 200, headers: { etag: etag(escalation) }, body: toView(escalation) };
});
