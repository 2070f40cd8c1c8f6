import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// Erasure through the API on the local stack (each call checked against the accounts function's
// IAM policy): whatever the contacts are called, once their account is erased no item of the
// table and no raw message of the mail bucket holds their address, name or phone, their
// workflows are stopped, and the audit record is there.

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

async function everyItem(): Promise<Record<string, unknown>[]> {
  const table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.send(new ScanCommand({ TableName: api.tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Whether any execution of the case is running (the API does not show the generation). */
async function running(caseId: string): Promise<boolean> {
  for await (const name of api.stack.engine.runningExecutions()) if (name.includes(caseId)) return true;
  return false;
}

const word = fc.stringMatching(/^[A-Z][a-z]{3,9}$/);
const contactArb = fc.record({ first: word, last: word, user: fc.stringMatching(/^[a-z]{4,10}$/), domain: fc.stringMatching(/^[a-z]{4,10}$/), phone: fc.integer({ min: 1_000_000, max: 9_999_999 }) });

describe('erasure', () => {
  it('property: after erasure no table item holds any of the account\'s contact strings; workflows stopped; audit record kept', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(contactArb, contactArb, async (a, b) => {
        run++;
        const accountId = `erase-${Date.now()}-${run}`;
        const contacts = [a, b].map((c, i) => ({ email: `${c.user}${i}@${c.domain}.test`, name: `${c.first} ${c.last}`, phone: `+1 555 ${c.phone}` }));
        const customer = { accountId, name: `${a.last} ${b.first} Industries`, contacts };
        const { body: open } = await api.call('POST', '/escalations', escalationRequest({ customer, severity: 'high', triggers: ['cancellation_threat'], title: `Outage for ${contacts[0]!.name}` }), { 'idempotency-key': `${accountId}-open` });
        await api.call('POST', `/escalations/${open.id}/acknowledge`, { owner: 'owner@example.com', message: `Hello ${contacts[0]!.name}` });
        await api.call('POST', `/escalations/${open.id}/notes`, { text: `called ${contacts[1]!.name} at ${contacts[1]!.phone}` });
        // A reply by email: its raw MIME is stored (the bucket, locally a map) and named on the timeline.
        const storedBefore = new Set(api.stack.rawMail.ids());
        const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: api.stack.smtpPort, secure: false, ignoreTLS: true });
        await smtp.sendMail({ from: `"${contacts[0]!.name}" <${contacts[0]!.email}>`, to: api.stack.inboundAddress.replace('@', `+${open.id}@`), subject: `Re: ${open.title}`, text: `Call me on ${contacts[0]!.phone}.` });
        const reply = api.stack.rawMail.ids().filter((id) => !storedBefore.has(id));
        expect(reply).toHaveLength(1);
        expect((await api.stack.rawMail.get(reply[0]!)).toString('utf8')).toContain(contacts[0]!.email);
        const { body: done } = await api.call('POST', '/escalations', escalationRequest({ customer, severity: 'low', triggers: [] }));
        await api.call('POST', `/escalations/${done.id}/acknowledge`, {});
        await api.call('POST', `/escalations/${done.id}/resolve`, { rootCause: 'a', fix: 'b', prevention: `ask ${contacts[0]!.email}` });
        await api.settledMail([open.id, done.id]);
        expect(await running(open.id)).toBe(true);

        const exported = await api.call('GET', `/accounts/${accountId}/export`);
        expect(JSON.stringify(exported.body)).toContain(contacts[0]!.email);

        const erased = await api.call('POST', `/accounts/${accountId}/erase`, { reason: 'the customer asked for erasure' });
        expect(erased.status).toBe(200);
        expect(erased.body).toMatchObject({ by: 'tester@example.com', reason: 'the customer asked for erasure' });
        expect([...erased.body.cases].sort()).toEqual([open.id, done.id].sort());
        await api.stack.caseChanges.drained();
        await waitFor(async () => !(await running(open.id)), { what: 'the erased case\'s workflow to stop' });

        const stored = JSON.stringify(await everyItem()).toLowerCase();
        for (const contact of contacts) {
          for (const personal of [contact.email, contact.name, contact.phone]) expect(stored, `a stored item holds "${personal}"`).not.toContain(personal.toLowerCase());
        }
        expect(stored).not.toContain(customer.name.toLowerCase());
        // The bucket half: the raw message of the reply, which held the contact's address, name and phone, is gone.
        expect(erased.body.rawMailDeleted).toBe(1);
        expect(api.stack.rawMail.ids().filter((id) => reply.includes(id))).toEqual([]);
        // The audit record is stored; the case keeps its figures and refuses changes.
        expect(stored).toContain(`"sk":"erasure#${erased.body.requestedAt}#${erased.body.id}"`.toLowerCase());
        const { body: kept } = await api.call('GET', `/escalations/${done.id}`);
        expect(kept).toMatchObject({ status: 'resolved', erasedAt: expect.any(String), customer: { accountId, contacts: [] } });
        expect((await api.call('POST', `/escalations/${done.id}/notes`, { text: 'more' })).status).toBe(409);
      }),
      { numRuns: 2 },
    );
  }, 240_000);
});
