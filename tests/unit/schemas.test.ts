import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { TRIGGERS } from '../../functions/domain/vocabulary';
import { ActionRequests, CreateEscalationRequest, PatchEscalationRequest } from '../../functions/schemas/escalation';
import { validBody } from './fixtures';

type Issue = z.core.$ZodIssue;

/** Parses, expects failure, returns the issues. */
function issues(schema: z.ZodType, value: unknown): Issue[] {
  const result = schema.safeParse(value);
  expect(result.success, `expected ${JSON.stringify(value)} to be rejected`).toBe(false);
  return result.error!.issues;
}

const paths = (list: Issue[]) => list.map((i) => i.path.join('.'));

function withCustomer(changes: Record<string, unknown>) {
  const body = validBody();
  return { ...body, customer: { ...(body.customer as object), ...changes } };
}

function without(key: string) {
  const body = validBody();
  delete body[key];
  return body;
}

describe('CreateEscalationRequest', () => {
  it('accepts a valid body and fills the defaults', () => {
    const parsed = CreateEscalationRequest.parse(validBody());
    expect(parsed.triggers).toEqual([]);
    expect(parsed.executiveInvolved).toBe(false);
    expect(parsed.channel).toBe('api');
    expect(parsed.customer.name).toBe('Acme GmbH');
  });

  it('trims text fields', () => {
    expect(CreateEscalationRequest.parse(validBody({ title: '  Down  ' })).title).toBe('Down');
  });

  it('rejects a missing customer, naming customer', () => {
    expect(paths(issues(CreateEscalationRequest, without('customer')))).toEqual(['customer']);
  });

  it('rejects a missing title and a blank title, naming title', () => {
    expect(paths(issues(CreateEscalationRequest, without('title')))).toEqual(['title']);
    expect(paths(issues(CreateEscalationRequest, validBody({ title: '   ' })))).toEqual(['title']);
  });

  it('rejects a missing severity and an unknown severity, naming severity', () => {
    expect(paths(issues(CreateEscalationRequest, without('severity')))).toEqual(['severity']);
    expect(paths(issues(CreateEscalationRequest, validBody({ severity: 'urgent' })))).toEqual(['severity']);
    expect(paths(issues(CreateEscalationRequest, validBody({ severity: 'HIGH' })))).toEqual(['severity']);
  });

  it.each([
    ['title', 42],
    ['severity', 1],
    ['triggers', 'platform_down'],
    ['executiveInvolved', 'yes'],
    ['channel', 'fax'],
    ['neededBy', 'tomorrow'],
    ['neededBy', '2026-03-05'],
    ['customer', 'acct-42'],
  ])('rejects %s = %j with an issue on that field', (field, value) => {
    expect(paths(issues(CreateEscalationRequest, validBody({ [field]: value })))).toEqual([field]);
  });

  it.each([
    ['arr', '120000'],
    ['arr', -1],
    ['healthScore', 101],
    ['healthScore', 55.5],
    ['segment', 'startup'],
    ['renewalDate', '30/09/2026'],
    ['accountId', ''],
    ['contacts', []],
  ])('rejects customer.%s = %j with an issue on customer.%s', (field, value) => {
    expect(paths(issues(CreateEscalationRequest, withCustomer({ [field]: value })))).toEqual([`customer.${field}`]);
  });

  it('rejects a contact with a bad email, naming customer.contacts.0.email', () => {
    expect(paths(issues(CreateEscalationRequest, withCustomer({ contacts: [{ email: 'not-an-email' }] })))).toEqual(['customer.contacts.0.email']);
  });

  it('rejects an unknown extra key at the top level, naming it', () => {
    const [issue, ...rest] = issues(CreateEscalationRequest, validBody({ priority: 'P1' }));
    expect(rest).toEqual([]);
    expect(issue!.code).toBe('unrecognized_keys');
    expect((issue as { keys: string[] }).keys).toEqual(['priority']);
    expect(issue!.path).toEqual([]);
  });

  it('rejects an unknown extra key inside the customer, under customer', () => {
    const [issue] = issues(CreateEscalationRequest, withCustomer({ tier: 'gold' }));
    expect(issue!.code).toBe('unrecognized_keys');
    expect(issue!.path).toEqual(['customer']);
    expect((issue as { keys: string[] }).keys).toEqual(['tier']);
  });

  it.each(['Mars/Olympus_Mons', 'Berlin', 'UTC+25', 'Europe/Berlinn'])('rejects the time zone %j, naming customer.timezone', (timezone) => {
    expect(paths(issues(CreateEscalationRequest, withCustomer({ timezone })))).toEqual(['customer.timezone']);
  });

  it.each(['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC'])('accepts the time zone %s', (timezone) => {
    expect(CreateEscalationRequest.safeParse(withCustomer({ timezone })).success).toBe(true);
  });

  it('rejects duplicate triggers, naming triggers', () => {
    expect(paths(issues(CreateEscalationRequest, validBody({ triggers: ['platform_down', 'billing_dispute', 'platform_down'] })))).toEqual([
      'triggers',
    ]);
  });

  it('rejects an unknown trigger, naming its index', () => {
    expect(paths(issues(CreateEscalationRequest, validBody({ triggers: ['platform_down', 'alien_invasion'] })))).toEqual(['triggers.1']);
  });

  it('accepts every known trigger once', () => {
    expect(CreateEscalationRequest.parse(validBody({ triggers: TRIGGERS })).triggers).toEqual(TRIGGERS);
  });

  it('accepts neededBy with an offset', () => {
    expect(CreateEscalationRequest.safeParse(validBody({ neededBy: '2026-03-05T09:00:00+01:00' })).success).toBe(true);
  });

  it('reports every bad field, not just the first', () => {
    const found = paths(issues(CreateEscalationRequest, { ...withCustomer({ timezone: 'Nowhere/Land' }), severity: 'urgent', title: '' }));
    expect(found).toEqual(expect.arrayContaining(['customer.timezone', 'severity', 'title']));
  });
});

