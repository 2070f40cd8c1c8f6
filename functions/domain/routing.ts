import type { Playbook, RoutingRuleConfig } from '../domain/playbook';
import { categoryOf, type Severity, type Trigger } from './vocabulary';

export interface RoutingFacts {
  severity: Severity;
  triggers: Trigger[];
  executiveInvolved: boolean;
}

export interface Routing {
  roles: string[];
  matchedRules: string[];
}

/** Rules decided by the facts of the case alone; time-based rules belong to the workflow. */
function matchesAtIntake(rule: RoutingRuleConfig, facts: RoutingFacts): boolean {
  const { when } = rule;
  if (when.unresolvedFor !== undefined) return false;
  const executive = facts.executiveInvolved || facts.triggers.some((t) => categoryOf(t) === 'executive');
  return (
    (when.anyTrigger === undefined || facts.triggers.some((t) => when.anyTrigger!.includes(t))) &&
    (when.anyCategory === undefined || facts.triggers.some((t) => when.anyCategory!.includes(categoryOf(t)))) &&
    (when.executiveInvolved === undefined || executive)
  );
}

/** Who works the case at intake: the severity's owning team plus every matching routing rule. */
export function routeAtIntake(facts: RoutingFacts, playbook: Playbook): Routing {
  const matched = playbook.routing.filter((rule) => matchesAtIntake(rule, facts));
  const roles = [...playbook.severities[facts.severity].involve, ...matched.flatMap((rule) => rule.routeTo)];
  return { roles: unique(roles), matchedRules: matched.map((rule) => rule.name) };
}

/** The roles one tier up the ladder; tier 0 is the owning team. */
export function rolesForTier(tier: number, playbook: Playbook): string[] {
  return tier === 0 ? [] : (playbook.ladder[tier - 1] ?? []);
}

export const topTier = (playbook: Playbook) => playbook.ladder.length;

export function recipientsFor(roles: string[], playbook: Playbook): string[] {
  return unique(roles.flatMap((role) => playbook.contacts[role] ?? []));
}

export const unique = <T>(items: T[]) => [...new Set(items)];
