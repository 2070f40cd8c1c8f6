import type { Escalation } from '../domain/escalation';

// What the table's stream hands the use cases that follow a write (functions/adapters/
// stored-changes.ts reads the records): a case item as written, and an email queued in the outbox.

/** A case item as written, with the version it replaced (none for a new case). */
export interface CaseWrite {
  before?: Escalation;
  after: Escalation;
}

/** An email to try, by its keys: from the table's stream or from the owed-email index. */
export interface EmailRef {
  caseId: string;
  id: string;
}
