// The messages a change may owe: which templates exist, and the shape of an owed email or
// chat post. Kept apart from the rules that decide them (communications.ts), so a case's
// Change can name what it owes without depending on those rules.

export const TEMPLATE_NAMES = [
  'customer_acknowledgment',
  'customer_update',
  'customer_resolution',
  'customer_out_of_scope',
  'satisfaction_follow_up',
  'incident_update',
  'internal_handoff',
  'case_assigned',
  'churn_risk_brief',
  'deadline_breach_alert',
  'deadline_warning',
  'owner_reminder',
  'message_quarantined',
  'sponsorship_proposal',
] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** An email a change owes somebody; written with the change (outbox), sent after it. */
export interface Notification {
  /** Unique per case: the same notification is never queued or sent twice. */
  id: string;
  template: TemplateName;
  /** Customer emails carry the case's reply address and reference. */
  audience: 'customer' | 'internal';
  to: string[];
  data: Record<string, unknown>;
  /**
   * Posted to a role's chat channel instead of emailed (`to` is empty): the role, its kind of
   * channel and the secret holding the incoming-webhook URL, as the playbook named them when the
   * alert was queued.
   */
  chat?: ChatChannel;
}

/** A role's chat channel, as an owed message names it. */
export interface ChatChannel {
  role: string;
  kind: 'slack' | 'teams';
  secret: string;
}

/** The internal alerts a role's chat channel receives (issue: breach, tier raised, at-risk, churn-risk brief). */
export const CHAT_TEMPLATES = ['deadline_breach_alert', 'deadline_warning', 'churn_risk_brief'] as const satisfies readonly TemplateName[];
export type ChatTemplate = (typeof CHAT_TEMPLATES)[number];
