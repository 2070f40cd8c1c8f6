import type { Playbook } from '../domain/playbook';
import type { Escalation } from './escalation';
import { recipientsFor, rolesForTier, topTier } from './routing';
import { categoryOf, type Trigger } from './vocabulary';
import { formatterPerZone } from './zoned-time';
import type { ChatTemplate, Notification, TemplateName } from './notification';

// Who hears what, and with which facts: PLAYBOOK.md §6 as rules. Rendering belongs to
// the SES templates in templates/; this module only decides and fills in the data.

/** The case reference customers see in subjects; inbound mail is matched by it. */
export const caseReference = (caseId: string) => `ESC-${caseId}`;
export const REFERENCE_PATTERN = /\bESC-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/i;

const CHURN_TRIGGERS: Trigger[] = ['renewal_at_risk', 'cancellation_threat', 'competitive_threat'];

/** An instant as the customer reads it: their time zone when known, otherwise UTC, zone named. */
export function customerTime(iso: string, timeZone = 'UTC'): string {
  return customerTimeFormat(timeZone).format(new Date(iso));
}

// One per zone, kept, instead of one per email.
const customerTimeFormat = formatterPerZone('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });

const notStated = (value: unknown) => (value === undefined || value === null || value === '' ? 'not stated' : value);

/** Everything a person picking up the case needs, without opening it (PLAYBOOK §6, internal). */
export function handoffFacts(escalation: Escalation): Record<string, unknown> {
  const contact = escalation.customer.contacts[0];
  return {
    caseId: escalation.id,
    reference: caseReference(escalation.id),
    title: escalation.title,
    severity: escalation.severity,
    accountName: escalation.customer.name,
    accountId: escalation.customer.accountId,
    segment: notStated(escalation.customer.segment),
    arr: notStated(escalation.customer.arr),
    healthScore: notStated(escalation.customer.healthScore),
    renewalDate: notStated(escalation.customer.renewalDate),
    // Present even when empty: SES refuses to render a template whose data lacks a variable it names, even in an {{#if}}.
    description: escalation.description ?? '',
    businessImpact: notStated(escalation.businessImpact),
    alreadyTried: notStated(escalation.alreadyTried),
    neededBy: notStated(escalation.neededBy),
    owner: escalation.owner ?? 'nobody yet',
    contact: contact?.email ?? '',
    contactName: contact?.name ?? contact?.email ?? '',
    contactPhone: contact?.phone ?? '',
    triggers: escalation.triggers.join(', ') || 'none recorded',
    routedTo: escalation.routedTo.join(', '),
    acknowledgeBy: escalation.deadlines.acknowledgeBy,
    resolveBy: escalation.deadlines.resolveBy,
    sponsor: escalation.sponsor ?? '',
  };
}

/** What a handoff to a new owner adds to the case facts: who handed it over, from whom, why, and where the case stands. */
export function assignmentFacts({ escalation, previousOwner, assignedBy, reason }: { escalation: Escalation; previousOwner: string | undefined; assignedBy: string; reason: string }): Record<string, unknown> {
  return {
    previousOwner: previousOwner ?? '',
    assignedBy,
    reason,
    status: escalation.status.replace(/_/g, ' '),
    nextUpdateBy: escalation.deadlines.nextUpdateBy,
  };
}

/** One email per customer contact, each greeting its own reader. */
export function toCustomer(escalation: Escalation, template: TemplateName, key: string, extra: Record<string, unknown> = {}): Notification[] {
  return escalation.customer.contacts.map((contact) => ({
    id: `${key}:${template}:${contact.email}`,
    template,
    audience: 'customer',
    to: [contact.email],
    data: {
      caseId: escalation.id,
      reference: caseReference(escalation.id),
      title: escalation.title,
      severity: escalation.severity,
      accountName: escalation.customer.name,
      // Present even when empty: SES refuses to render a template whose data lacks a variable it names, even in an {{#if}}.
      businessImpact: escalation.businessImpact ?? '',
      owner: escalation.owner ?? '',
      contactName: contact.name ?? contact.email,
      nextUpdateLocal: customerTime(escalation.deadlines.nextUpdateBy, escalation.customer.timezone),
      ...extra,
    },
  }));
}

export function toInternal(escalation: Escalation, template: TemplateName, key: string, to: string[], extra: Record<string, unknown> = {}): Notification[] {
  if (to.length === 0) return [];
  return [{ id: `${key}:${template}`, template, audience: 'internal', to, data: { ...handoffFacts(escalation), ...extra } }];
}

/**
 * The same alert posted to the chat channel of each of these roles that has one: one message per
 * role, each its own outbox item, so a chat service that is down delays only its own message.
 */
export function toChat(escalation: Escalation, template: ChatTemplate, key: string, roles: string[], playbook: Playbook, extra: Record<string, unknown> = {}): Notification[] {
  return [...new Set(roles)].flatMap((role) => {
    const channel = playbook.chat[role];
    if (!channel) return [];
    return [{ id: `${key}:${template}:chat:${role}`, template, audience: 'internal' as const, to: [], data: { ...handoffFacts(escalation), ...extra }, chat: { role, ...channel } }];
  });
}

/** What a deadline-breach alert is about; the template words each kind its own way. */
export type BreachAlert = 'tier_raised' | 'top_of_ladder' | 'resolution_overdue' | 'routing_rule';

/**
 * The facts only a breach alert carries. Every kind gets every field (a flag per kind, the tier
 * the case is at now, who holds it): SES refuses to render a template whose data lacks a
 * variable, so no branch of the template may find one missing.
 */
export function breachAlertFacts(kind: BreachAlert, facts: { tier: number; reason: string; rule?: string }): Record<string, unknown> {
  return {
    alert: kind,
    tierRaised: kind === 'tier_raised',
    topOfLadder: kind === 'top_of_ladder',
    resolutionOverdue: kind === 'resolution_overdue',
    routingRule: kind === 'routing_rule',
    tier: facts.tier,
    reason: facts.reason,
    rule: facts.rule ?? 'none',
  };
}

/**
 * The facts of a warning that a deadline is near: which deadline (a flag per kind for the
 * template), how much working time is left, and when it is due in the team's zone.
 */
export function deadlineWarningFacts(kind: 'acknowledge' | 'update' | 'resolve', facts: { deadline: string; percent: number; timeLeft: string; timeZone: string }): Record<string, unknown> {
  return {
    warning: kind,
    acknowledgeDue: kind === 'acknowledge',
    updateDue: kind === 'update',
    resolveDue: kind === 'resolve',
    percent: facts.percent,
    timeLeft: facts.timeLeft,
    dueLocal: customerTime(facts.deadline, facts.timeZone),
  };
}

/** What an owner reminder is about, one flag per kind for the template. */
export type OwnerReminder = 'customer_update_due' | 'recovery_call' | 'health_check_call' | 'review_due' | 'improvement_item_overdue';

/** The improvement item an overdue reminder is about. */
export interface ItemFacts {
  title: string;
  team: string;
  due: string;
  status: string;
}

/** Every kind gets every field (the item's empty unless it is about one): SES refuses a template whose data lacks a variable. */
export function ownerReminderFacts(kind: OwnerReminder, item?: ItemFacts): Record<string, unknown> {
  return {
    reminder: kind,
    updateDue: kind === 'customer_update_due',
    recoveryCall: kind === 'recovery_call',
    healthCheckCall: kind === 'health_check_call',
    reviewDue: kind === 'review_due',
    itemOverdue: kind === 'improvement_item_overdue',
    itemTitle: item?.title ?? '',
    itemTeam: item?.team ?? '',
    itemDue: item?.due ?? '',
    itemStatus: item?.status.replace(/_/g, ' ') ?? '',
  };
}

/** Why a case proposes its account for the executive sponsorship programme, in words for the people who decide. */
export function sponsorshipProposalFacts(reasons: string[], outcome: 'resolved' | 'closed'): Record<string, unknown> {
  return { proposalReasons: reasons.join('; '), proposedWhen: outcome };
}

/** Owners are usually addressed by email; one who is not is reached through the case's roles. */
export function ownerAddresses(escalation: Escalation, playbook: Playbook): string[] {
  return escalation.owner?.includes('@') ? [escalation.owner] : recipientsFor(escalation.routedTo, playbook);
}

export const isChurnRisk = (escalation: Escalation) =>
  escalation.triggers.some((trigger) => CHURN_TRIGGERS.includes(trigger) || categoryOf(trigger) === 'executive');

/** Intake: the customer hears we have it; the owning team gets the handoff; leadership the brief when the account is at risk. */
export function intakeNotifications(escalation: Escalation, playbook: Playbook): Notification[] {
  const key = `intake:${escalation.id}`;
  const leadershipRoles = topTier(playbook) >= 2 ? [...rolesForTier(topTier(playbook) - 1, playbook), ...rolesForTier(topTier(playbook), playbook)] : [];
  const leadership = recipientsFor(leadershipRoles, playbook);
  const team = recipientsFor(escalation.routedTo, playbook).filter((address) => !isChurnRisk(escalation) || !leadership.includes(address));
  // An account in the executive sponsorship programme: its sponsor hears of every escalation from intake.
  const sponsor = escalation.sponsor ? [escalation.sponsor] : [];
  return [
    ...toCustomer(escalation, 'customer_acknowledgment', key, { nextUpdateLocal: customerTime(escalation.deadlines.acknowledgeBy, escalation.customer.timezone) }),
    ...toInternal(escalation, 'internal_handoff', key, [...new Set([...team, ...sponsor])]),
    ...(isChurnRisk(escalation) ? [...toInternal(escalation, 'churn_risk_brief', key, leadership), ...toChat(escalation, 'churn_risk_brief', key, leadershipRoles, playbook)] : []),
  ];
}

/** Plus-addressing: replies to a customer email land on the case they belong to. */
export function replyAddressFor(caseId: string, inboundAddress: string): string {
  const at = inboundAddress.lastIndexOf('@');
  return `${inboundAddress.slice(0, at)}+${caseId}${inboundAddress.slice(at)}`;
}

export const PLUS_ADDRESS_PATTERN = /^[^+@\s]+\+([0-9a-f-]{36})@/i;

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
  if (Array.isArray(value)) return value.map(escapeDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDeep(v)]));
  return value;
}

/**
 * SES renders template values raw, in every part. Subjects and text parts want them raw;
 * the HTML part reads `html.<field>`, an escaped copy, so customer text stays text there.
 */
export function templateData(data: Record<string, unknown>): Record<string, unknown> {
  return { ...data, html: escapeDeep(data) };
}
