import type { PolicyStatement } from '../../local/iam';

/**
 * Grants in the vocabulary the code analysis speaks (tests/infra/calls-in-code.ts): an action
 * on a kind of resource, `dynamodb:Query on index`. The exact-grants test compares a
 * template's grants with the code's calls in it; the grant coverage test removes them one by one.
 */

/** Kinds of resource the functions' code calls; the others (log group, queue, stream, "*") are the Lambda service's own use of the role. */
export const CODE_KINDS = new Set(['table', 'index', 'stateMachine', 'execution', 'identity', 'configuration-set', 'template', 'secret', 'object', 'event-bus']);

const KINDS: [RegExp, string][] = [
  [/^arn:aws:dynamodb:[^:]*:[^:]*:table\/[^/]+\/index\//, 'index'],
  [/^arn:aws:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\//, 'stream'],
  [/^arn:aws:dynamodb:[^:]*:[^:]*:table\/[^/]+$/, 'table'],
  [/^arn:aws:states:[^:]*:[^:]*:stateMachine:/, 'stateMachine'],
  [/^arn:aws:states:[^:]*:[^:]*:execution:/, 'execution'],
  [/^arn:aws:ses:[^:]*:[^:]*:identity\//, 'identity'],
  [/^arn:aws:ses:[^:]*:[^:]*:configuration-set\//, 'configuration-set'],
  [/^arn:aws:ses:[^:]*:[^:]*:template\//, 'template'],
  [/^arn:aws:secretsmanager:/, 'secret'],
  [/^arn:aws:events:[^:]*:[^:]*:event-bus\//, 'event-bus'],
  [/^arn:aws:s3:::[^/]+\/.+/, 'object'],
  [/^arn:aws:logs:/, 'log-group'],
  [/^arn:aws:sqs:/, 'queue'],
  [/^\*$/, '*'],
];

/** The kind of resource an ARN (or pattern) names. */
export function kindOf(arn: string): string {
  const found = KINDS.find(([pattern]) => pattern.test(arn));
  if (!found) throw new Error(`no kind of resource known for ${arn}: teach tests/support/grants.ts`);
  return found[1];
}

const list = (value: string | string[] | undefined) => (value === undefined ? [] : [value].flat());

/** The code's grants among resolved statements (Allow only), as `<action> on <kind>`. */
export function codeGrants(statements: readonly PolicyStatement[]): Set<string> {
  const grants = new Set<string>();
  for (const statement of statements) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of list(statement.Action)) {
      for (const resource of list(statement.Resource)) {
        const kind = kindOf(resource);
        if (CODE_KINDS.has(kind)) grants.add(`${action} on ${kind}`);
      }
    }
  }
  return grants;
}

/** The statements with one grant taken out: its action no longer allowed on any resource of its kind. */
export function withoutGrant(statements: readonly PolicyStatement[], grant: string): PolicyStatement[] {
  const [action, kind] = grant.split(' on ') as [string, string];
  return statements.flatMap((statement): PolicyStatement[] => {
    const actions = list(statement.Action);
    if (statement.Effect !== 'Allow' || !actions.includes(action)) return [statement];
    const others = actions.filter((candidate) => candidate !== action);
    const keep = list(statement.Resource).filter((resource) => kindOf(resource) !== kind);
    return [...(others.length ? [{ ...statement, Action: others }] : []), ...(keep.length ? [{ ...statement, Action: [action], Resource: keep }] : [])];
  });
}
