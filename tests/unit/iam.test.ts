import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { actionMatches, authorize, resourceMatches, type PolicyStatement, type RequestContext } from '../../local/iam';

const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/escalations';
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:escalation-workflow-local';
const EXECUTIONS = 'arn:aws:states:us-east-1:000000000000:execution:escalation-workflow-local:*';
const IDENTITY = 'arn:aws:ses:us-east-1:000000000000:identity/escalations@example.com';
const SES_CONTEXT: RequestContext = { 'ses:FromAddress': 'escalations@example.com', 'ses:Recipients': ['a@acme.test', 'b@acme.test'], 'ses:FromDisplayName': undefined };

const allow = (Action: string | string[], Resource: string | string[], Condition?: PolicyStatement['Condition']): PolicyStatement => ({ Effect: 'Allow', Action, Resource, ...(Condition && { Condition }) });
const deny = (Action: string | string[], Resource: string | string[], Condition?: PolicyStatement['Condition']): PolicyStatement => ({ Effect: 'Deny', Action, Resource, ...(Condition && { Condition }) });
const ask = (action: string, resource: string, context: RequestContext = {}) => ({ action, resource, context });

describe('IAM wildcards', () => {
  // A pattern made of literal pieces and wildcards, and a text made by filling each wildcard in.
  const piece = fc.stringMatching(/^[a-z0-9:/._-]{0,6}$/);
  const filled = fc.array(fc.tuple(piece, fc.constantFrom('*', '?', ''), fc.stringMatching(/^[a-z0-9:/._-]{0,5}$/)), { maxLength: 5 });

  it('a pattern matches every text its wildcards can be filled in to (* any run, ? one character)', () => {
    fc.assert(
      fc.property(filled, fc.string({ minLength: 1, maxLength: 1 }), (parts, one) => {
        const pattern = parts.map(([literal, wildcard]) => literal + wildcard).join('');
        const text = parts.map(([literal, wildcard, fill]) => literal + (wildcard === '*' ? fill : wildcard === '?' ? one : '')).join('');
        expect(actionMatches(pattern, text)).toBe(true);
        expect(resourceMatches(pattern, text)).toBe(true);
      }),
    );
  });

  it('a pattern without wildcards matches only itself: actions in any case, resources exactly', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9:/._-]{1,20}$/), fc.stringMatching(/^[a-zA-Z0-9:/._-]{1,20}$/), (pattern, other) => {
        expect(actionMatches(pattern, other)).toBe(pattern.toLowerCase() === other.toLowerCase());
        expect(resourceMatches(pattern, other)).toBe(pattern === other);
      }),
    );
  });

  it('matches ARNs part by part: a wildcard in the resource part spans / and :, one in the account stays in the account', () => {
    expect(resourceMatches(`${TABLE}/index/*`, `${TABLE}/index/byStatusAndDeadline`)).toBe(true);
    expect(resourceMatches(`${TABLE}/index/*`, TABLE)).toBe(false);
    expect(resourceMatches(TABLE, `${TABLE}/index/byOwner`)).toBe(false);
    expect(resourceMatches(EXECUTIONS, `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:case-1-g2`)).toBe(true);
    expect(resourceMatches(EXECUTIONS, 'arn:aws:states:us-east-1:000000000000:execution:escalation-workflow-prod:case-1-g2')).toBe(false);
    expect(resourceMatches('arn:aws:dynamodb:*:000000000000:table/escalations', TABLE)).toBe(true);
    expect(resourceMatches('arn:aws:dynamodb:us-east-1:*:table/escalations', 'arn:aws:dynamodb:us-east-1:000000000000:x:table/escalations')).toBe(false);
    expect(resourceMatches('arn:aws:s3:::bucket/inbound/*', 'arn:aws:s3:::bucket/inbound/abc')).toBe(true);
    expect(resourceMatches('arn:aws:s3:::bucket/inbound/*', 'arn:aws:s3:::bucket/other/abc')).toBe(false);
  });
});

