import type { PlaybookFile } from './schema';

/**
 * The defaults are the tables of PLAYBOOK.md. A team overrides any part of them in
 * playbook.json; contacts in particular must point at real people before going live.
 */
export const DEFAULT_PLAYBOOK = {
  severities: {
    critical: { acknowledgeWithin: '1h', updateEvery: '1h', resolveWithin: '24h', involve: ['csm', 'support_lead', 'engineering'] },
    high: { acknowledgeWithin: '4h', updateEvery: '4h', resolveWithin: '72h', involve: ['csm', 'support'] },
    medium: { acknowledgeWithin: '24h', updateEvery: '24h', resolveWithin: '7d', involve: ['csm'] },
    low: { acknowledgeWithin: '48h', updateEvery: '48h', resolveWithin: '14d', involve: ['support'] },
  },
  routing: [
    { name: 'not-resolved-within-24h', when: { unresolvedFor: '24h' }, routeTo: ['csm_manager'] },
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
  followUp: { after: '24h', recoveryCallAfter: '7d', healthCheckAfter: '30d' },
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
  // Only the case's own contacts write on it by email; a colleague at their domain is quarantined.
  inboundMail: { trustContactDomains: false },
} satisfies PlaybookFile;
