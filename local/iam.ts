/**
 * IAM policy evaluation for the local stack: what AWS decides when a function's role asks to do
 * `action` on `resource`. Identity-based policies only (a Lambda role's), which is all this
 * project deploys for its functions: an explicit Deny wins, then any Allow, else the request is
 * denied implicitly. Action and resource patterns take `*` and `?`; conditions are evaluated
 * for the operators implemented below, and any other operator, an unknown condition key or a
 * policy variable denies with a message that says so, rather than guessing either way.
 *
 * Pure: no AWS, no environment, no I/O.
 */

export type Strings = string | string[];

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: Strings;
  NotAction?: Strings;
  Resource?: Strings;
  NotResource?: Strings;
  Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The condition keys a request carries. A key present with `undefined` is one the caller knows
 * and this request lacks (AWS's "key not in the request context"); a key absent from the record
 * is one nobody filled in, and a condition on it is refused.
 */
export type RequestContext = Record<string, string | string[] | undefined>;

export interface AuthorizationRequest {
  action: string;
  resource: string;
  context: RequestContext;
}

export type Decision =
  | { allowed: true; statement: number }
  | { allowed: false; explicit: boolean; reason: string };

const compiled = new Map<string, RegExp>();

/** `*` matches any run of characters, `?` exactly one; everything else literally. (Compiled once per pattern: every SDK call is checked.) */
export function globToRegExp(pattern: string, flags = ''): RegExp {
  const key = `${flags}\0${pattern}`;
  let found = compiled.get(key);
  if (!found) {
    const source = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&'))).join('');
    compiled.set(key, (found = new RegExp(`^${source}$`, `s${flags}`)));
  }
  return found;
}

/** Action names are matched without regard to case, as IAM does (`DynamoDB:getitem` is `dynamodb:GetItem`). */
export function actionMatches(pattern: string, action: string): boolean {
  if (!hasWildcard(pattern)) return pattern.toLowerCase() === action.toLowerCase();
  return globToRegExp(pattern, 'i').test(action);
}

const hasWildcard = (pattern: string) => pattern.includes('*') || pattern.includes('?');

/**
 * ARNs are matched part by part: partition, service, region and account each on their own (a
 * wildcard there stays within the part), and the resource part as a whole, where a wildcard
 * may span `/` and `:` (`execution:machine:*`, `table/t/index/*`). Case matters.
 */
export function resourceMatches(pattern: string, resource: string): boolean {
  if (pattern === '*') return true;
  if (!hasWildcard(pattern)) return pattern === resource;
  const patternParts = arnParts(pattern);
  const resourceParts = arnParts(resource);
  if (!patternParts || !resourceParts) return globToRegExp(pattern).test(resource);
  return patternParts.every((part, index) => globToRegExp(part).test(resourceParts[index]!));
}

/** `arn:partition:service:region:account:resource` split into its six parts, or undefined for something else. */
function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

const list = (value: Strings | undefined): string[] => (value === undefined ? [] : [value].flat());

/** Whether a statement's Action/NotAction and Resource/NotResource cover the request (conditions aside). */
function applies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const actionCovered = statement.NotAction !== undefined ? !list(statement.NotAction).some((pattern) => actionMatches(pattern, request.action)) : list(statement.Action).some((pattern) => actionMatches(pattern, request.action));
  if (!actionCovered) return false;
  return statement.NotResource !== undefined
    ? !list(statement.NotResource).some((pattern) => resourceMatches(pattern, request.resource))
    : list(statement.Resource).some((pattern) => resourceMatches(pattern, request.resource));
}

/** A condition the local check cannot evaluate faithfully: the statement's outcome is unknown. */
class Unevaluable extends Error {}

type Compare = (pattern: string, value: string) => boolean;

/** The operators implemented, each as a comparison of one policy value with one request value. */
const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (pattern, value) => pattern === value, negated: false },
  StringNotEquals: { compare: (pattern, value) => pattern === value, negated: true },
  StringEqualsIgnoreCase: { compare: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(), negated: true },
  StringLike: { compare: (pattern, value) => globToRegExp(pattern).test(value), negated: false },
  StringNotLike: { compare: (pattern, value) => globToRegExp(pattern).test(value), negated: true },
  ArnEquals: { compare: (pattern, value) => pattern === value, negated: false },
  ArnNotEquals: { compare: (pattern, value) => pattern === value, negated: true },
  ArnLike: { compare: resourceMatches, negated: false },
  ArnNotLike: { compare: resourceMatches, negated: true },
  Bool: { compare: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(), negated: false },
};

