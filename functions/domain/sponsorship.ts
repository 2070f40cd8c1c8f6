import { sponsorshipProposalFacts, toInternal } from './communications';
import { RuleViolationError } from './errors';
import type { Change, Context, Escalation, SponsorshipProposal } from './escalation';
import { recipientsFor } from './routing';

// The executive sponsorship programme (PLAYBOOK.md §4): an executive escalation may enrol its
// account, which then has a named executive sponsor who hears of each new escalation from intake.

/** An admin's decision on the account's enrolment. */
export interface SponsorshipDecision {
  status: 'enrolled' | 'declined';
  /** The executive who sponsors the account (enrolled only): their email address. */
  sponsor?: string;
  /** The day the decision took effect, YYYY-MM-DD (UTC). */
  since: string;
  reason: string;
  decidedBy: string;
  decidedAt: string;
}

/** What is stored of an account beyond its cases: its sponsorship, and every decision before it. */
export interface AccountProfile {
  accountId: string;
  version: number;
  sponsorship?: SponsorshipDecision;
  /** Earlier decisions, oldest first (the programme's history of this account). */
  history: SponsorshipDecision[];
}

export interface SponsorshipRequest {
  decision: 'enrol' | 'decline';
  sponsor?: string | undefined;
  reason: string;
}

/** How many earlier decisions an account keeps. */
const KEPT_DECISIONS = 50;

/** The executive signals of a case (PLAYBOOK.md §3): a threat to cancel or to take legal action, or a customer executive involved. */
export function executiveSignals(escalation: Pick<Escalation, 'triggers' | 'executiveInvolved'>): string[] {
  return [
    ...(escalation.triggers.includes('cancellation_threat') ? ['the customer threatened to cancel'] : []),
    ...(escalation.triggers.includes('legal_threat') ? ['the customer threatened legal action'] : []),
    ...(escalation.executiveInvolved ? ['a customer executive was involved'] : []),
  ];
}

export const isEnrolled = (profile: AccountProfile | undefined) => profile?.sponsorship?.status === 'enrolled';

/**
 * Resolving or closing an executive escalation proposes its account for the programme, once per
 * case and never for an account already in it: the change records the proposal on the timeline,
 * in the account's items, and tells the people who decide.
 */
export function withSponsorshipProposal(before: Escalation, change: Change, profile: AccountProfile | undefined, ctx: Context): Change {
  const { next } = change;
  const outcome = next.status === 'resolved' || next.status === 'closed' ? next.status : undefined;
  const reasons = executiveSignals(next);
  if (!outcome || before.status === outcome || next === before || !reasons.length || next.sponsorshipProposedAt || isEnrolled(profile)) return change;
  const at = ctx.now.toISOString();
  const proposal: SponsorshipProposal = { accountId: next.customer.accountId, caseId: next.id, at, reasons, outcome };
  const proposed: Escalation = { ...next, sponsorshipProposedAt: at };
  const to = recipientsFor(ctx.playbook.sponsorship.proposeTo, ctx.playbook);
  return {
    ...change,
    next: proposed,
    sponsorshipProposal: proposal,
    events: [
      ...change.events,
      {
        type: 'sponsorship_proposed',
        at,
        actor: ctx.actor,
        summary: `executive escalation ${outcome}: account proposed for executive sponsorship (${reasons.join('; ')})`,
        data: { reasons, proposedTo: ctx.playbook.sponsorship.proposeTo },
      },
    ],
    notifications: [...(change.notifications ?? []), ...toInternal(proposed, 'sponsorship_proposal', `sponsorship:${next.id}`, to, sponsorshipProposalFacts(reasons, outcome))],
  };
}

/** An admin enrols the account (with a sponsor) or declines it; the decision before is kept in the history. */
export function decideSponsorship(accountId: string, profile: AccountProfile | undefined, request: SponsorshipRequest, ctx: Context): AccountProfile {
  if (request.decision === 'enrol' && !request.sponsor) throw new RuleViolationError('an enrolment names the executive sponsor', 'sponsor');
  if (request.decision === 'decline' && request.sponsor) throw new RuleViolationError('a declined account has no sponsor: leave sponsor out', 'sponsor');
  const decision: SponsorshipDecision = {
    status: request.decision === 'enrol' ? 'enrolled' : 'declined',
    ...(request.sponsor && { sponsor: request.sponsor }),
    since: ctx.now.toISOString().slice(0, 10),
    reason: request.reason,
    decidedBy: ctx.actor,
    decidedAt: ctx.now.toISOString(),
  };
  const history = profile?.sponsorship ? [...profile.history, profile.sponsorship].slice(-KEPT_DECISIONS) : (profile?.history ?? []);
  return { accountId, version: (profile?.version ?? 0) + 1, sponsorship: decision, history };
}

/**
 * Where the account stands: in the programme, declined, proposed (a proposal came after the last
 * decision, or there was none), or never considered.
 */
export function sponsorshipStanding(profile: AccountProfile | undefined, proposals: Pick<SponsorshipProposal, 'at'>[]): 'enrolled' | 'declined' | 'proposed' | 'none' {
  if (isEnrolled(profile)) return 'enrolled';
  const decidedAt = profile?.sponsorship?.decidedAt;
  if (proposals.some((proposal) => decidedAt === undefined || proposal.at > decidedAt)) return 'proposed';
  return profile?.sponsorship ? 'declined' : 'none';
}
