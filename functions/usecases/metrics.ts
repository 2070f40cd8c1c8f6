import { playbookMetrics } from '../domain/playbook-metrics';
import type { Escalation } from '../domain/escalation';
import { ACTIVE_STATUSES, type Severity } from '../domain/vocabulary';
import type { MetricsParams, MetricsReportBody } from '../schemas/metrics';
import type { Dependencies } from './escalations';

const DEFAULT_RANGE_MS = 30 * 86_400_000;

/** The playbook's figures over a range: Queries on the events index and the status index, no Scan. */
export async function reportMetrics(deps: Dependencies, params: MetricsParams): Promise<MetricsReportBody> {
  const to = params.to ? new Date(params.to) : deps.now();
  const from = params.from ? new Date(params.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  const [events, openCases] = await Promise.all([deps.repository.metricEvents({ from, to }, params.severity), openEscalations(deps, params.severity)]);
  return {
    range: { from: from.toISOString(), to: to.toISOString(), ...(params.severity && { severity: params.severity }) },
    ...playbookMetrics(events, openCases, deps.now(), deps.playbook),
  };
}

async function openEscalations(deps: Dependencies, severity?: Severity): Promise<Escalation[]> {
  const perStatus = await Promise.all(
    ACTIVE_STATUSES.map(async (status) => {
      const found: Escalation[] = [];
      let cursor: string | undefined;
      do {
        const page = await deps.repository.list({ statuses: [status], ...(severity && { severity }) }, { limit: 100, cursor }, deps.now());
        found.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      return found;
    }),
  );
  return perStatus.flat();
}
