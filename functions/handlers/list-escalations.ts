import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { toView } from '../http/views';
import { ListEscalationsQuery } from '../schemas/escalation';
import { listEscalations } from '../usecases/escalations';

const deps = container();

export const handler = endpoint({ query: ListEscalationsQuery }, async ({ query }) => {
  const page = await listEscalations(deps, query);
  return { status: 200, body: { items: page.items.map((escalation) => toView(escalation)), ...(page.nextCursor && { nextCursor: page.nextCursor }) } };
});
