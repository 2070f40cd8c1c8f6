import { Duration } from 'aws-cdk-lib';

/** How a handler is invoked: by API Gateway or Step Functions (synchronous), fire-and-forget, or by the table's stream. */
export type Invocation = 'sync' | 'async' | 'stream';

export interface FunctionSettings {
  /** MB; Lambda gives CPU in proportion, so memory also buys cold-start and JSON/zod speed. */
  memorySize: number;
  timeout: Duration;
  /**
   * `async`: invoked with InvocationType Event (SES receipt rule, SNS, EventBridge Scheduler).
   * Such a function gets retries and an SQS dead-letter queue, so a failed event is kept.
   * `stream`: the table's stream through an event source mapping; a batch that keeps failing
   * is described in the same kind of queue (its on-failure destination).
   */
  invocation: Invocation;
  why: string;
}

/** HTTP API integrations time out at 30 s; an API Lambda must give up before the gateway does. */
export const API_MAX_TIMEOUT = Duration.seconds(29);

const api = (memorySize: number, seconds: number, why: string): FunctionSettings => ({ memorySize, timeout: Duration.seconds(seconds), invocation: 'sync', why });

/**
 * Memory and timeout, chosen per function (one Lambda per file of functions/handlers).
 * A handler without an entry here cannot be deployed: HandlerFunction refuses it.
 */
export const FUNCTION_SETTINGS: Readonly<Record<string, FunctionSettings>> = {
  // API, reading
  health: api(128, 3, 'answers a constant; the smallest size is plenty'),
  openapi: api(256, 5, 'builds the OpenAPI document from the zod schemas once per container'),
  'get-escalation': api(256, 10, 'one consistent GetItem'),
  'get-timeline': api(256, 10, 'one GetItem and one Query'),
  'list-escalations': api(256, 10, 'one Query on an index, at most 100 items'),
  metrics: api(512, 29, 'pages through a range of timeline events and every open case, then computes the playbook figures'),
  accounts: api(512, 29, 'pages through the account\'s cases (up to 1,000) and its own items, then summarises them'),
  // API, writing: one transaction each (the table's stream starts workflows and sends the emails)
  'create-escalation': api(512, 15, 'one transaction on the user-facing path: memory buys CPU for zod and the SLA calendar'),
  // Writers without If-Match race on one case are retried for up to 20 s (CONTENTION_BUDGET_MS), never refused.
  'edit-escalation': api(512, 25, 'read, transaction, retried with backoff on a version conflict for up to 20 s'),
  'escalation-action': api(512, 25, 'read, transaction, retried with backoff on a version conflict for up to 20 s'),
  incidents: api(512, 29, 'a broadcast writes every linked case in turn: as long as the gateway allows'),
  webhooks: api(256, 10, 'registers a webhook, reads one, its deliveries (one Query) or rotates its secret: one or two calls'),
  'record-satisfaction': api(256, 10, 'verifies an HMAC (key cached per container) and writes one case'),
  // Workflow tasks (Step Functions calls them synchronously and retries them itself)
  'review-deadlines': { memorySize: 256, timeout: Duration.seconds(10), invocation: 'sync', why: 'one read and a pure decision' },
  'act-on-deadline': { memorySize: 512, timeout: Duration.seconds(30), invocation: 'sync', why: 'reads the case, acts on one deadline, writes it with the emails it owes (sent from the stream)' },
  'record-workflow-failure': { memorySize: 256, timeout: Duration.seconds(10), invocation: 'sync', why: 'one read and one write' },
  // Asynchronous
  'reconcile-workflows': {
    memorySize: 512,
    timeout: Duration.minutes(15),
    invocation: 'async',
    why: 'lists running executions once, pages through every open case, asks about the few without one; idempotent, so a retry after a timeout is safe',
  },
  'rearm-workflow': {
    memorySize: 256,
    timeout: Duration.seconds(30),
    invocation: 'async',
    why: 'from the execution-status rule: one read and at most one write per failed, timed-out or stopped execution',
  },
  'resend-owed-emails': {
    memorySize: 512,
    timeout: Duration.seconds(60),
    invocation: 'async',
    why: 'every minute: reads the owed-email index, sends the emails and webhook deliveries due (side by side), settles each',
  },
  'inbound-email': {
    memorySize: 1024,
    timeout: Duration.minutes(1),
    invocation: 'async',
    why: 'parses raw MIME (SES accepts messages up to 40 MB with attachments) held in memory',
  },
  'email-events': { memorySize: 256, timeout: Duration.seconds(30), invocation: 'async', why: 'one lookup and one write per bounce or complaint' },
  'case-workflows': {
    memorySize: 256,
    timeout: Duration.seconds(30),
    invocation: 'stream',
    why: 'from the table stream: a StartExecution (and a StopExecution) per new case or generation, side by side',
  },
  'queued-emails': {
    memorySize: 512,
    timeout: Duration.seconds(60),
    invocation: 'stream',
    why: 'from the table stream: sends each queued email, puts new events on the bus, posts their webhooks (round trips, side by side)',
  },
};

/** An asynchronous invocation that keeps failing is retried this often, then lands in the DLQ. */
export const ASYNC_RETRY_ATTEMPTS = 2;
/** An event Lambda could not even start on (throttling) is dropped to the DLQ after this long. */
export const ASYNC_MAX_EVENT_AGE = Duration.hours(6);
/** SQS keeps a failed event this long (the maximum), for inspection and redrive. */
export const DLQ_RETENTION = Duration.days(14);

export function settingsOf(handler: string): FunctionSettings {
  const settings = FUNCTION_SETTINGS[handler];
  if (!settings) {
    throw new Error(`handler "${handler}" has no entry in FUNCTION_SETTINGS (lib/function-settings.ts): choose its memory, timeout and invocation there`);
  }
  return settings;
}
