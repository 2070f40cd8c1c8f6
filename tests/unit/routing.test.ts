import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recipientsFor, rolesForTier, routeAtIntake, topTier, type RoutingFacts } from '../../functions/domain/routing';
import { SEVERITIES, TRIGGER_CATEGORIES, TRIGGERS, type Severity, type Trigger } from '../../functions/domain/vocabulary';
import { parsePlaybook } from '../../functions/playbook/load';
import { playbook } from './fixtures';

const facts = (severity: Severity, triggers: Trigger[] = [], executiveInvolved = false): RoutingFacts => ({ severity, triggers, executiveInvolved });
const roles = (f: RoutingFacts) => routeAtIntake(f, playbook).roles;

describe('routeAtIntake: severity', () => {
  it('critical involves CSM + Support Lead + Engineering', () => {
    expect(roles(facts('critical'))).toEqual(expect.arrayContaining(['csm', 'support_lead', 'engineering']));
  });
  it('high involves CSM + Support', () => {
    expect(roles(facts('high'))).toEqual(expect.arrayContaining(['csm', 'support']));
  });
  it('medium involves CSM or Support', () => {
    expect(roles(facts('medium')).some((r) => r === 'csm' || r === 'support')).toBe(true);
  });
  it('low involves Support', () => {
    expect(roles(facts('low'))).toContain('support');
  });
  it('with no triggers and no executive, only the severity involve list, and no rule matched', () => {
    for (const severity of SEVERITIES) {
      const routing = routeAtIntake(facts(severity), playbook);
      expect(routing.roles).toEqual(playbook.severities[severity].involve);
      expect(routing.matchedRules).toEqual([]);
    }
  });
});

