import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { IdPath, TimelineQuery } from '../schemas/escalation';
import { getTimeline } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ path: IdPath, query: TimelineQuery }, async ({ params, query }) => {
  const page = await getTimeline(deps, params.id!, query);
  return { status: 200, body: page };
});
