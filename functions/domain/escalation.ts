import type { Playbook } from '../domain/playbook';
import type { Notification } from './notification';
import type { CustomerFacts } from './commands';
import type { Deadlines, SlaClock } from './deadlines';
import type { SlaPolicy } from './sla-policy';
import type { Review } from './review-record';
import type { WorkflowRecovery } from './workflow-recovery';
import type { Channel, EventType, Outcome, Severity, Status, Trigger } from './vocabulary';

export type Customer = CustomerFacts;

export interface Resolution {
  rootCause: string;
  fix: string;
  prevention: string;
}

export interface Escalation {
  id: string;
  /** Optimistic lock: every write checks it and adds one. */
  version: number;
  /** Which workflow execution owns the deadlines; bumped when they must be re-armed. */
  generation: number;
  status: Status;
  severity: Severity;
  tier: number;
  triggers: Trigger[];
  channel: Channel;
  executiveInvolved: boolean;
  title: string;
  description?: string;
  businessImpact?: string;
  alreadyTried?: string;
  neededBy?: string;
  customer: Customer;
  owner?: string;
  routedTo: string[];
  deadlines: Deadlines;
  sla: SlaClock;
  /** Targets and calendars taken from the playbook at intake (or re-evaluation). */
  policy: SlaPolicy;
  /** When the customer raised it: every SLA clock starts here. */
  reportedAt: string;
  /** When the case was written. */
  createdAt: string;
  updatedAt: string;
  acknowledgedAt?: string;
  resolvedAt?: string;
  closedAt?: string;
  resolution?: Resolution;
  outcome?: Outcome;
  reopenCount: number;
  /** The incident this case is part of, when one problem hits many customers. */
  incidentId?: string;
  /** Incident updates already delivered to this case (a repeated broadcast sends nothing). */
  incidentUpdatesReceived?: string[];
  /** The customer's satisfaction score (1–10), recorded once from the follow-up survey. */
  satisfaction?: { score: number; at: string };
  /**
   * Deadline breaches the workflow recorded on this case (each deadline_breached event counts one),
   * kept on the case so lists can filter on it without reading timelines. Absent: none yet.
   */
  breaches?: number;
  /** Keys of the deadline checks the workflow has performed (functions/domain/deadline-checks.ts). */
  actedOn?: string[];
  /** Set when a failed workflow was re-armed: how often in a row, and until when the new one waits. */
  workflowRecovery?: WorkflowRecovery;
  /** The blameless review and its improvement plan, recorded after the resolution. */
  review?: Review;
  /** The account's executive sponsor, who got the case from intake (the account is in the sponsorship programme). */
  sponsor?: string;
  /** When this case proposed its account for the executive sponsorship programme (once per case). */
  sponsorshipProposedAt?: string;
  /** Set when the case closes: DynamoDB's TTL deletes it and everything stored with it after this instant. */
  retainUntil?: string;
  /** Set when the account's personal data was erased: the case keeps its shape and figures, nothing personal. */
  erasedAt?: string;
}

// The kinds of timeline event are vocabulary: the API's schemas name them too, without importing the case's rules.
export { EVENT_TYPES, type EventType } from './vocabulary';

export interface TimelineEvent {
  type: EventType;
  at: string;
  actor: string;
  summary: string;
  data?: Record<string, unknown>;
}

/**
 * What a command decided. `next` is the case's next version; when it is the current case
 * itself, nothing about the case changes and the events (if any) are only appended to its
 * timeline, without taking a new version.
 */
export interface Change {
  next: Escalation;
  events: TimelineEvent[];
  /** Emails the change owes: written with it, sent after it. */
  notifications?: Notification[];
  /** The change proposes the case's account for the executive sponsorship programme (functions/domain/sponsorship.ts). */
  sponsorshipProposal?: SponsorshipProposal;
}

/** A resolved or closed executive escalation, proposing its account for executive sponsorship. */
export interface SponsorshipProposal {
  accountId: string;
  caseId: string;
  at: string;
  /** Why, in words: which executive signals the case carried. */
  reasons: string[];
  outcome: 'resolved' | 'closed';
}

export interface Context {
  now: Date;
  actor: string;
  playbook: Playbook;
}

/** When a case closed at `closedAt` is deleted: the playbook's retention after the close. */
export function retainUntilFor(closedAt: string, playbook: Playbook): string {
  return new Date(Date.parse(closedAt) + playbook.retention.closedCaseDays * 86_400_000).toISOString();
}