describe('IAM decisions', () => {
  const ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'ses:SendEmail'];
  const ACTION_PATTERNS = [...ACTIONS, 'dynamodb:*', '*', 'dynamodb:Get*'];
  const RESOURCES = [TABLE, `${TABLE}/index/byOwner`, IDENTITY];
  const RESOURCE_PATTERNS = [...RESOURCES, '*', `${TABLE}/index/*`];
  // An oracle for these few patterns, independent of the matcher under test.
  const covers = (pattern: string, value: string) => pattern === '*' || pattern === value || (pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1)));
  const statement = fc.record({
    Effect: fc.constantFrom('Allow' as const, 'Deny' as const),
    Action: fc.subarray(ACTION_PATTERNS, { minLength: 1 }),
    Resource: fc.subarray(RESOURCE_PATTERNS, { minLength: 1 }),
  });

  it('an explicit Deny wins over any Allow; otherwise an Allow allows; otherwise the request is denied implicitly', () => {
    fc.assert(
      fc.property(fc.array(statement, { maxLength: 6 }), fc.constantFrom(...ACTIONS), fc.constantFrom(...RESOURCES), (statements, action, resource) => {
        const applying = statements.filter((s) => s.Action.some((p) => covers(p, action)) && s.Resource.some((p) => covers(p, resource)));
        const decision = authorize(statements, ask(action, resource));
        if (applying.some((s) => s.Effect === 'Deny')) expect(decision).toEqual({ allowed: false, explicit: true, reason: 'with an explicit deny in an identity-based policy' });
        else if (applying.length) expect(decision).toEqual({ allowed: true, statement: statements.indexOf(applying[0]!) });
        else expect(decision).toEqual({ allowed: false, explicit: false, reason: `because no identity-based policy allows the ${action} action` });
      }),
    );
  });

  it('reads NotAction and NotResource as everything but', () => {
    const statements: PolicyStatement[] = [{ Effect: 'Allow', NotAction: 'dynamodb:BatchGetItem', NotResource: `${TABLE}/index/*` }];
    expect(authorize(statements, ask('dynamodb:GetItem', TABLE)).allowed).toBe(true);
    expect(authorize(statements, ask('dynamodb:BatchGetItem', TABLE)).allowed).toBe(false);
    expect(authorize(statements, ask('dynamodb:Query', `${TABLE}/index/byOwner`)).allowed).toBe(false);
  });
});

