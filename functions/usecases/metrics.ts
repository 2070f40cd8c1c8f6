import { aftercareDueAt } from '../domain/aftercare';
import { playbookMetrics, reviewMetrics } from '../domain/playbook-metrics';
import type { Escalation } from '../domain/escalation';
import { ACTIVE_STATUSES, type Severity } from '../domain/vocabulary';
import type { MetricsParams, MetricsReportBody } from '../schemas/metrics';
import type { Dependencies } from '../ports/dependencies';

const DEFAULT_RANGE_MS = 30 * 86_400_000;

/** The playbook's figures over a range: Queries on the events index and the status index, no Scan. */
export async function reportMetrics(deps: Dependencies, params: MetricsParams): Promise<MetricsReportBody> {
  const to = params.to ? new Date(params.to) : deps.now();
  const from = params.from ? new Date(params.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  const [events, openCases, reviewedCases] = await Promise.all([
    deps.repository.metricEvents({ from, to }, params.severity),
    openEscalations(deps, params.severity),
    casesWithAftercare(deps, params.severity),
  ]);
  return {
    range: { from: from.toISOString(), to: to.toISOString(), ...(params.severity && { severity: params.severity }) },
    ...playbookMetrics(events, openCases, deps.now(), deps.playbook),
    ...reviewMetrics(events, reviewedCases, deps.now()),
  };
}

/**
 * The cases that may hold open improvement items: every resolved case, and the closed (or
 * out-of-scope) ones with aftercare left. Those sort first in their status partition by the
 * deadline order (functions/adapters/table-design.ts), so the walk stops at the first page that
 * reaches a case with nothing left, rather than reading two years of closed cases.
 */
async function casesWithAftercare(deps: Dependencies, severity?: Severity): Promise<Escalation[]> {
  const walk = async (status: 'resolved' | 'closed' | 'out_of_scope', stopAtFinished: boolean) => {
    const found: Escalation[] = [];
    let cursor: string | undefined;
    do {
      const page = await deps.repository.list({ statuses: [status], ...(severity && { severity }) }, { limit: 100, cursor, order: 'deadline' }, deps.now());
      const kept = stopAtFinished ? page.items.filter((escalation) => aftercareDueAt(escalation) !== undefined) : page.items;
      found.push(...kept);
      if (stopAtFinished && kept.length < page.items.length) break;
      cursor = page.nextCursor;
    } while (cursor);
    return found;
  };
  return (await Promise.all([walk('resolved', false), walk('closed', true), walk('out_of_scope', true)])).flat();
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
