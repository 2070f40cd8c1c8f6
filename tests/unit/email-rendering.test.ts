import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { intakeNotifications, templateData } from '../../functions/domain/communications';
import { TEMPLATE_NAMES, type Notification } from '../../functions/domain/notification';
import { performCheck, planNext, scheduledChecks, type CheckAction } from '../../functions/domain/deadline-checks';
import type { Escalation } from '../../functions/domain/escalation';
import { quarantineMessage } from '../../functions/domain/inbound';
import { receiveIncidentUpdate } from '../../functions/domain/incidents';
import { applyAction } from '../../functions/domain/lifecycle';
import { withSponsorshipProposal } from '../../functions/domain/sponsorship';
import { loadTemplates, type EmailTemplate } from '../../templates/catalogue';
import { ctxAt, DAY, HOUR, later, NOW, open, playbook } from './fixtures';

// Every email the rules send, rendered from the data the rules produce, the way SES renders:
// SES refuses ("rendering failure", after it has returned a MessageId) a template whose data
// lacks a variable, so every variable a template names, in any branch, must be in the data;
// and no placeholder the reader sees may print empty ("now with tier ").

const TEMPLATES = new Map(loadTemplates().map((template) => [template.name, template]));
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with']);

/** Every data path a template names (printed or tested), outside {{#each}} bodies, whose paths are the items'. */
function namedPaths(source: string): string[] {
  const paths = new Set<string>();
  const visit = (node: hbs.AST.Node | undefined | null, inEach: boolean): void => {
    if (!node) return;
    switch (node.type) {
      case 'Program':
        for (const statement of (node as hbs.AST.Program).body) visit(statement, inEach);
        return;
      case 'MustacheStatement': {
        const path = (node as hbs.AST.MustacheStatement).path as hbs.AST.PathExpression;
        if (!inEach) paths.add(path.original);
        return;
      }
      case 'BlockStatement': {
        const block = node as hbs.AST.BlockStatement;
        const helper = (block.path as hbs.AST.PathExpression).original;
        if (!BLOCK_HELPERS.has(helper) && !inEach) paths.add(helper);
        for (const param of block.params) if (param.type === 'PathExpression' && !inEach) paths.add((param as hbs.AST.PathExpression).original);
        visit(block.program, inEach || helper === 'each');
        visit(block.inverse, inEach);
        return;
      }
      default:
        return;
    }
  };
  visit(Handlebars.parse(source), false);
  return [...paths];
}

const lookup = (data: Record<string, unknown>, path: string) => path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);

/** The data with every empty value (empty string, null, undefined) taken out, at any depth. */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== '' && v !== null && v !== undefined).map(([k, v]) => [k, withoutEmpty(v)]));
  }
  return value;
}

/** Renders strictly (a printed variable that is missing throws) with the empty values removed: an empty placeholder throws too. */
function renderStrictly(template: EmailTemplate, data: Record<string, unknown>) {
  const strict = (source: string) => Handlebars.compile(source, { strict: true, noEscape: true })(withoutEmpty(templateData(data)));
  return { subject: strict(template.subject), html: strict(template.html), text: strict(template.text) };
}

const SURVEY_LINKS = Array.from({ length: 10 }, (_, i) => ({ score: i + 1, url: `https://api.example.test/csat/token?score=${i + 1}` }));

/** The case after acting on every check the workflow would act on by `until`, collecting what each act sends. */
function actUntil(escalation: Escalation, until: Date): { escalation: Escalation; sent: Map<CheckAction, Notification[]> } {
  const sent = new Map<CheckAction, Notification[]>();
  let current = escalation;
  for (let acts = 0; acts < 200; acts++) {
    const plan = planNext(current, until, playbook);
    if (!plan.due) break;
    const outcome = performCheck(current, plan.due, new Date(Math.max(Date.parse(plan.due.at), Date.parse(current.updatedAt))), playbook);
    for (const notification of outcome.notifications) {
      if (notification.template === 'satisfaction_follow_up') notification.data.surveyLinks = SURVEY_LINKS;
    }
    sent.set(plan.due.action, [...(sent.get(plan.due.action) ?? []), ...outcome.notifications]);
    current = outcome.next;
  }
  return { escalation: current, sent };
}

