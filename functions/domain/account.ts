import type { Escalation, SponsorshipProposal } from './escalation';
import { openItems } from './review';
import { sponsorshipStanding, type AccountProfile } from './sponsorship';
import { ACTIVE_STATUSES, SEVERITIES, type Status } from './vocabulary';

// An account's history across its escalations (GET /accounts/{accountId}) and the short
// quarterly-business-review brief drawn from it (GET /accounts/{accountId}/brief).

const HOUR = 3_600_000;
const isOpen = (status: Status) => (ACTIVE_STATUSES as readonly Status[]).includes(status);
const reportedAt = (escalation: Escalation) => escalation.reportedAt ?? escalation.sla.startedAt;
const median = (values: number[]): number | null => {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1]!;
};
const average = (values: number[]): number | null => (values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 100) / 100 : null);

/** Open cases first (most severe, then oldest), then the rest newest first. */
export function accountOrder(a: Escalation, b: Escalation): number {
  const openA = isOpen(a.status);
  const openB = isOpen(b.status);
  if (openA !== openB) return openA ? -1 : 1;
  if (openA) return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || (a.createdAt < b.createdAt ? -1 : 1);
  return a.createdAt < b.createdAt ? 1 : -1;
}

export interface AccountRecordsInput {
  profile?: AccountProfile | undefined;
  proposals: SponsorshipProposal[];
}

/** The account's history: every escalation stored for it, open ones first, with the figures a CSM asks for. */
export function accountSummary(accountId: string, escalations: Escalation[], records: AccountRecordsInput) {
  const cases = [...escalations].sort(accountOrder);
  const acknowledged = cases.filter((escalation) => escalation.acknowledgedAt).map((escalation) => Date.parse(escalation.acknowledgedAt!) - Date.parse(reportedAt(escalation)));
  const resolved = cases.filter((escalation) => escalation.resolvedAt).map((escalation) => Date.parse(escalation.resolvedAt!) - Date.parse(reportedAt(escalation)));
  const scores = cases
    .filter((escalation) => escalation.satisfaction)
    .map((escalation) => ({ caseId: escalation.id, score: escalation.satisfaction!.score, at: escalation.satisfaction!.at }))
    .sort((a, b) => (a.at < b.at ? -1 : 1));
  const half = Math.floor(scores.length / 2);
  const earlier = average(scores.slice(0, half).map((entry) => entry.score));
  const recent = average(scores.slice(half).map((entry) => entry.score));
  const outcomes = { retained: cases.filter((escalation) => escalation.outcome === 'retained').length, churned: cases.filter((escalation) => escalation.outcome === 'churned').length };
  const names = cases.map((escalation) => escalation.customer.name);
  return {
    accountId,
    ...(names[0] !== undefined && { name: names[0] }),
    escalations: cases.map((escalation) => ({
      id: escalation.id,
      title: escalation.title,
      severity: escalation.severity,
      status: escalation.status,
      tier: escalation.tier,
      createdAt: escalation.createdAt,
      ...(escalation.acknowledgedAt && { acknowledgedAt: escalation.acknowledgedAt }),
      ...(escalation.resolvedAt && { resolvedAt: escalation.resolvedAt }),
      ...(escalation.closedAt && { closedAt: escalation.closedAt }),
      ...(escalation.outcome && { outcome: escalation.outcome }),
      ...(escalation.satisfaction && { satisfaction: escalation.satisfaction.score }),
      ...(escalation.incidentId && { incidentId: escalation.incidentId }),
      ...(escalation.review && { reviewed: true, openImprovementItems: openItems(escalation).length }),
    })),
    counts: { total: cases.length, open: cases.filter((escalation) => isOpen(escalation.status)).length },
    timeToAcknowledge: { count: acknowledged.length, medianMs: median(acknowledged) },
    timeToResolve: { count: resolved.length, medianMs: median(resolved) },
    satisfaction: {
      scores,
      average: average(scores.map((entry) => entry.score)),
      // The later half of the scores against the earlier half: up, down or flat; unknown below two scores.
      trend: earlier === null || recent === null ? 'unknown' : recent > earlier ? 'improving' : recent < earlier ? 'declining' : 'steady',
    },
    highestTierReached: cases.reduce((highest, escalation) => Math.max(highest, escalation.tier), 0),
    outcomes,
    sponsorship: {
      standing: sponsorshipStanding(records.profile, records.proposals),
      ...(records.profile?.sponsorship && { decision: records.profile.sponsorship }),
      history: records.profile?.history ?? [],
      proposals: records.proposals,
    },
    incidents: [...new Set(cases.flatMap((escalation) => (escalation.incidentId ? [escalation.incidentId] : [])))],
  };
}

export type AccountSummary = ReturnType<typeof accountSummary>;

const hours = (ms: number | null) => (ms === null ? 'no figure yet' : ms < 2 * HOUR ? `${Math.round(ms / 60_000)} minutes` : ms < 72 * HOUR ? `${Math.round(ms / HOUR)} hours` : `${Math.round(ms / (24 * HOUR))} days`);

/**
 * A short quarterly-business-review brief: what went wrong (the escalations since `since`), what
 * was done to keep it from happening again (resolutions' prevention, reviews' process fixes and
 * improvement items), and satisfaction since. Plain sentences, for a slide or an email.
 */
export function accountBrief(summary: AccountSummary, escalations: Escalation[], since: string) {
  const inPeriod = escalations.filter((escalation) => escalation.createdAt >= since).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  const wentWrong = inPeriod.map((escalation) => {
    const cause = escalation.review?.rootCause ?? escalation.resolution?.rootCause;
    return `${escalation.createdAt.slice(0, 10)}: ${escalation.title} (${escalation.severity}, ${escalation.status.replace(/_/g, ' ')})${cause ? ` — cause: ${cause}` : ''}`;
  });
  const prevention = inPeriod.flatMap((escalation) => [
    ...(escalation.resolution?.prevention ? [`${escalation.title}: ${escalation.resolution.prevention}`] : []),
    ...(escalation.review?.processFixes ? [`${escalation.title}: ${escalation.review.processFixes}`] : []),
    ...(escalation.review?.items ?? []).map((item) => `${item.title} (${item.team}, due ${item.due}, ${item.status.replace(/_/g, ' ')})`),
  ]);
  const scores = summary.satisfaction.scores.filter((entry) => entry.at >= since);
  const satisfactionSince = average(scores.map((entry) => entry.score));
  const headline =
    inPeriod.length === 0
      ? `No escalations since ${since.slice(0, 10)}.`
      : `${inPeriod.length} escalation${inPeriod.length === 1 ? '' : 's'} since ${since.slice(0, 10)}, ${inPeriod.filter((escalation) => isOpen(escalation.status)).length} still open; ` +
        `acknowledged in ${hours(summary.timeToAcknowledge.medianMs)} and resolved in ${hours(summary.timeToResolve.medianMs)} (medians over the account's history).`;
  return {
    accountId: summary.accountId,
    ...(summary.name !== undefined && { name: summary.name }),
    since,
    headline,
    whatWentWrong: wentWrong,
    whatWeDidToPreventIt: prevention,
    satisfactionSince: {
      responses: scores.length,
      average: satisfactionSince,
      sentence:
        satisfactionSince === null ? 'No satisfaction scores in the period.' : `Average satisfaction ${satisfactionSince}/10 over ${scores.length} response${scores.length === 1 ? '' : 's'} (trend: ${summary.satisfaction.trend}).`,
    },
    sponsorship: summary.sponsorship.standing,
  };
}
