import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { caseWriteOf, queuedEmailOf } from '../../functions/adapters/stored-changes';
import { caseKey, eventKey, idempotencyKey, outboxKey } from '../../functions/adapters/table-design';
import type { Escalation } from '../../functions/domain/escalation';
import { followCaseWrites } from '../../functions/usecases/case-changes';
import type { Dependencies } from '../../functions/ports/dependencies';
import { open } from './fixtures';

// What follows a stored write: which stream records each consumer takes, and what case-workflows
// does with a case write. The stream itself is exercised against DynamoDB Local in
// tests/integration/table-stream.test.ts and through the whole stack in tests/workflow.

const record = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', keys: { pk: string; sk: string }, images: { old?: object; new?: object } = {}): DynamoDBRecord => ({
  eventName,
  dynamodb: {
    Keys: marshall(keys) as never,
    ...(images.new && { NewImage: marshall({ ...images.new, ...keys }, { removeUndefinedValues: true }) as never }),
    ...(images.old && { OldImage: marshall({ ...images.old, ...keys }, { removeUndefinedValues: true }) as never }),
  },
});

describe('which stream records each consumer follows', () => {
  const escalation = open();
  const key = caseKey(escalation.id);

  it('case-workflows takes a created or changed case, with the version it replaced', () => {
    const changed = { ...escalation, version: 2, generation: 2 };
    expect(caseWriteOf(record('INSERT', key, { new: escalation }))).toEqual({ after: escalation });
    expect(caseWriteOf(record('MODIFY', key, { old: escalation, new: changed }))).toEqual({ before: escalation, after: changed });
  });

  it('queued-emails takes a newly queued email, by its keys', () => {
    expect(queuedEmailOf(record('INSERT', outboxKey(escalation.id, 'n-1'), { new: { status: 'pending' } }))).toEqual({ caseId: escalation.id, id: 'n-1' });
  });

  it('neither takes timeline events, settled emails, idempotency records or deletions', () => {
    const others = [
      record('INSERT', eventKey(escalation.id, '0000000001#000'), { new: { type: 'created' } }),
      record('MODIFY', outboxKey(escalation.id, 'n-1'), { old: { status: 'pending' }, new: { status: 'sent' } }),
      record('INSERT', idempotencyKey('someone', 'key-1'), { new: { caseId: escalation.id } }),
      record('REMOVE', key, { old: escalation }),
    ];
    for (const other of others) {
      expect(caseWriteOf(other)).toBeUndefined();
      expect(queuedEmailOf(other)).toBeUndefined();
    }
    expect(queuedEmailOf(record('INSERT', key, { new: escalation }))).toBeUndefined();
    expect(caseWriteOf(record('INSERT', outboxKey(escalation.id, 'n-1'), { new: { status: 'pending' } }))).toBeUndefined();
  });
});

describe('case-workflows', () => {
  function recordingWorkflow(failFor: string[] = []) {
    const calls: string[] = [];
    const workflow: Dependencies['workflow'] = {
      start: async (caseId, generation) => {
        await new Promise((resolve) => setTimeout(resolve, caseId === 'slow' ? 20 : 0));
        if (failFor.includes(caseId)) throw new Error(`cannot start ${caseId}`);
        calls.push(`start ${caseId}-g${generation}`);
      },
      stop: async (caseId, generation, reason) => void calls.push(`stop ${caseId}-g${generation} (${reason})`),
      runningExecutions: async function* () {},
      describe: async () => undefined,
    };
    const metrics: string[] = [];
    const learnt: string[] = [];
    const repository = { rememberContacts: async (escalation: Escalation, contacts: Escalation['customer']['contacts']) => void learnt.push(`${escalation.customer.accountId}: ${contacts.map((c) => c.email).join(', ')}`) };
    const deps = { workflow, repository, metrics: { record: (name: string) => void metrics.push(name) } } as unknown as Dependencies;
    return { deps, calls, metrics, learnt };
  }
  const as = (id: string, changes: Partial<Escalation> = {}): Escalation => ({ ...open(), id, ...changes });

  it('starts a new case, starts a new generation and stops the one it replaces, stops a finished case, and leaves other writes alone', async () => {
    const { deps, calls } = recordingWorkflow();
    const created = as('a');
    await followCaseWrites(deps, [
      { after: created },
      { before: created, after: { ...created, version: 2, generation: 2 } },
      { before: { ...created, version: 2, generation: 2 }, after: { ...created, version: 3, generation: 2, status: 'acknowledged' } },
      { before: { ...created, version: 3, generation: 2, status: 'resolved' }, after: { ...created, version: 4, generation: 2, status: 'closed' } },
    ]);
    expect(calls).toEqual(['start a-g1', 'start a-g2', 'stop a-g1 (superseded by generation 2)', 'stop a-g2 (escalation closed)']);
  });

  it("follows each case's writes in order, and cases side by side", async () => {
    const { deps, calls } = recordingWorkflow();
    const slow = as('slow');
    await followCaseWrites(deps, [{ after: slow }, { after: as('fast') }, { before: slow, after: { ...slow, generation: 2 } }]);
    expect(calls.indexOf('start fast-g1')).toBeLessThan(calls.indexOf('start slow-g1'));
    expect(calls.filter((call) => call.includes('slow'))).toEqual(['start slow-g1', 'start slow-g2', 'stop slow-g1 (superseded by generation 2)']);
  });

  it('the contact directory learns every contact of a new case, then only the contacts a change adds', async () => {
    const { deps, learnt } = recordingWorkflow();
    const created = as('a', { customer: { ...open().customer, accountId: 'acme', contacts: [{ email: 'cto@acme.test' }, { email: 'ops@acme.test' }] } });
    const added = { ...created, version: 2, customer: { ...created.customer, contacts: [{ email: 'CTO@acme.test' }, { email: 'new@acme.test' }] } };
    await followCaseWrites(deps, [{ after: created }, { before: created, after: added }, { before: added, after: { ...added, version: 3, status: 'acknowledged' } }]);
    expect(learnt).toEqual(['acme: cto@acme.test, ops@acme.test', 'acme: new@acme.test']);
  });

  it('a start that fails is counted and fails the batch, after the other cases were followed', async () => {
    const { deps, calls, metrics } = recordingWorkflow(['b']);
    await expect(followCaseWrites(deps, [{ after: as('b') }, { after: as('c') }])).rejects.toThrow('cannot start b');
    expect(calls).toEqual(['start c-g1']);
    expect(metrics).toEqual(['WorkflowStartFailures']);
  });
});
