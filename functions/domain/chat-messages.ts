import type { KnownBlock } from '@slack/types';
import type { ChatChannel, ChatTemplate } from './notification';

// A role's internal alert as a chat message: Slack Block Kit for a Slack incoming webhook, an
// Adaptive Card for a Microsoft Teams incoming webhook (or a Teams Workflows "post to a channel
// when a webhook request is received" flow, which takes the same body). Built from the facts the
// alert's email carries (functions/domain/communications.ts), at send time, so the case link
// follows the deployment. Pure: no I/O, no clock.
//
// Text customers or agents wrote (titles, account names, reasons) never becomes markup. In Slack
// it goes only into plain_text objects, which Slack shows as typed (mrkdwn has no escape for *, _
// or ~, only entities for its control characters &, < and >, which the notification fallback
// `text` gets). In an Adaptive Card every Markdown character of it is backslash-escaped.

/** The facts of one alert, as its outbox item holds them. */
export interface ChatAlert {
  template: ChatTemplate;
  data: Record<string, unknown>;
}

/** Slack truncates nothing for us: it refuses the whole message when a text is over its limit. */
const SLACK_HEADER_MAX = 150;
const SLACK_FIELD_MAX = 2_000;
const SLACK_TEXT_MAX = 3_000;

/** Slack's control characters in mrkdwn, as Slack's formatting reference says to escape them. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Markdown an Adaptive Card TextBlock would read (emphasis, links, lists, headings), backslash-escaped. */
export function escapeCardMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]()#+\-.!~<>|]/g, (char) => `\\${char}`);
}

/** Cut to `max` characters (code points, so a surrogate pair is never split), marking the cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));

/** The headline and the sentence an alert opens with, in words (no user text: that follows as facts). */
function headline(alert: ChatAlert): { title: string; lead: string; urgent: boolean } {
  const { data } = alert;
  switch (alert.template) {
    case 'deadline_breach_alert':
      switch (data.alert) {
        case 'tier_raised':
          return { title: `Deadline missed: now with tier ${text(data.tier)}`, lead: `A deadline passed without the action it needed (${text(data.reason)}). The case is with tier ${text(data.tier)} now: take ownership or hand it on.`, urgent: true };
        case 'top_of_ladder':
          return { title: `Deadline missed at the top of the ladder (tier ${text(data.tier)})`, lead: `A deadline passed again (${text(data.reason)}). The case stays with the top tier: make sure someone owns it now.`, urgent: true };
        case 'resolution_overdue':
          return { title: 'Resolution target missed', lead: `The case is not resolved and its resolution target has passed. It is held by ${text(data.owner)}, at tier ${text(data.tier)}.`, urgent: true };
        default:
          return { title: `Brought in by routing rule "${text(data.rule)}"`, lead: `${text(data.reason)}. The case is held by ${text(data.owner)}, at tier ${text(data.tier)}.`, urgent: true };
      }
    case 'deadline_warning': {
      const which = data.warning === 'acknowledge' ? 'acknowledgement' : data.warning === 'update' ? 'customer update' : 'resolution';
      return { title: `At risk: the ${which} deadline is near`, lead: `${text(data.timeLeft)} of working time left (${text(data.percent)} % of the target spent); due ${text(data.dueLocal)}.`, urgent: false };
    }
    case 'churn_risk_brief':
      return { title: 'Churn risk: an account at risk has escalated', lead: `Triggers: ${text(data.triggers)}. Renewal ${text(data.renewalDate)}, ARR ${text(data.arr)}, health score ${text(data.healthScore)}.`, urgent: true };
  }
}

/** The facts every alert shows, label and value (values are user text). */
function facts(data: Record<string, unknown>): [string, string][] {
  return [
    ['Case', text(data.title)],
    ['Customer', text(data.accountName)],
    ['Severity', text(data.severity)],
    ['Owner', text(data.owner)],
    ['Deadline', text(data.deadline ?? data.acknowledgeBy)],
    ['Reference', text(data.reference)],
  ];
}

/** Where the message links: the playbook's caseLink with the case id in it, or the API's resource for the case. */
export function caseUrl(caseId: string, { caseLink, publicApiUrl }: { caseLink?: string | undefined; publicApiUrl: string }): string {
  if (caseLink) return caseLink.replaceAll('{caseId}', encodeURIComponent(caseId));
  return `${publicApiUrl.replace(/\/$/, '')}/escalations/${encodeURIComponent(caseId)}`;
}

/** Slack Block Kit, as an incoming webhook takes it: `text` is the notification's fallback, `blocks` the message. */
export function slackMessage(alert: ChatAlert, link: string): { text: string; blocks: KnownBlock[] } {
  const { title, lead } = headline(alert);
  const reference = text(alert.data.reference);
  const caseTitle = text(alert.data.title);
  return {
    text: clip(escapeSlack(`${title}: ${caseTitle} (${reference})`), SLACK_TEXT_MAX),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(title, SLACK_HEADER_MAX), emoji: false } },
      { type: 'section', text: { type: 'plain_text', text: clip(lead, SLACK_TEXT_MAX), emoji: false } },
      { type: 'section', fields: facts(alert.data).map(([label, value]) => ({ type: 'plain_text', text: clip(`${label}\n${value}`, SLACK_FIELD_MAX), emoji: false })) },
      {
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: clip(`Open ${reference}`, 75), emoji: false }, url: link, action_id: 'open_case', ...(headline(alert).urgent && { style: 'danger' }) }],
      },
    ],
  };
}

/** An Adaptive Card 1.4 in the message envelope Teams incoming webhooks and Workflows take. */
export function teamsMessage(alert: ChatAlert, link: string) {
  const { title, lead, urgent } = headline(alert);
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: escapeCardMarkdown(title), weight: 'Bolder', size: 'Medium', wrap: true, color: urgent ? 'Attention' : 'Warning' },
            { type: 'TextBlock', text: escapeCardMarkdown(lead), wrap: true },
            { type: 'FactSet', facts: facts(alert.data).map(([label, value]) => ({ title: label, value: escapeCardMarkdown(value) })) },
          ],
          actions: [{ type: 'Action.OpenUrl', title: `Open ${text(alert.data.reference)}`, url: link }],
        },
      },
    ],
  };
}

/** The body to post to a channel of this kind. */
export function chatMessage(channel: Pick<ChatChannel, 'kind'>, alert: ChatAlert, link: string): object {
  return channel.kind === 'slack' ? slackMessage(alert, link) : teamsMessage(alert, link);
}