/** Every path through the rules that sends email, with what it sends. */
function everyEmailPath(): [string, Notification][] {
  const paths: [string, Notification][] = [];
  const add = (path: string, notifications: Notification[] | undefined) => {
    for (const notification of notifications ?? []) paths.push([`${path} → ${notification.template}`, notification]);
  };
  // Intake, ordinary and at churn risk (the leadership brief); a case with nothing optional filled in.
  add('intake', intakeNotifications(open('high'), playbook));
  add('intake at churn risk', intakeNotifications(open('critical', NOW, ['cancellation_threat']), playbook));
  // Lifecycle actions that write to the customer.
  const acked = applyAction('acknowledge', open('high'), { owner: 'owner@example.com', message: 'We are on it.' }, ctxAt(later(NOW, HOUR)));
  add('acknowledge with a message', acked.notifications);
  const updated = applyAction('updates', acked.next, { message: 'The fix is rolling out.' }, ctxAt(later(NOW, 2 * HOUR)));
  add('customer update', updated.notifications);
  add('out of scope', applyAction('out-of-scope', acked.next, { reason: 'A browser extension breaks it.', guidance: 'Disable it.' }, ctxAt(later(NOW, 2 * HOUR))).notifications);
  add('assign', applyAction('assign', acked.next, { owner: 'colleague@example.com', reason: 'knows the billing system' }, ctxAt(later(NOW, 2 * HOUR))).notifications);
  add(
    'a message quarantined',
    quarantineMessage(
      acked.next,
      { messageId: '<m-1@stranger.test>', from: { address: 'someone@stranger.test' }, recipients: [], subject: 'Re: your case', inReplyTo: [], text: 'Please wire the refund.', attachments: [] },
      ['the sender is none of the case\'s contacts'],
      ctxAt(later(NOW, 2 * HOUR)),
    ).notifications,
  );
  add('incident update', receiveIncidentUpdate(acked.next, { id: 'inc-1', title: 'Checkout outage' }, { id: 'u-1', message: 'Payments work again.' }, ctxAt(later(NOW, 3 * HOUR))).notifications);
  // Deadlines: nobody acknowledges (the ladder, then its top), an owner misses updates and the
  // resolve target and the timed routing rule, and after resolution the follow-up and reminders.
  const ignored = actUntil(open('critical', NOW, ['platform_down']), later(NOW, 10 * HOUR));
  for (const [action, sent] of ignored.sent) add(`${action} (never acknowledged)`, sent);
  // High on business hours: 72 h of working time to resolve is some two weeks of calendar.
  const slipping = actUntil(acked.next, later(NOW, 30 * DAY));
  for (const [action, sent] of slipping.sent) add(`${action} (acknowledged, then silent)`, sent);
  const resolved = applyAction('resolve', updated.next, { rootCause: 'An expired certificate.', fix: 'Renewed it.', prevention: 'Renewal is monitored.' }, ctxAt(later(NOW, 3 * HOUR)));
  add('resolve', resolved.notifications);
  // Nobody records the review: the follow-up, the reminders, the review reminder, the close.
  const followedUp = actUntil(resolved.next, later(NOW, 60 * DAY));
  for (const [action, sent] of followedUp.sent) add(`${action} (after resolution)`, sent);
  // A review with an item nobody finishes: its owner is reminded when it is overdue.
  const reviewed = applyAction(
    'review',
    resolved.next,
    { rootCause: 'An expired certificate.', wentWell: 'A quick workaround.', communicationGaps: 'One late update.', processFixes: 'Certificates are inventoried.', items: [{ team: 'engineering', owner: 'sre@example.com', title: 'Alert before certificates expire', due: '2026-03-20' }] },
    ctxAt(later(NOW, 4 * HOUR)),
  );
  const chased = actUntil(reviewed.next, later(NOW, 60 * DAY));
  for (const [action, sent] of chased.sent) add(`${action} (review recorded)`, sent);
  // An executive escalation resolved: its account is proposed for executive sponsorship.
  const executive = applyAction('acknowledge', open('high', NOW, ['cancellation_threat']), {}, ctxAt(later(NOW, HOUR)));
  const executiveResolved = applyAction('resolve', executive.next, { rootCause: 'A billing bug.', fix: 'Refunded.', prevention: 'Invoices are checked.' }, ctxAt(later(NOW, 2 * HOUR)));
  add('executive escalation resolved', withSponsorshipProposal(executive.next, executiveResolved, undefined, ctxAt(later(NOW, 2 * HOUR))).notifications);
  return paths;
}

const PATHS = everyEmailPath();

