// `npm run preview:emails`: every template rendered with realistic data to files a person can open.
// The data comes from the real rules (intake, lifecycle, deadline checks), so a preview shows
// exactly the fields production fills in.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Handlebars from 'handlebars';
import { templateData, toCustomer } from '../functions/domain/communications';
import { type Notification } from '../functions/domain/notification';
import { performCheck, scheduledChecks } from '../functions/domain/deadline-checks';
import { type Context } from '../functions/domain/escalation';
import { openEscalation } from '../functions/domain/intake';
import { quarantineMessage } from '../functions/domain/inbound';
import { applyAction } from '../functions/domain/lifecycle';
import { parsePlaybook } from '../functions/playbook/load';
import { CreateEscalationRequest } from '../functions/schemas/escalation';
import { loadTemplates } from '../templates/catalogue';

const OUT = resolve(process.argv[2] ?? 'test-output/email-previews');
const playbook = parsePlaybook({});
const at = (iso: string, actor = 'dana.owner@example.com'): Context => ({ now: new Date(iso), actor, playbook });

const opened = openEscalation(
  '3f1c2a9e-7b4d-4e1a-9c55-2d8e6f0a1b2c',
  CreateEscalationRequest.parse({
    customer: {
      accountId: 'northwind',
      name: 'Northwind Traders',
      segment: 'enterprise',
      arr: 480000,
      healthScore: 58,
      renewalDate: '2027-02-28',
      timezone: 'Europe/Berlin',
      contacts: [{ email: 'maria.lopez@northwind.example', name: 'María López', role: 'Head of Operations', phone: '+49 30 1234567' }],
    },
    title: 'Orders stuck in "pending" since the 09:00 release',
    description: 'Every order placed since 09:00 CET stays pending; payment succeeds but fulfilment never starts.',
    businessImpact: 'About 1,200 orders an hour cannot ship; the warehouse team is idle.',
    alreadyTried: 'Support restarted the fulfilment connector twice; no change.',
    neededBy: '2026-05-04T16:00:00Z',
    severity: 'critical',
    triggers: ['integration_broken', 'renewal_at_risk'],
  }),
  at('2026-05-04T09:20:00Z', 'intake@example.com'),
);
const acknowledged = applyAction('acknowledge', opened.next, { owner: 'dana.owner@example.com', message: 'I own this now.' }, at('2026-05-04T09:35:00Z'));
const updated = applyAction(
  'updates',
  acknowledged.next,
  {
    message:
      'What we know: the 09:00 release changed how the connector signs its requests, and your fulfilment system rejects them.\n' +
      'What we do not know yet: why only some regions are affected.\n' +
      'Workaround: orders can be released by hand from the admin screen while we fix it.',
  },
  at('2026-05-04T10:15:00Z'),
);
const assigned = applyAction('assign', acknowledged.next, { owner: 'kim.tanaka@example.com', reason: 'Kim built the fulfilment connector and can read its signing code today.' }, at('2026-05-04T09:50:00Z', 'support-lead@example.com'));
const resolution = { rootCause: 'The release sent a new signature header your connector did not accept.', fix: 'We restored the previous header and replayed the 4,870 stuck orders.', prevention: 'Connector contract tests now run against every customer integration before a release.' };
const resolved = applyAction('resolve', updated.next, resolution, at('2026-05-04T13:05:00Z'));
const outOfScope = applyAction('out-of-scope', acknowledged.next, { reason: 'The errors come from the carrier’s label service, which is outside our platform.', guidance: 'The carrier’s status page lists the outage; labels can be printed from their portal until it is fixed.' }, at('2026-05-04T10:00:00Z'));

const dueCheck = (escalation: typeof opened.next, action: string) => {
  const check = scheduledChecks(escalation, playbook).find((candidate) => candidate.action === action)!;
  return performCheck(escalation, check, new Date(Date.parse(check.at) + 1500), playbook).notifications;
};

const samples: Notification[] = [
  ...opened.notifications!,
  ...acknowledged.notifications!,
  ...assigned.notifications!,
  ...updated.notifications!,
  ...resolved.notifications!,
  ...outOfScope.notifications!,
  ...dueCheck(opened.next, 'escalate_unacknowledged'),
  ...dueCheck(updated.next, 'remind_owner_update_due'),
  ...dueCheck(resolved.next, 'send_follow_up').map((n) => ({
    ...n,
    data: { ...n.data, surveyLinks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((score) => ({ score, url: `https://api.example.com/csat/sample-token?score=${score}` })) },
  })),
  ...quarantineMessage(
    updated.next,
    {
      messageId: '<preview@partner.example>',
      from: { address: 'j.doe@partner.example', name: 'J. Doe' },
      recipients: ['escalations+3f1c2a9e-7b4d-4e1a-9c55-2d8e6f0a1b2c@inbound.example.com'],
      subject: 'Re: Orders stuck — please close this, all fine now',
      inReplyTo: [],
      text: 'Everything works again on our side, you can close the case.',
      attachments: [],
    },
    ['j.doe@partner.example is not a contact of this case', 'the sender is not authenticated (spf=GRAY, dkim=GRAY, dmarc=GRAY): SPF or DKIM must pass and DMARC must align with them'],
    at('2026-05-04T10:40:00Z', 'inbound-email'),
  ).notifications!,
  ...toCustomer(updated.next, 'incident_update', 'preview', {
    incidentTitle: 'Order fulfilment delayed for several customers',
    message: 'The fix is deployed to 80 % of regions; the rest follow within the hour.',
  }),
];

mkdirSync(OUT, { recursive: true });
const index: string[] = [];
for (const template of loadTemplates()) {
  const sample = samples.find((notification) => notification.template === template.name);
  if (!sample) throw new Error(`no sample data for template ${template.name}: add one to local/preview-emails.ts`);
  // Rendered as SES renders: values raw, the HTML part reading the escaped copy.
  const render = (source: string) => Handlebars.compile(source, { noEscape: true })(templateData(sample.data));
  const subject = render(template.subject);
  writeFileSync(resolve(OUT, `${template.name}.html`), `<!doctype html><meta charset="utf-8"><title>${Handlebars.escapeExpression(subject)}</title>` + `<p style="font-family:sans-serif;color:#555">To: ${sample.to.join(', ')}<br>Subject: <strong>${Handlebars.escapeExpression(subject)}</strong></p><hr>${render(template.html)}`);
  writeFileSync(resolve(OUT, `${template.name}.txt`), `To: ${sample.to.join(', ')}\nSubject: ${subject}\n\n${render(template.text)}`);
  index.push(`<li><a href="${template.name}.html">${template.name}</a> (<a href="${template.name}.txt">text</a>): ${Handlebars.escapeExpression(subject)}</li>`);
}
writeFileSync(resolve(OUT, 'index.html'), `<!doctype html><meta charset="utf-8"><title>Email previews</title><h1>Email previews</h1><ul>${index.join('')}</ul>`);
console.log(`${index.length} templates rendered to ${OUT}/ (open index.html)`);
