import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { SentMail } from '../support/api';
import { readCases, type CaseRecord } from '../support/stored-cases';
import { waitFor } from '../support/wait-for';

// What every fault test checks once the fault is over: every deadline acted on exactly once,
// every owed email delivered (exactly once, or within the window docs/guarantees.md states),
// and no answer a client could not act on.

/** An hour of case time passes in 3 s: deadlines an hour apart stay apart on a loaded machine. */
export const SCALE = 1200;
export const HOUR_REAL_MS = 3_600_000 / SCALE;

/** Timeline events that record a deadline acted on, with the check each acted on. */
const ACTIONS = new Set(['deadline_breached', 'reminder_sent', 'routed', 'follow_up_sent']);

/** Each check (the same action at the same deadline) acted on once at most, per case. */
export function expectEachDeadlineActedOnOnce(cases: CaseRecord[]) {
  for (const record of cases) {
    const acted = record.events.filter((event) => ACTIONS.has(event.type)).map((event) => `${event.data?.action ?? event.data?.kind ?? event.type}@${event.data?.deadline}`);
    expect(acted.length, `${record.title}: acted on something`).toBeGreaterThan(0);
    expect(new Set(acted).size, `${record.title}: a check acted on twice: ${acted.join(', ')}`).toBe(acted.length);
  }
}

/** The lateness (case-clock ms) of every deadline action, from its timeline event. */
export const lagsOf = (cases: CaseRecord[]) => cases.flatMap((record) => record.events.filter((event) => ACTIONS.has(event.type) && typeof event.data?.lagMs === 'number').map((event) => event.data!.lagMs as number));

/** Waits until every email the cases owe is settled (sent or given up). */
export async function waitForOutboxSettled(client: DynamoDBClient, tableName: string, cases: { id: string; title: string }[], timeoutMs: number) {
  return waitFor(
    async () => {
      const records = await readCases(client, tableName, cases);
      return records.every((record) => record.outbox.every((email) => email.status === 'sent' || email.status === 'failed')) && records;
    },
    { timeoutMs, everyMs: 250, what: 'every owed email to be settled' },
  );
}

/**
 * Every owed email was delivered: each outbox item is sent, and its message is in local SES.
 * Returns the sends beyond one per email (duplicates), for the caller to hold to its window.
 */
export function deliveredEmails(cases: CaseRecord[], sent: SentMail[]): { owed: number; extra: number } {
  let owed = 0;
  let extra = 0;
  for (const record of cases) {
    const ofCase = sent.filter((mail) => mail.subject.includes(record.title));
    const ids = new Set(ofCase.map((mail) => mail.messageId));
    for (const email of record.outbox) {
      owed++;
      expect(email.status, `${record.title}: ${email.template} to ${email.to.join(', ')}`).toBe('sent');
      expect(ids.has(email.messageId!), `${record.title}: ${email.template} (${email.messageId}) is in local SES`).toBe(true);
    }
    extra += ofCase.length - record.outbox.length;
  }
  return { owed, extra };
}
