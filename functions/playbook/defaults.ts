import type { PlaybookFile } from './schema';

/**
 * The defaults are the tables of PLAYBOOK.md. A team overrides any part of them in
 * playbook.json; contacts in particular must point at real people before going live.
 *
 * Each target is written in the unit that says what the playbook means, because the unit
 * decides the count (functions/domain/sla-target.ts): on a business calendar "1d" is the same
 * time on the next working day, while "24h" is 24 hours of working time, three working days
 * of Mon–Fri 09:00–17:00. On the 24×7 calendar both are 24 hours.
 * - The playbook's "24 h", "48 h" and "72 h" are a day, two and three: "1d", "2d", "3d". Critical
 *   runs 24×7, where "1d" is its 24 hours; on an account that gives critical office hours it
 *   stays a day rather than growing to three.
 * - "7 d" and "14 d" to resolve are working days, which is what a team means by them.
 * - 1 h and 4 h (critical and high acknowledgement and updates) are working time: part of a day.
 */
export const DEFAULT_PLAYBOOK = {
  severities: {
    critical: { acknowledgeWithin: '1h', updateEvery: '1h', resolveWithin: '1d', involve: ['csm', 'support_lead', 'engineering'] },
    high: { acknowledgeWithin: '4h', updateEvery: '4h', resolveWithin: '3d', involve: ['csm', 'support'] },
    medium: { acknowledgeWithin: '1d', updateEvery: '1d', resolveWithin: '7d', involve: ['csm'] },
    low: { acknowledgeWithin: '2d', updateEvery: '2d', resolveWithin: '14d', involve: ['support'] },
  },
  routing: [
    { name: 'not-resolved-within-a-day', when: { unresolvedFor: '1d' }, routeTo: ['csm_manager'] },
    { name: 'customer-executive-involved', when: { executiveInvolved: true }, routeTo: ['vp_customer_success'] },
    {
      name: 'churn-threat',
      when: { anyTrigger: ['renewal_at_risk', 'cancellation_threat', 'competitive_threat'] },
      routeTo: ['vp_customer_success', 'executive_sponsor'],
    },
    { name: 'engineering-needed', when: { anyCategory: ['technical'] }, routeTo: ['support_lead', 'engineering'] },
    { name: 'billing-or-contract', when: { anyTrigger: ['billing_dispute', 'contract_confusion'] }, routeTo: ['finance'] },
    { name: 'legal-exposure', when: { anyTrigger: ['legal_threat'] }, routeTo: ['legal'] },
    { name: 'product-gap', when: { anyTrigger: ['urgent_feature_request'] }, routeTo: ['product'] },
  ],
  ladder: [['support_lead', 'csm_manager'], ['vp_customer_success'], ['executive_sponsor']],
  contacts: {
    support: ['support@example.com'],
    csm: ['csm@example.com'],
    support_lead: ['support-lead@example.com'],
    engineering: ['engineering-oncall@example.com'],
    csm_manager: ['csm-manager@example.com'],
    vp_customer_success: ['vp-customer-success@example.com'],
    executive_sponsor: ['executive-sponsor@example.com'],
    finance: ['finance@example.com'],
    legal: ['legal@example.com'],
    product: ['product@example.com'],
  },
  // Follow up the next working day; the recovery call within a week (five working days) and the
  // health check within a month (twenty working days, four weeks), PLAYBOOK.md §5. Counted as
  // "7d" and "30d" they would land nine and forty-two days out on office hours.
  followUp: { after: '1d', recoveryCallAfter: '5d', healthCheckAfter: '20d' },
  idempotencyWindow: '24h',
  // SLA clocks count working time only. Critical runs around the clock; the others count
  // office hours in the account's time zone (the team's when the account has none).
  teamTimeZone: 'UTC',
  calendars: {
    '24x7': { alwaysOpen: true },
    business: {
      week: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] },
      holidays: [],
    },
  },
  severityCalendars: { critical: '24x7', high: 'business', medium: 'business', low: 'business' },
  accountCalendars: {},
  // The review is due five working days after the resolution; item reminders fall in working hours too.
  review: { within: '5d', calendar: 'business', extraTeams: [] },
  // The VP of Customer Success decides who joins the executive sponsorship programme.
  sponsorship: { proposeTo: ['vp_customer_success'] },
  // Two years after a case closes, it and everything stored with it is deleted.
  retention: { closedCaseDays: 730 },
  // Only the case's own contacts write on it by email; a colleague at their domain is quarantined.
  inboundMail: { trustContactDomains: false },
} satisfies PlaybookFile;
