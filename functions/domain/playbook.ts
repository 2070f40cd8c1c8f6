import type { WeekHours } from './business-calendar';
import type { SlaTarget } from './sla-target';
import type { Severity, Trigger, TriggerCategory } from './vocabulary';

// The playbook as the rules read it: the configuration every rule takes as an argument. The
// file a team writes is parsed into exactly this shape by functions/playbook/schema.ts, which
// checks at compile time that its output is this type, so the rules depend on a plain shape
// and not on the parser (the layering rules: .dependency-cruiser.cjs).

/** When the people on a case hear that a deadline is near, as percentages of its target's working time. */
export interface WarningShares {
  acknowledge: number[];
  update: number[];
  resolve: number[];
}

/** One severity's SLA: how soon it is acknowledged, updated and resolved, and who is involved. */
export interface SeverityPolicyConfig {
  acknowledgeWithin: SlaTarget;
  updateEvery: SlaTarget;
  resolveWithin: SlaTarget;
  involve: string[];
  warnAtPercent: WarningShares;
}

/** When a routing rule brings its roles in: any one of the conditions given. */
export interface RoutingCondition {
  anyTrigger?: Trigger[];
  anyCategory?: TriggerCategory[];
  executiveInvolved?: true;
  unresolvedFor?: SlaTarget;
}

export interface RoutingRuleConfig {
  name: string;
  when: RoutingCondition;
  routeTo: string[];
}

export type ChatKind = 'slack' | 'teams';

/** Where a role's internal alerts are also posted: an incoming webhook whose URL is the named secret. */
export interface ChatTargetConfig {
  kind: ChatKind;
  secret: string;
}

/** When an SLA clock runs (functions/domain/business-calendar.ts reads it). */
export interface CalendarConfig {
  /** Every hour of every day counts (24×7). */
  alwaysOpen?: true;
  /** The zone the hours and holidays are read in; absent: the account's zone, else teamTimeZone. */
  timeZone?: string;
  week?: WeekHours;
  holidays: string[];
  /** An iCalendar file whose all-day events are holidays too (read when the playbook is loaded). */
  holidaysIcs?: string;
}

export interface Playbook {
  severities: Record<Severity, SeverityPolicyConfig>;
  routing: RoutingRuleConfig[];
  /** Tiers above the owning team (tier 0), lowest first. A missed deadline climbs one. */
  ladder: string[][];
  contacts: Record<string, string[]>;
  chat: Record<string, ChatTargetConfig>;
  /** Where people open a case, with `{caseId}` in it; absent: the API's own resource. */
  caseLink?: string;
  followUp: { after: SlaTarget; recoveryCallAfter: SlaTarget; healthCheckAfter: SlaTarget };
  /** How long an Idempotency-Key is remembered, in milliseconds. */
  idempotencyWindow: number;
  teamTimeZone: string;
  calendars: Record<string, CalendarConfig>;
  severityCalendars: Record<Severity, string>;
  accountCalendars: Record<string, Partial<Record<Severity, string>>>;
  review: { within: SlaTarget; calendar: string; extraTeams: string[] };
  sponsorship: { proposeTo: string[] };
  retention: { closedCaseDays: number };
  inboundMail: { trustContactDomains: boolean };
}
