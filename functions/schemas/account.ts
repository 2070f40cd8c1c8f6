import * as z from 'zod';
import { OUTCOMES, SEVERITIES, STATUSES } from '../domain/vocabulary';
import { emailAddress, isoInstant } from './escalation';

// Requests of the account routes (/accounts/{accountId}…). Lazy, like every request and answer
// shape (functions/schemas/escalation.ts): built on first use, not when a bundle loads.

/** An account as the customer record names it (the escalations' customer.accountId). */
export const AccountPath = z.lazy(() =>
  z.object({
    accountId: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'an account id as the escalations name it (customer.accountId)'),
  })
);

export const SponsorshipDecisionRequest = z.lazy(() =>
  z
    .strictObject({
      decision: z.enum(['enrol', 'decline']).describe('enrol the account in the executive sponsorship programme, or decline it'),
      sponsor: emailAddress().optional().describe('the executive who sponsors the account (enrol only): their email address, which gets every new escalation of the account from intake'),
      reason: z.string().trim().min(1).max(2_000).describe('why, in a sentence: kept with the decision'),
    })
    .refine((request) => request.decision === 'decline' || request.sponsor !== undefined, { message: 'an enrolment names the sponsor', path: ['sponsor'] })
    .refine((request) => request.decision === 'enrol' || request.sponsor === undefined, { message: 'a declined account has no sponsor: leave sponsor out', path: ['sponsor'] }),
);
export type SponsorshipDecisionInput = z.output<typeof SponsorshipDecisionRequest>;

export const BriefQuery = z.lazy(() =>
  z.strictObject({
    since: z.iso.datetime({ offset: true }).optional().describe('the period the brief covers starts here (default: 90 days ago, a quarter)'),
  })
);

export const ErasureRequest = z.lazy(() =>
  z.strictObject({
    reason: z.string().trim().min(1).max(2_000).describe('why the account\'s personal data is erased (a data subject\'s request, the end of the contract): kept in the audit record'),
  })
);

// Answers of the account routes, as functions/domain/account.ts, sponsorship.ts and the use
// cases of functions/usecases/accounts.ts build them.

const SponsorshipDecisionView = z.lazy(() =>
  z.object({
    status: z.enum(['enrolled', 'declined']),
    sponsor: z.string().optional().describe('the executive who sponsors the account (enrolled only)'),
    since: z.iso.date().describe('the day the decision took effect (UTC)'),
    reason: z.string(),
    decidedBy: z.string(),
    decidedAt: isoInstant(),
  })
);

const SponsorshipProposalView = z.lazy(() =>
  z.object({
    accountId: z.string(),
    caseId: z.string(),
    at: isoInstant(),
    reasons: z.array(z.string()).describe('the executive signals the case carried'),
    outcome: z.enum(['resolved', 'closed']),
  })
);

const SPONSORSHIP_STANDINGS = ['enrolled', 'declined', 'proposed', 'none'] as const;

export const AccountProfileView = z.lazy(() =>
  z.object({
    accountId: z.string(),
    version: z.number().int(),
    sponsorship: SponsorshipDecisionView.optional().describe('the decision in force'),
    history: z.array(SponsorshipDecisionView).describe('earlier decisions, oldest first'),
  })
);

const Median = z.lazy(() =>
  z.object({ count: z.number().int(), medianMs: z.number().nullable().describe('null until one case has the figure') })
);

export const AccountView = z.lazy(() =>
  z.object({
    accountId: z.string(),
    name: z.string().optional().describe('the customer\'s name on its most urgent case'),
    escalations: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          severity: z.enum(SEVERITIES),
          status: z.enum(STATUSES),
          tier: z.number().int(),
          createdAt: isoInstant(),
          acknowledgedAt: isoInstant().optional(),
          resolvedAt: isoInstant().optional(),
          closedAt: isoInstant().optional(),
          outcome: z.enum(OUTCOMES).optional(),
          satisfaction: z.number().int().optional(),
          incidentId: z.string().optional(),
          reviewed: z.boolean().optional(),
          openImprovementItems: z.number().int().optional(),
        }),
      )
      .describe('open cases first (most severe, then oldest), then the rest newest first'),
    counts: z.object({ total: z.number().int(), open: z.number().int() }),
    timeToAcknowledge: Median,
    timeToResolve: Median,
    satisfaction: z.object({
      scores: z.array(z.object({ caseId: z.string(), score: z.number().int(), at: isoInstant() })),
      average: z.number().nullable(),
      trend: z.enum(['improving', 'declining', 'steady', 'unknown']),
    }),
    highestTierReached: z.number().int(),
    outcomes: z.object({ retained: z.number().int(), churned: z.number().int() }),
    sponsorship: z.object({
      standing: z.enum(SPONSORSHIP_STANDINGS),
      decision: SponsorshipDecisionView.optional(),
      history: z.array(SponsorshipDecisionView),
      proposals: z.array(SponsorshipProposalView),
    }),
    incidents: z.array(z.string()),
  })
);

export const AccountBriefView = z.lazy(() =>
  z.object({
    accountId: z.string(),
    name: z.string().optional(),
    since: isoInstant(),
    headline: z.string(),
    whatWentWrong: z.array(z.string()),
    whatWeDidToPreventIt: z.array(z.string()),
    satisfactionSince: z.object({ responses: z.number().int(), average: z.number().nullable(), sentence: z.string() }),
    sponsorship: z.enum(SPONSORSHIP_STANDINGS),
  })
);

/** Stored items, as they are stored: the export is everything kept, not a view of it. */
const StoredItem = z.lazy(() =>
  z.record(z.string(), z.unknown())
);

export const AccountExport = z.lazy(() =>
  z.object({
    accountId: z.string(),
    exportedAt: isoInstant(),
    escalations: z.array(z.object({ escalation: StoredItem, timeline: z.array(StoredItem), emails: z.array(StoredItem) })),
    account: z.object({ profile: AccountProfileView.optional(), proposals: z.array(SponsorshipProposalView), knownContacts: z.array(z.string()) }),
    contactDirectory: z.array(StoredItem),
  })
);

export const ErasureRecordView = z.lazy(() =>
  z.object({
    id: z.string(),
    requestedAt: isoInstant(),
    completedAt: isoInstant(),
    by: z.string().describe('who erased it'),
    reason: z.string().describe('why, without any personal data it quoted'),
    cases: z.array(z.string()).describe('the escalations erased'),
    itemsRewritten: z.number().int(),
    rawMailDeleted: z.number().int().describe('inbound emails of those cases whose stored raw message was deleted'),
  })
);