function conditionValues(operator: string, key: string, raw: unknown): string[] {
  const values = [raw].flat();
  for (const value of values) {
    if (typeof value !== 'string' && typeof value !== 'boolean' && typeof value !== 'number') throw new Unevaluable(`the condition ${operator} on ${key} has a value that is not a string: ${JSON.stringify(value)}`);
    if (typeof value === 'string' && value.includes('${')) throw new Unevaluable(`the condition ${operator} on ${key} uses a policy variable (${value}), which the local IAM check does not substitute`);
  }
  return values.map(String);
}

/** One key of one operator block: does the request satisfy it? */
function keySatisfied(operatorName: string, key: string, raw: unknown, context: RequestContext): boolean {
  let operator = operatorName;
  let set: 'ForAnyValue' | 'ForAllValues' | undefined;
  const qualified = /^(ForAnyValue|ForAllValues):(.+)$/.exec(operator);
  if (qualified) {
    set = qualified[1] as 'ForAnyValue' | 'ForAllValues';
    operator = qualified[2]!;
  }
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);

  const implemented = OPERATORS[operator];
  if ((operator === 'Null' && (set || ifExists)) || (operator !== 'Null' && !implemented)) throw new Unevaluable(`the condition operator ${operatorName} is not implemented by the local IAM check`);
  const contextKey = Object.keys(context).find((candidate) => candidate.toLowerCase() === key.toLowerCase());
  if (contextKey === undefined) throw new Unevaluable(`the condition key ${key} is not one the local IAM check fills in for this request`);
  const present = context[contextKey];
  const patterns = conditionValues(operatorName, key, raw);

  if (!implemented) return patterns.some((pattern) => (pattern.toLowerCase() === 'true') === (present === undefined)); // Null
  const { compare, negated } = implemented;
  const matchesAny = (value: string) => patterns.some((pattern) => compare(pattern, value));

  if (present === undefined) {
    // AWS: a missing key fails the condition, except under ...IfExists, a negated operator, or ForAllValues (vacuously true).
    return ifExists || negated || set === 'ForAllValues';
  }
  const values = [present].flat();
  if (set === 'ForAnyValue') return negated ? values.some((value) => !matchesAny(value)) : values.some(matchesAny);
  if (set === 'ForAllValues') return negated ? values.every((value) => !matchesAny(value)) : values.every(matchesAny);
  if (Array.isArray(present)) throw new Unevaluable(`the condition ${operatorName} on ${key} needs ForAnyValue: or ForAllValues: (${key} has several values)`);
  return negated ? !matchesAny(present) : matchesAny(present);
}

/** Every operator block and every key in it must hold (AND); the values of one key are alternatives (OR). */
function conditionsHold(statement: PolicyStatement, context: RequestContext): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      if (!keySatisfied(operator, key, values, context)) return false;
    }
  }
  return true;
}

/** AWS's decision for one request under one role's statements. */
export function authorize(statements: readonly PolicyStatement[], request: AuthorizationRequest): Decision {
  let allowedBy: number | undefined;
  let unevaluableAllow: string | undefined;
  for (const [index, statement] of statements.entries()) {
    if (!applies(statement, request)) continue;
    let holds: boolean;
    try {
      holds = conditionsHold(statement, request.context);
    } catch (error) {
      if (!(error instanceof Unevaluable)) throw error;
      // A Deny that might apply decides nothing we could vouch for: refuse. An Allow we cannot
      // evaluate only matters if nothing else allows.
      if (statement.Effect === 'Deny') return { allowed: false, explicit: true, reason: `because ${error.message} (statement ${statement.Sid ?? index} may deny it)` };
      unevaluableAllow ??= `because ${error.message} (statement ${statement.Sid ?? index} would decide whether it is allowed)`;
      continue;
    }
    if (!holds) continue;
    if (statement.Effect === 'Deny') return { allowed: false, explicit: true, reason: 'with an explicit deny in an identity-based policy' };
    allowedBy ??= index;
  }
  if (allowedBy !== undefined) return { allowed: true, statement: allowedBy };
  if (unevaluableAllow) return { allowed: false, explicit: false, reason: unevaluableAllow };
  return { allowed: false, explicit: false, reason: `because no identity-based policy allows the ${request.action} action` };
}