describe('routeAtIntake: triggers and facts', () => {
  it.each(TRIGGER_CATEGORIES.technical)('technical trigger %s routes to support_lead + engineering', (trigger) => {
    const routing = routeAtIntake(facts('low', [trigger]), playbook);
    expect(routing.roles).toEqual(expect.arrayContaining(['support_lead', 'engineering']));
    expect(routing.matchedRules).toContain('engineering-needed');
  });

  it.each(['renewal_at_risk', 'cancellation_threat', 'competitive_threat'] as Trigger[])(
    'churn trigger %s routes to vp_customer_success + executive_sponsor',
    (trigger) => {
      const routing = routeAtIntake(facts('low', [trigger]), playbook);
      expect(routing.roles).toEqual(expect.arrayContaining(['vp_customer_success', 'executive_sponsor']));
      expect(routing.matchedRules).toContain('churn-threat');
    },
  );

  it('executiveInvolved routes to vp_customer_success', () => {
    const routing = routeAtIntake(facts('low', [], true), playbook);
    expect(routing.roles).toContain('vp_customer_success');
    expect(routing.matchedRules).toEqual(['customer-executive-involved']);
    expect(roles(facts('low', [], false))).not.toContain('vp_customer_success');
  });

  it.each(['billing_dispute', 'contract_confusion'] as Trigger[])('%s routes to finance', (trigger) => {
    expect(roles(facts('low', [trigger]))).toContain('finance');
  });

  it('legal threat routes to legal, urgent feature request to product', () => {
    expect(roles(facts('low', ['legal_threat']))).toContain('legal');
    expect(roles(facts('low', ['urgent_feature_request']))).toContain('product');
  });

  it('non-technical triggers do not pull in engineering; non-billing triggers do not pull in finance', () => {
    for (const trigger of TRIGGERS) {
      const r = roles(facts('low', [trigger]));
      const technical = (TRIGGER_CATEGORIES.technical as readonly string[]).includes(trigger);
      expect(r.includes('engineering'), trigger).toBe(technical);
      expect(r.includes('finance'), trigger).toBe(trigger === 'billing_dispute' || trigger === 'contract_confusion');
    }
  });

  it('the time-based rule (unresolvedFor) never matches at intake', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.uniqueArray(fc.constantFrom(...TRIGGERS)), fc.boolean(), (severity, triggers, exec) => {
        const routing = routeAtIntake(facts(severity, triggers, exec), playbook);
        expect(routing.matchedRules).not.toContain('not-resolved-within-a-day');
        expect(routing.roles).not.toContain('csm_manager');
      }),
    );
  });

  it('a rule combining unresolvedFor with a trigger still does not match at intake', () => {
    const custom = parsePlaybook({
      routing: [{ name: 'slow-technical', when: { unresolvedFor: '1h', anyCategory: ['technical'] }, routeTo: ['csm_manager'] }],
    });
    const routing = routeAtIntake(facts('low', ['platform_down']), custom);
    expect(routing.matchedRules).toEqual([]);
    expect(routing.roles).toEqual(['support']);
  });

  it('a rule with several conditions needs all of them', () => {
    const custom = parsePlaybook({
      routing: [{ name: 'angry-exec-billing', when: { anyTrigger: ['billing_dispute'], executiveInvolved: true }, routeTo: ['finance'] }],
    });
    expect(routeAtIntake(facts('low', ['billing_dispute']), custom).matchedRules).toEqual([]);
    expect(routeAtIntake(facts('low', [], true), custom).matchedRules).toEqual([]);
    expect(routeAtIntake(facts('low', ['billing_dispute'], true), custom).matchedRules).toEqual(['angry-exec-billing']);
  });

  it('property: roles are the severity involve list plus the routeTo of every matched rule, without duplicates', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEVERITIES), fc.uniqueArray(fc.constantFrom(...TRIGGERS)), fc.boolean(), (severity, triggers, exec) => {
        const routing = routeAtIntake(facts(severity, triggers, exec), playbook);
        expect(new Set(routing.roles).size).toBe(routing.roles.length);
        const expected = new Set([
          ...playbook.severities[severity].involve,
          ...playbook.routing.filter((r) => routing.matchedRules.includes(r.name)).flatMap((r) => r.routeTo),
        ]);
        expect(new Set(routing.roles)).toEqual(expected);
        // The severity's own team comes first.
        expect(routing.roles.slice(0, playbook.severities[severity].involve.length)).toEqual(playbook.severities[severity].involve);
        // Every role routed to has somebody to notify.
        for (const role of routing.roles) expect(playbook.contacts[role]?.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('ladder', () => {
  it('tier 0 is the owning team (no extra roles); tiers 1..3 follow the default ladder; nothing above', () => {
    expect(rolesForTier(0, playbook)).toEqual([]);
    expect(rolesForTier(1, playbook)).toEqual(['support_lead', 'csm_manager']);
    expect(rolesForTier(2, playbook)).toEqual(['vp_customer_success']);
    expect(rolesForTier(3, playbook)).toEqual(['executive_sponsor']);
    expect(rolesForTier(4, playbook)).toEqual([]);
    expect(topTier(playbook)).toBe(3);
  });
});

describe('recipientsFor', () => {
  it('maps roles to contact emails', () => {
    expect(recipientsFor(['csm', 'finance'], playbook)).toEqual(['csm@example.com', 'finance@example.com']);
  });

  it('does not repeat an address shared by several roles or listed twice', () => {
    const custom = parsePlaybook({
      contacts: { support: ['help@acme.example', 'oncall@acme.example'], support_lead: ['oncall@acme.example'], csm: ['help@acme.example'] },
    });
    const recipients = recipientsFor(['support', 'support_lead', 'csm', 'support'], custom);
    expect([...recipients].sort()).toEqual(['help@acme.example', 'oncall@acme.example']);
  });

  it('ignores a role without contacts and gives nothing for no roles', () => {
    expect(recipientsFor(['nobody'], playbook)).toEqual([]);
    expect(recipientsFor([], playbook)).toEqual([]);
  });

  it('property: exactly the union of the roles\' contacts, without duplicates', () => {
    const known = Object.keys(playbook.contacts);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...known, 'unknown_role')), (rs) => {
        const recipients = recipientsFor(rs, playbook);
        expect(new Set(recipients).size).toBe(recipients.length);
        expect(new Set(recipients)).toEqual(new Set(rs.flatMap((r) => playbook.contacts[r] ?? [])));
      }),
    );
  });
});
