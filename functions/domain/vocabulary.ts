// The playbook's fixed vocabulary. Numbers and people are configuration
// (functions/playbook); these words are what the rules are written in.

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES = [
  'open',
  'acknowledged',
  'in_progress',
  'waiting_on_customer',
  'resolved',
  'closed',
  'out_of_scope',
] as const;
export type Status = (typeof STATUSES)[number];

/** Work still going on: everything but resolved, closed and out of scope. */
export const ACTIVE_STATUSES = ['open', 'acknowledged', 'in_progress', 'waiting_on_customer'] as const satisfies readonly Status[];

export const TRIGGER_CATEGORIES = {
  technical: ['platform_down', 'platform_slow', 'integration_broken', 'data_issue', 'feature_not_working'],
  business: ['billing_dispute', 'contract_confusion', 'urgent_feature_request', 'sla_breach'],
  relationship: ['champion_frustrated', 'executive_complaint', 'competitive_threat', 'renewal_at_risk'],
  executive: ['cancellation_threat', 'legal_threat'],
} as const;
export type TriggerCategory = keyof typeof TRIGGER_CATEGORIES;
export type Trigger = (typeof TRIGGER_CATEGORIES)[TriggerCategory][number];
export const TRIGGERS = Object.values(TRIGGER_CATEGORIES).flat() as Trigger[];

export function categoryOf(trigger: Trigger): TriggerCategory {
  for (const [category, triggers] of Object.entries(TRIGGER_CATEGORIES)) {
    if ((triggers as readonly string[]).includes(trigger)) return category as TriggerCategory;
  }
  throw new Error(`unknown trigger ${trigger}`);
}

export const CHANNELS = ['api', 'email', 'phone', 'chat', 'social', 'help_desk', 'crm'] as const;
export type Channel = (typeof CHANNELS)[number];

export const SEGMENTS = ['smb', 'mid_market', 'enterprise'] as const;
export type Segment = (typeof SEGMENTS)[number];

export const OUTCOMES = ['retained', 'churned'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Teams a post-escalation review hands improvement items to (PLAYBOOK.md §5, step 9); a playbook may add more. */
export const TEAMS = ['product', 'qa', 'sales', 'support', 'engineering'] as const;

/** Where an improvement item stands; done and won't do are finished. */
export const ITEM_STATUSES = ['open', 'in_progress', 'done', 'wont_do'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];
export const FINISHED_ITEM_STATUSES: readonly ItemStatus[] = ['done', 'wont_do'];

/** An executive escalation (PLAYBOOK.md §3): the customer threatens to cancel or to take legal action. */
export const EXECUTIVE_TRIGGERS = TRIGGER_CATEGORIES.executive;

/** What a case's timeline records, one word per kind of event. */
export const EVENT_TYPES = [
  'created',
  'acknowledged',
  'assigned',
  'customer_updated',
  'escalated',
  'edited',
  'customer_changed',
  'severity_changed',
  'resolved',
  'declared_out_of_scope',
  'paused',
  'resumed',
  'reopened',
  'closed',
  'note_added',
  'deadline_breached',
  'deadline_warning',
  'reminder_sent',
  'routed',
  'follow_up_sent',
  'email_sent',
  'email_failed',
  'email_delayed',
  'chat_posted',
  'chat_failed',
  'workflow_failed',
  'workflow_rearmed',
  'satisfaction_recorded',
  'customer_replied',
  'message_quarantined',
  'email_bounced',
  'linked_to_incident',
  'incident_update_sent',
  're_evaluated',
  'review_recorded',
  'improvement_item_updated',
  'sponsorship_proposed',
  'deletion_scheduled',
  'personal_data_erased',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
