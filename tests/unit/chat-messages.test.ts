import { createRequire } from 'node:module';
import type { HeaderBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caseUrl, chatMessage, clip, escapeCardMarkdown, slackMessage, teamsMessage, type ChatAlert } from '../../functions/domain/chat-messages';
import { breachAlertFacts, deadlineWarningFacts, handoffFacts, intakeNotifications } from '../../functions/domain/communications';
import { performCheck, scheduledChecks } from '../../functions/domain/deadline-checks';
import { type Escalation } from '../../functions/domain/escalation';
import { openEscalation } from '../../functions/domain/intake';
import { parsePlaybook, PlaybookConfigError } from '../../functions/playbook/load';
import { CreateEscalationRequest } from '../../functions/schemas/escalation';
import { ACTOR, validBody } from './fixtures';

const CHAT = {
  support_lead: { kind: 'slack', secret: 'escalation-api/chat/support-lead' },
  csm_manager: { kind: 'teams', secret: 'escalation-api/chat/csm-managers' },
  vp_customer_success: { kind: 'slack', secret: 'escalation-api/chat/leadership' },
};
const playbook = parsePlaybook({ chat: CHAT });

function opened(body: Record<string, unknown> = {}, book = playbook): Escalation {
  const input = { ...CreateEscalationRequest.parse(validBody({ severity: 'high', triggers: ['platform_slow'], ...body })), reportedAt: '2026-03-02T10:00:00Z' };
  return openEscalation('0b7c1a52-3f1e-4f57-9d5e-1c0e2a9b8f10', input, { now: new Date('2026-03-02T10:00:00Z'), actor: ACTOR, playbook: book }).next;
}

const alertOf = (escalation: Escalation, extra: Record<string, unknown>): ChatAlert => ({ template: 'deadline_breach_alert', data: { ...handoffFacts(escalation), deadline: '2026-03-02T14:00:00.000Z', ...extra } });
const LINK = 'https://support.example.test/cases/0b7c1a52-3f1e-4f57-9d5e-1c0e2a9b8f10';

/** Every text object of a Slack message, with the kind of text it is. */
function slackTexts(message: ReturnType<typeof slackMessage>): { type: string; text: string }[] {
  const texts: { type: string; text: string }[] = [{ type: 'mrkdwn', text: message.text }];
  for (const block of message.blocks as { text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { text: { type: string; text: string } }[] }[]) {
    if (block.text) texts.push(block.text);
    texts.push(...(block.fields ?? []), ...(block.elements ?? []).map((element) => element.text));
  }
  return texts;
}

/** The Adaptive Cards JavaScript SDK, as Teams' renderer reads a card: its CommonJS build (the package's ESM build does not load in Node). */
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => { parse(json: unknown, context: unknown): void; validateProperties(): { validationEvents: { message: string }[] } };
  SerializationContext: new () => { eventCount: number; getEventAt(index: number): { message: string } };
};

/** What the SDK finds wrong in a card: unknown elements or properties while parsing, invalid values after. */
function cardProblems(card: unknown): string[] {
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  parsed.parse(card, context);
  const parsing = Array.from({ length: context.eventCount }, (_, index) => context.getEventAt(index).message);
  return [...parsing, ...parsed.validateProperties().validationEvents.map((event) => event.message)];
}

const unescapeSlack = (text: string) => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const unescapeCard = (text: string) => text.replace(/\\(.)/g, '$1');

