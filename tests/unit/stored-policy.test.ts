import { describe, expect, it } from 'vitest';
import { escalationFromItem } from '../../functions/adapters/stored-items';
import { UnreadableStoredItemError } from '../../functions/ports/errors';
import { open } from './fixtures';

// The policy snapshot is read back from the table through a schema: targets keep their unit,
// and a snapshot this version cannot read stops with the case and the key named.

const stored = () => JSON.parse(JSON.stringify(open('medium'))) as Record<string, unknown> & { policy: Record<string, any> };

describe('the stored SLA policy', () => {
  it('reads back exactly what intake wrote, targets with their unit', () => {
    const item = stored();
    const escalation = escalationFromItem({ ...item, pk: 'ESC#esc-1', sk: 'CASE' });
    expect(escalation.policy).toEqual(open('medium').policy);
    expect(escalation.policy!.targets.medium.resolveWithin).toEqual({ amount: 7, unit: 'days' });
    expect(escalation).not.toHaveProperty('pk');
  });

  it('refuses a target stored without its unit, naming the case and the key', () => {
    const item = stored();
    item.policy.targets.medium.resolveWithin = 604_800_000;
    let error: unknown;
    try {
      escalationFromItem({ ...item, pk: 'ESC#esc-1', sk: 'CASE' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnreadableStoredItemError);
    expect((error as Error).message).toContain('ESC#esc-1/CASE');
    expect((error as Error).message).toContain('policy.targets.medium.resolveWithin');
    expect((error as Error).cause).toBeDefined();
  });

  it('refuses an unknown unit and a calendar without its zone', () => {
    const badUnit = stored();
    badUnit.policy.followUp.after = { amount: 1, unit: 'weeks' };
    expect(() => escalationFromItem(badUnit)).toThrow(/policy\.followUp\.after\.unit/);
    const noZone = stored();
    delete noZone.policy.calendars.business.timeZone;
    expect(() => escalationFromItem(noZone)).toThrow(/policy\.calendars\.business\.timeZone/);
  });

  it('refuses a case without a policy, naming the case', () => {
    const { policy: _policy, ...item } = stored();
    expect(() => escalationFromItem(item)).toThrow(UnreadableStoredItemError);
    expect(() => escalationFromItem(item)).toThrow(/is not a case: policy/);
  });
});
