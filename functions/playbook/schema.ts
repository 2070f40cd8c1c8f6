import { z } from 'zod';
import { SEVERITIES, TRIGGERS, TRIGGER_CATEGORIES } from '../domain/vocabulary';
import { Duration } from './duration';

const HOUR = 3_600_000;
const Role = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a role is a snake_case name such as "support_lead"');

const SeverityPolicy = z.strictObject({
  acknowledgeWithin: Duration,
  updateEvery: Duration,
  resolveWithin: Duration,
  involve: z.array(Role).min(1),
});

const RoutingCondition = z
  .strictObject({
    anyTrigger: z.array(z.enum(TRIGGERS as [string, ...string[]])).min(1).optional(),
    anyCategory: z.array(z.enum(Object.keys(TRIGGER_CATEGORIES) as [string, ...string[]])).min(1).optional(),
    executiveInvolved: z.literal(true).optional(),
    unresolvedFor: Duration.optional(),
  })
  .refine((when) => Object.keys(when).length > 0, 'a routing condition needs at least one of anyTrigger, anyCategory, executiveInvolved, unresolvedFor');

const RoutingRule = z.strictObject({
  name: z.string().min(1),
  when: RoutingCondition,
  routeTo: z.array(Role).min(1),
});

const Email = z.email();

export const PlaybookSchema = z
  .strictObject({
    severities: z.strictObject(
      Object.fromEntries(SEVERITIES.map((s) => [s, SeverityPolicy])) as Record<
        (typeof SEVERITIES)[number],
        typeof SeverityPolicy
      >,
    ),
    routing: z.array(RoutingRule),
    /** Tiers above the owning team (tier 0), lowest first. A missed deadline climbs one. */
    ladder: z.array(z.array(Role).min(1)).min(1),
    contacts: z.record(Role, z.array(Email).min(1)),
    followUp: z.strictObject({
      after: Duration.refine((ms) => ms >= 24 * HOUR && ms <= 48 * HOUR, 'the follow-up goes out 24 to 48 hours after resolution'),
      recoveryCallAfter: Duration,
      healthCheckAfter: Duration,
    }),
    idempotencyWindow: Duration,
  })
  .superRefine((playbook, ctx) => {
    const known = new Set(Object.keys(playbook.contacts));
    const check = (roles: string[], path: (string | number)[]) =>
      roles.forEach((role, index) => {
        if (!known.has(role)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, index],
            message: `role "${role}" has no entry in contacts`,
          });
        }
      });
    for (const severity of SEVERITIES) check(playbook.severities[severity].involve, ['severities', severity, 'involve']);
    playbook.routing.forEach((rule, i) => check(rule.routeTo, ['routing', i, 'routeTo']));
    playbook.ladder.forEach((tier, i) => check(tier, ['ladder', i]));
  });

/** The playbook as a team writes it (durations as text). */
export type PlaybookFile = z.input<typeof PlaybookSchema>;
/** The playbook as the rules read it (durations in milliseconds). */
export type Playbook = z.output<typeof PlaybookSchema>;
export type SeverityTargets = Playbook['severities'][keyof Playbook['severities']];
export type RoutingRuleConfig = Playbook['routing'][number];
