import type { TableAccess } from './handler-function';

/**
 * Handlers that never build the container (functions/adapters/container.ts), so they
 * need neither TABLE_NAME nor any grant. Everything else reads TABLE_NAME at cold start.
 */
export const HANDLERS_WITHOUT_TABLE: ReadonlySet<string> = new Set(['health', 'openapi']);

/** Reads one case (or record) by key, and writes a change: the case, its events and its outbox in one transaction of Puts. */
const READ_AND_WRITE_CASES: TableAccess = { table: ['GetItem', 'PutItem'] };

/** Lists: a Query on one of TABLE_DESIGN's indexes, then the items themselves by key (the indexes copy only the filters). */
const LIST: TableAccess = { table: ['BatchGetItem'], indexes: ['Query'] };

/**
 * Exactly what each function does with the table, in IAM actions: on the table's ARN, and on
 * its indexes' (`<table>/index/*`). Least privilege per function, not per kind of function:
 * tests/infra/exact-grants.test.ts derives each function's calls from its code and holds this
 * to them both ways, and the local stack refuses any call these do not grant.
 */
export const TABLE_ACCESS: Readonly<Record<string, TableAccess>> = {
  // API
  'create-escalation': READ_AND_WRITE_CASES,
  'edit-escalation': READ_AND_WRITE_CASES,
  // A note is only appended to the case's timeline: a transaction of Puts with a ConditionCheck on the case.
  'escalation-action': { table: ['ConditionCheckItem', 'GetItem', 'PutItem'] },
  // Writes linked cases, and lists incidents (by status: the status index, then the incidents by key).
  incidents: { table: ['BatchGetItem', 'GetItem', 'PutItem'], indexes: ['Query'] },
  'record-satisfaction': READ_AND_WRITE_CASES,
  'get-escalation': { table: ['GetItem'] },
  // Registers (a conditional Put), reads one webhook, lists its deliveries (a Query of its partition), rotates or enables it (a conditional Update).
  webhooks: { table: ['GetItem', 'PutItem', 'Query', 'UpdateItem'] },
  // The case, then its events: a Query of the case's own partition.
  'get-timeline': { table: ['GetItem', 'Query'] },
  'list-escalations': LIST,
  // Timeline events by type and month, and the open cases: both lists.
  metrics: LIST,
  // The account's cases (the byAccount index, then the cases by key), its own items (a Query of its partition),
  // and its sponsorship decision (read, then a conditional PutItem); an erasure rewrites items (PutItem, and a
  // transaction for the case) and deletes contact items and idempotency records (DeleteItem).
  accounts: { table: ['BatchGetItem', 'DeleteItem', 'GetItem', 'PutItem', 'Query'], indexes: ['Query'] },
  // Workflow tasks and what re-arms workflows
  'review-deadlines': READ_AND_WRITE_CASES,
  // When a case closes it also gives every item of the case's partition its deletion date: a Query, then an UpdateItem each.
  'act-on-deadline': { table: ['GetItem', 'PutItem', 'Query', 'UpdateItem'] },
  'record-workflow-failure': READ_AND_WRITE_CASES,
  'rearm-workflow': READ_AND_WRITE_CASES,
  // Pages through the open cases (a list), reads and re-arms a case without an execution.
  'reconcile-workflows': { table: ['GetItem', 'BatchGetItem', 'PutItem'], indexes: ['Query'] },
  // Stream consumers and email
  // Everything it needs is in the stream's images (its event source mapping's grant); it writes the contact directory entries of new contacts.
  'case-workflows': { table: ['PutItem'] },
  // Claims an email (a conditional UpdateItem), then settles it with its timeline event (a transaction of an Update and Puts);
  // an email settled after its case closed reads the case (GetItem) for the deletion date of its entry;
  // lists the webhooks (a Query of their partition), writes each delivery an event owes (a conditional Put) and settles it.
  'queued-emails': { table: ['GetItem', 'PutItem', 'Query', 'UpdateItem'] },
  // The same, for the owed emails and deliveries it lists from the owed-email index (and the webhook each is for).
  'resend-owed-emails': { table: ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'], indexes: ['Query'] },
  'email-events': READ_AND_WRITE_CASES,
  // Also claims each inbound message once (a conditional UpdateItem) and looks a sender up in the contact directory (a Query of one address).
  'inbound-email': { table: ['GetItem', 'PutItem', 'Query', 'UpdateItem'] },
};