describe('the playbook names chat channels by role', () => {
  it('takes a Slack or Teams channel per role, its URL a Secrets Manager secret by name', () => {
    expect(playbook.chat.support_lead).toEqual({ kind: 'slack', secret: 'escalation-api/chat/support-lead' });
    expect(parsePlaybook({}).chat).toEqual({});
  });

  it.each([
    [{ chat: { head_of_support: { kind: 'slack', secret: 'a/b' } } }, 'chat.head_of_support: role "head_of_support" has no entry in contacts'],
    [{ chat: { support_lead: { kind: 'discord', secret: 'a/b' } } }, 'chat.support_lead.kind'],
    [{ chat: { support_lead: { kind: 'slack' } } }, 'chat.support_lead.secret'],
    [{ chat: { support_lead: { kind: 'slack', secret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf' } } }, 'chat.support_lead.secret'],
    [{ chat: { support_lead: { kind: 'slack', secret: 'chat/support-abcdef' } } }, 'must not end in a hyphen and six characters'],
    [{ chat: { support_lead: { kind: 'slack', secret: 'a/b', url: 'https://hooks.slack.com/x' } } }, 'chat.support_lead'],
    [{ caseLink: 'https://support.example.test/cases' }, 'caseLink must contain {caseId}'],
  ])('refuses %j, naming the key', (overrides, expected) => {
    expect(() => parsePlaybook(overrides)).toThrow(PlaybookConfigError);
    expect(() => parsePlaybook(overrides)).toThrow(expected);
  });
});

describe('which alerts a role\'s channel hears', () => {
  it('a breach raising the case to tier 1: one message per role of the tier with a channel, beside the one email', () => {
    const escalation = opened();
    const check = scheduledChecks(escalation, playbook).find((candidate) => candidate.action === 'escalate_unacknowledged')!;
    const { notifications } = performCheck(escalation, check, new Date(check.at), playbook);
    const breach = notifications.filter((notification) => notification.template === 'deadline_breach_alert');
    expect(breach.map((notification) => notification.chat?.role ?? notification.to.join())).toEqual(['support-lead@example.com,csm-manager@example.com', 'support_lead', 'csm_manager']);
    const slack = breach.find((notification) => notification.chat?.role === 'support_lead')!;
    expect(slack).toMatchObject({ to: [], audience: 'internal', chat: { kind: 'slack', secret: 'escalation-api/chat/support-lead' }, data: { alert: 'tier_raised', tier: 1, caseId: escalation.id } });
    expect(new Set(notifications.map((notification) => notification.id)).size).toBe(notifications.length);
  });

  it('a warning goes to the channels of the roles the case is routed to', () => {
    const escalation = opened({}, parsePlaybook({ chat: { csm: { kind: 'teams', secret: 'chat/csm-team' } } }));
    const book = parsePlaybook({ chat: { csm: { kind: 'teams', secret: 'chat/csm-team' } } });
    const check = scheduledChecks(escalation, book).find((candidate) => candidate.action === 'warn_deadline_approaching')!;
    const chat = performCheck(escalation, check, new Date(check.at), book).notifications.filter((notification) => notification.chat);
    expect(chat).toMatchObject([{ template: 'deadline_warning', chat: { role: 'csm', kind: 'teams' }, data: { warning: 'acknowledge', percent: 75 } }]);
  });

  it('the churn-risk brief at intake goes to the leadership roles\' channels; nothing goes to chat without a channel', () => {
    const churn = opened({ triggers: ['cancellation_threat'] });
    expect(intakeNotifications(churn, playbook).filter((notification) => notification.chat).map((notification) => `${notification.template} → ${notification.chat!.role}`)).toEqual(['churn_risk_brief → vp_customer_success']);
    const quiet = parsePlaybook({});
    expect(intakeNotifications(opened({ triggers: ['cancellation_threat'] }, quiet), quiet).some((notification) => notification.chat)).toBe(false);
  });
});

describe('messages as Slack and Teams take them', () => {
  const escalation = opened({ title: 'Checkout fails' });

  it('Slack: a header, the alert in words, the facts, and a button to the case', () => {
    const message = slackMessage(alertOf(escalation, breachAlertFacts('tier_raised', { tier: 1, reason: 'nobody acknowledged in time' })), LINK);
    expect(message.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'actions']);
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Deadline missed: now with tier 1', emoji: false } });
    expect(message.text).toBe(`Deadline missed: now with tier 1: Checkout fails (ESC-${escalation.id})`);
    expect(message.blocks[3]).toMatchObject({ elements: [{ type: 'button', url: LINK, style: 'danger', text: { type: 'plain_text', text: `Open ESC-${escalation.id}` } }] });
    const fields = (message.blocks[2] as { fields: { text: string }[] }).fields.map((field) => field.text);
    expect(fields).toEqual(['Case\nCheckout fails', 'Customer\nAcme GmbH', 'Severity\nhigh', 'Owner\nnobody yet', 'Deadline\n2026-03-02T14:00:00.000Z', `Reference\nESC-${escalation.id}`]);
    expect(message.blocks[1]).toMatchObject({ type: 'section', text: { type: 'plain_text', text: 'A deadline passed without the action it needed (nobody acknowledged in time). The case is with tier 1 now: take ownership or hand it on.' } });
  });

  it('Teams: an Adaptive Card 1.4 in the message envelope, with an Open URL action', () => {
    const message = teamsMessage(alertOf(escalation, breachAlertFacts('resolution_overdue', { tier: 0, reason: 'resolution target missed' })), LINK);
    expect(message).toMatchObject({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null }] });
    const card = message.attachments[0]!.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', actions: [{ type: 'Action.OpenUrl', url: LINK }] });
    expect(card.body.map((element) => element.type)).toEqual(['TextBlock', 'TextBlock', 'FactSet']);
    expect(unescapeCard(card.body[0]!.text!)).toBe('Resolution target missed');
  });

  it('every alert\'s card is one the Adaptive Cards SDK reads without a complaint (and it does complain)', () => {
    expect(cardProblems({ type: 'AdaptiveCard', version: '1.4', body: [{ type: 'Bogus' }] })).not.toEqual([]);
    const alerts: ChatAlert[] = [
      alertOf(escalation, breachAlertFacts('tier_raised', { tier: 1, reason: 'nobody acknowledged in time' })),
      alertOf(escalation, breachAlertFacts('top_of_ladder', { tier: 3, reason: 'x' })),
      alertOf(escalation, breachAlertFacts('resolution_overdue', { tier: 0, reason: 'x' })),
      alertOf(escalation, breachAlertFacts('routing_rule', { tier: 0, reason: 'x', rule: 'r' })),
      { template: 'deadline_warning', data: { ...handoffFacts(escalation), ...deadlineWarningFacts('acknowledge', { deadline: '2026-03-02T14:00:00Z', percent: 75, timeLeft: '1 h', timeZone: 'UTC' }) } },
      { template: 'churn_risk_brief', data: handoffFacts(escalation) },
    ];
    for (const alert of alerts) expect(cardProblems(teamsMessage(alert, LINK).attachments[0]!.content), alert.template).toEqual([]);
  });

  it('words each alert its own way', () => {
    const headline = (alert: ChatAlert) => (slackMessage(alert, LINK).blocks[0] as HeaderBlock).text.text;
    expect(headline(alertOf(escalation, breachAlertFacts('top_of_ladder', { tier: 3, reason: 'x' })))).toBe('Deadline missed at the top of the ladder (tier 3)');
    expect(headline(alertOf(escalation, breachAlertFacts('routing_rule', { tier: 0, reason: 'x', rule: 'stuck-a-day' })))).toBe('Brought in by routing rule "stuck-a-day"');
    const warning = deadlineWarningFacts('update', { deadline: '2026-03-02T14:00:00Z', percent: 75, timeLeft: '1 h', timeZone: 'UTC' });
    expect(headline({ template: 'deadline_warning', data: { ...handoffFacts(escalation), ...warning } })).toBe('At risk: the customer update deadline is near');
    expect(headline({ template: 'churn_risk_brief', data: handoffFacts(escalation) })).toBe('Churn risk: an account at risk has escalated');
    expect(chatMessage({ kind: 'teams' }, { template: 'churn_risk_brief', data: handoffFacts(escalation) }, LINK)).toHaveProperty('attachments');
  });

  it('links to the playbook\'s caseLink, or to the API\'s resource for the case', () => {
    expect(caseUrl('abc', { caseLink: 'https://desk.example.test/c/{caseId}?tab=timeline', publicApiUrl: 'https://api.example.test/' })).toBe('https://desk.example.test/c/abc?tab=timeline');
    expect(caseUrl('abc', { publicApiUrl: 'https://api.example.test/' })).toBe('https://api.example.test/escalations/abc');
  });

  it('user text cannot become markup: Slack shows it as plain text (the fallback escaped), Teams backslash-escaped, every text within its limit', () => {
    const userText = fc.string({ unit: fc.constantFrom('*', '_', '~', '`', '<', '>', '&', '|', '!', '#', '[', ']', '(', ')', '\\', '-', '.', 'a', ' ', '\n', '😀', 'é'), maxLength: 400 });
    fc.assert(
      fc.property(userText, userText, userText, (title, accountName, reason) => {
        const data = { ...handoffFacts({ ...escalation, title, customer: { ...escalation.customer, name: accountName } }), deadline: '2026-03-02T14:00:00.000Z', ...breachAlertFacts('routing_rule', { tier: 1, reason, rule: 'r' }) };
        const slack = slackMessage({ template: 'deadline_breach_alert', data }, LINK);
        for (const { type, text } of slackTexts(slack)) {
          // Only the notification fallback is mrkdwn: no raw <, > (links, mentions), every & starts an entity of ours.
          if (type !== 'mrkdwn') continue;
          expect(text).not.toMatch(/[<>]/);
          expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
        }
        expect(slackTexts(slack).filter(({ type }) => type === 'mrkdwn')).toHaveLength(1);
        expect(unescapeSlack(slack.text)).toContain(clip(title, 100).replace(/…$/, ''));
        const fields = (slack.blocks[2] as { fields: { text: string }[] }).fields;
        // Lossless where nothing was cut: the reader sees exactly what was typed.
        if ([...title].length < 1_900) expect(fields[0]!.text).toBe(`Case\n${title}`);
        expect([...(slack.blocks[0] as { text: { text: string } }).text.text].length).toBeLessThanOrEqual(150);
        for (const field of fields) expect([...field.text].length).toBeLessThanOrEqual(2_000);
        expect(JSON.parse(JSON.stringify(slack))).toEqual(slack);

        const card = teamsMessage({ template: 'deadline_breach_alert', data }, LINK).attachments[0]!.content;
        const values = [...card.body.flatMap((element) => (element.text ? [element.text] : (element.facts ?? []).map((fact) => fact.value)))];
        // Every Markdown character is escaped: unescaped, the text is what was typed.
        for (const value of values) expect(value).not.toMatch(/(^|[^\\])(\\\\)*[*_[\]()#`~<>|]/);
        expect(unescapeCard(card.body[2]!.facts![0]!.value)).toBe(title);
      }),
      { numRuns: 300 },
    );
  });

  it('clips on code points, never inside a surrogate pair', () => {
    expect(clip('😀😀😀', 2)).toBe('😀…');
    expect(escapeCardMarkdown('*a* [b](c)')).toBe('\\*a\\* \\[b\\]\\(c\\)');
  });
});
