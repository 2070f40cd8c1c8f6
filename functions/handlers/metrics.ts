import { container } from '../adapters/container';
import { endpoint } from '../http/endpoint';
import { MetricsQuery } from '../schemas/metrics';
import { reportMetrics } from '../usecases/metrics';

const deps = container();

export const handler = endpoint({ query: MetricsQuery }, async ({ query }) => ({ status: 200, body: await reportMetrics(deps, query) }));