describe('IAM conditions', () => {
  const sendFrom = (operator: string, value: unknown) => [allow('ses:SendEmail', IDENTITY, { [operator]: { 'ses:FromAddress': value } })];
  const decide = (statements: PolicyStatement[], context: RequestContext = SES_CONTEXT) => authorize(statements, ask('ses:SendEmail', IDENTITY, context));

  it('StringEquals and StringLike on ses:FromAddress: any listed value will do, keys compare without regard to case', () => {
    expect(decide(sendFrom('StringEquals', 'escalations@example.com')).allowed).toBe(true);
    expect(decide(sendFrom('StringEquals', ['someone@example.com', 'escalations@example.com'])).allowed).toBe(true);
    expect(decide(sendFrom('StringEquals', 'Escalations@example.com')).allowed).toBe(false);
    expect(decide(sendFrom('StringEqualsIgnoreCase', 'Escalations@example.com')).allowed).toBe(true);
    expect(decide(sendFrom('StringLike', '*@example.com')).allowed).toBe(true);
    expect(decide(sendFrom('StringLike', '*@example.org')).allowed).toBe(false);
    expect(decide([allow('ses:SendEmail', IDENTITY, { StringEquals: { 'SES:FROMADDRESS': 'escalations@example.com' } })]).allowed).toBe(true);
  });

  it('every operator and every key must hold', () => {
    const both = (recipients: string) => [allow('ses:SendEmail', IDENTITY, { StringEquals: { 'ses:FromAddress': 'escalations@example.com' }, 'ForAllValues:StringLike': { 'ses:Recipients': recipients } })];
    expect(decide(both('*@acme.test')).allowed).toBe(true);
    expect(decide(both('a@*')).allowed).toBe(false);
  });

  it('treats a key the request lacks as AWS does: false, but true for ...IfExists, negated operators and ForAllValues', () => {
    const absent = { ...SES_CONTEXT, 'ses:FromAddress': undefined };
    expect(decide(sendFrom('StringEquals', 'escalations@example.com'), absent).allowed).toBe(false);
    expect(decide(sendFrom('StringEqualsIfExists', 'escalations@example.com'), absent).allowed).toBe(true);
    expect(decide(sendFrom('StringNotEquals', 'someone@example.com'), absent).allowed).toBe(true);
    expect(decide([allow('ses:SendEmail', IDENTITY, { 'ForAllValues:StringLike': { 'ses:FromDisplayName': 'x' } })]).allowed).toBe(true);
    expect(decide([allow('ses:SendEmail', IDENTITY, { 'ForAnyValue:StringLike': { 'ses:FromDisplayName': 'x' } })]).allowed).toBe(false);
    expect(decide([allow('ses:SendEmail', IDENTITY, { Null: { 'ses:FromDisplayName': 'true' } })]).allowed).toBe(true);
  });

  it('takes several values of a key with ForAnyValue or ForAllValues', () => {
    const recipients = (operator: string, value: string) => [allow('ses:SendEmail', IDENTITY, { [operator]: { 'ses:Recipients': value } })];
    expect(decide(recipients('ForAnyValue:StringEquals', 'b@acme.test')).allowed).toBe(true);
    expect(decide(recipients('ForAllValues:StringEquals', 'b@acme.test')).allowed).toBe(false);
    expect(decide(recipients('ForAllValues:StringLike', '*@acme.test')).allowed).toBe(true);
  });

  it.each([
    ['an operator it does not implement', { NumericLessThan: { 'ses:FromAddress': '3' } }, 'the condition operator NumericLessThan is not implemented'],
    ['a key it does not fill in', { StringEquals: { 'aws:SourceVpce': 'vpce-1' } }, 'the condition key aws:SourceVpce is not one the local IAM check fills in'],
    ['a policy variable', { StringEquals: { 'ses:FromAddress': '${aws:username}@example.com' } }, 'uses a policy variable'],
    ['a single-valued operator on a key with several values', { StringEquals: { 'ses:Recipients': 'a@acme.test' } }, 'needs ForAnyValue: or ForAllValues:'],
  ])('refuses to guess on %s: it denies, saying why', (_, Condition, message) => {
    const decision = decide([allow('ses:SendEmail', IDENTITY, Condition)]);
    expect(decision.allowed).toBe(false);
    expect(decision.allowed === false && decision.reason).toContain(message);
  });

  it('a Deny it cannot evaluate refuses even when an Allow applies; an Allow it cannot evaluate does not matter when another allows', () => {
    const unknownDeny = [allow('ses:SendEmail', '*'), deny('ses:SendEmail', '*', { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } })];
    const refused = decide(unknownDeny);
    expect(refused).toMatchObject({ allowed: false, explicit: true });
    expect(refused.allowed === false && refused.reason).toContain('DateLessThan');
    expect(decide([allow('ses:SendEmail', IDENTITY, { DateLessThan: { 'aws:CurrentTime': 'x' } }), allow('ses:SendEmail', IDENTITY)]).allowed).toBe(true);
  });

  it('an explicit Deny with a condition that holds wins; one whose condition fails does not', () => {
    const statements = (from: string) => [allow('ses:*', '*'), deny('ses:SendEmail', '*', { StringNotEquals: { 'ses:FromAddress': from } })];
    expect(decide(statements('escalations@example.com')).allowed).toBe(true);
    expect(decide(statements('other@example.com'))).toMatchObject({ allowed: false, explicit: true });
  });
});