describe('every email the rules send renders as SES renders it', () => {
  it('covers every template and every deadline action that sends one (a new template or path must be added here)', () => {
    expect(new Set(PATHS.map(([, notification]) => notification.template))).toEqual(new Set(TEMPLATE_NAMES));
    const acting = new Set(PATHS.map(([path]) => path.split(' ')[0]));
    for (const action of ['warn_deadline_approaching', 'escalate_unacknowledged', 'escalate_missed_update', 'remind_owner_update_due', 'alert_resolution_overdue', 'route_by_rule', 'send_follow_up', 'remind_recovery_call', 'remind_health_check', 'remind_review_due', 'remind_improvement_item_overdue']) {
      expect(acting, action).toContain(action);
    }
    // Each kind of breach alert and owner reminder is among them.
    const kinds = new Set(PATHS.map(([, notification]) => String(notification.data.alert ?? notification.data.reminder ?? '')));
    for (const kind of ['tier_raised', 'top_of_ladder', 'resolution_overdue', 'routing_rule', 'customer_update_due', 'recovery_call', 'health_check_call', 'review_due', 'improvement_item_overdue']) expect(kinds, kind).toContain(kind);
    // And a warning before each kind of deadline: acknowledge (never acknowledged), update and resolve (acknowledged, then silent).
    const warned = new Set(PATHS.map(([, notification]) => String(notification.data.warning ?? '')));
    for (const kind of ['acknowledge', 'update', 'resolve']) expect(warned, kind).toContain(kind);
  });

  it.each(PATHS)('%s: the data carries every variable the template names', (_path, notification) => {
    const template = TEMPLATES.get(notification.template)!;
    const data = templateData(notification.data);
    const missing = namedPaths(`${template.subject}\n${template.html}\n${template.text}`).filter((path) => lookup(data, path) === undefined || lookup(data, path) === null);
    expect(missing).toEqual([]);
  });

  it.each(PATHS)('%s: renders strictly, with no placeholder left empty', (_path, notification) => {
    const rendered = renderStrictly(TEMPLATES.get(notification.template)!, notification.data);
    expect(rendered.subject.trim().length).toBeGreaterThan(10);
    expect(rendered.text).not.toMatch(/tier\s*[).,]|tier\s*$/m);
  });

  it('a breach alert says what was missed and who holds the case, for each kind', () => {
    const alerts = PATHS.filter(([, notification]) => notification.template === 'deadline_breach_alert');
    const text = (kind: string) => {
      const [, notification] = alerts.find(([, n]) => n.data.alert === kind)!;
      return renderStrictly(TEMPLATES.get('deadline_breach_alert')!, notification.data);
    };
    expect(text('tier_raised').subject).toMatch(/now with tier [1-9]/);
    expect(text('top_of_ladder').subject).toMatch(/at the top of the ladder \(tier [1-9]\)/);
    expect(text('resolution_overdue').subject).toMatch(/^\[\w+\] Resolution target missed/);
    expect(text('resolution_overdue').text).toMatch(/held by owner@example\.com, at tier \d/);
    expect(text('routing_rule').text).toMatch(/routing rule "not-resolved-within-a-day" brings you in: not resolved within 1 working day\.\nIt is held by owner@example\.com, at tier \d/);
  });

  it('an overdue improvement item reminds its owner of the item itself; a proposal says why', () => {
    const [, overdue] = PATHS.find(([, n]) => n.data.reminder === 'improvement_item_overdue')!;
    expect(overdue.to).toEqual(['sre@example.com']);
    const item = renderStrictly(TEMPLATES.get('owner_reminder')!, overdue.data);
    expect(item.subject).toBe('Improvement item overdue: "Alert before certificates expire" (Acme GmbH)');
    expect(item.text).toContain('"Alert before certificates expire" for engineering,\ndue on 2026-03-20, is still open');
    const [, review] = PATHS.find(([, n]) => n.data.reminder === 'review_due')!;
    expect(renderStrictly(TEMPLATES.get('owner_reminder')!, review.data).subject).toMatch(/^Blameless review due for "/);
    const [, proposal] = PATHS.find(([, n]) => n.template === 'sponsorship_proposal')!;
    expect(proposal.to).toEqual(['vp-customer-success@example.com']);
    expect(renderStrictly(TEMPLATES.get('sponsorship_proposal')!, proposal.data).text).toContain('Why: the customer threatened to cancel');
  });

  it('fails a template that names a variable the data lacks (the check can fail)', () => {
    const [, notification] = PATHS.find(([, n]) => n.template === 'deadline_breach_alert')!;
    const { tier: _tier, ...withoutTier } = notification.data;
    expect(() => renderStrictly(TEMPLATES.get('deadline_breach_alert')!, withoutTier)).toThrow(/tier/);
  });

  it('the scheduled checks it drove are the real ones (guards the walk above)', () => {
    expect(scheduledChecks(open('critical'), playbook).map((check) => check.action)).toContain('escalate_unacknowledged');
  });
});
