import type { Channel, Outcome, Segment, Severity, Trigger } from './vocabulary';

// What a person asks of a case, as the rules read it: plain shapes, no parser. The HTTP
// request schemas (functions/schemas/escalation.ts) parse bodies into exactly these, and check
// that at compile time, so the rules stay free of HTTP and zod.

export interface ContactDetails {
  email: string;
  name?: string;
  role?: string;
  phone?: string;
}

/** The account facts given at intake. */
export interface CustomerFacts {
  accountId: string;
  name: string;
  segment?: Segment;
  arr?: number;
  healthScore?: number;
  renewalDate?: string;
  timezone?: string;
  contacts: ContactDetails[];
}

/** Opening an escalation. */
export interface NewEscalation {
  customer: CustomerFacts;
  reportedAt?: string;
  title: string;
  description?: string;
  businessImpact?: string;
  alreadyTried?: string;
  neededBy?: string;
  severity: Severity;
  triggers: Trigger[];
  executiveInvolved: boolean;
  channel: Channel;
}

/** The account facts a PATCH may change: each one given replaces the stored one. */
export type CustomerChanges = Partial<Omit<CustomerFacts, 'accountId' | 'name'>>;

/** A PATCH of the case's facts. */
export interface EscalationEdits {
  title?: string;
  description?: string;
  businessImpact?: string;
  alreadyTried?: string;
  neededBy?: string;
  severity?: Severity;
  triggers?: Trigger[];
  executiveInvolved?: boolean;
  customer?: CustomerChanges;
  /** Why; required when the severity changes. */
  reason?: string;
}

export interface NewImprovementItem {
  team: string;
  owner: string;
  title: string;
  due: string;
}

/** The blameless review after a resolution, with its improvement plan. */
export interface ReviewInput {
  rootCause: string;
  wentWell: string;
  communicationGaps: string;
  processFixes: string;
  concession?: string;
  items: NewImprovementItem[];
}

/** Each lifecycle action and what it takes; the name is the path segment of its route. */
export interface ActionInputs {
  acknowledge: { owner?: string; message?: string };
  updates: { message: string; nextUpdateBy?: string };
  escalate: { reason: string };
  assign: { owner: string; reason: string };
  resolve: { rootCause: string; fix: string; prevention: string };
  'out-of-scope': { reason: string; guidance: string };
  pause: { reason: string };
  resume: { note?: string };
  reopen: { reason: string };
  close: { outcome?: Outcome; note?: string };
  notes: { text: string };
  're-evaluate': { reason: string };
  review: ReviewInput;
}
export type ActionName = keyof ActionInputs;
export type ActionInput<A extends ActionName> = ActionInputs[A];