describe('PatchEscalationRequest', () => {
  it('requires a reason when the severity changes, naming reason', () => {
    expect(paths(issues(PatchEscalationRequest, { severity: 'critical' }))).toEqual(['reason']);
    expect(paths(issues(PatchEscalationRequest, { severity: 'critical', reason: '  ' }))).toEqual(['reason']);
  });

  it('accepts a severity change with a reason', () => {
    expect(PatchEscalationRequest.parse({ severity: 'critical', reason: 'more customers affected' })).toEqual({
      severity: 'critical',
      reason: 'more customers affected',
    });
  });

  it('does not require a reason for other edits', () => {
    expect(PatchEscalationRequest.safeParse({ title: 'New title' }).success).toBe(true);
  });

  it('rejects an empty patch and a reason alone', () => {
    expect(PatchEscalationRequest.safeParse({}).success).toBe(false);
    expect(PatchEscalationRequest.safeParse({ reason: 'because' }).success).toBe(false);
  });

  it('rejects fields that cannot be edited and duplicate triggers', () => {
    expect(issues(PatchEscalationRequest, { status: 'closed' })[0]!.code).toBe('unrecognized_keys');
    expect(paths(issues(PatchEscalationRequest, { triggers: ['data_issue', 'data_issue'] }))).toEqual(['triggers']);
    expect(paths(issues(PatchEscalationRequest, { severity: 'urgent', reason: 'x' }))).toEqual(['severity']);
  });
});

describe('ActionRequests', () => {
  it('requires a reason to escalate, pause and reopen, and the three parts of a resolution', () => {
    expect(paths(issues(ActionRequests.escalate, {}))).toEqual(['reason']);
    expect(paths(issues(ActionRequests.pause, {}))).toEqual(['reason']);
    expect(paths(issues(ActionRequests.reopen, {}))).toEqual(['reason']);
    expect(paths(issues(ActionRequests.resolve, { rootCause: 'x' })).sort()).toEqual(['fix', 'prevention']);
  });

  it('rejects an unknown outcome and extra keys', () => {
    expect(paths(issues(ActionRequests.close, { outcome: 'lost' }))).toEqual(['outcome']);
    expect(issues(ActionRequests.acknowledge, { owner: 'a', urgent: true })[0]!.code).toBe('unrecognized_keys');
  });
});

describe('reportedAt and re-evaluate', () => {
  it('accepts a past reportedAt with any offset and refuses one in the future, naming reportedAt', () => {
    expect(CreateEscalationRequest.parse(validBody({ reportedAt: '2026-03-06T16:00:00+01:00' })).reportedAt).toBe('2026-03-06T16:00:00+01:00');
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(paths(issues(CreateEscalationRequest, validBody({ reportedAt: future })))).toEqual(['reportedAt']);
    expect(paths(issues(CreateEscalationRequest, validBody({ reportedAt: 'last Friday' })))).toEqual(['reportedAt']);
    expect(CreateEscalationRequest.parse(validBody()).reportedAt).toBeUndefined();
  });

  it('re-evaluate needs a reason', () => {
    expect(paths(issues(ActionRequests['re-evaluate'], {}))).toEqual(['reason']);
    expect(ActionRequests['re-evaluate'].parse({ reason: ' new hours ' })).toEqual({ reason: 'new hours' });
  });
});
