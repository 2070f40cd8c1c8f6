import type { Playbook } from '../domain/playbook';
import type { TargetRules } from '../domain/webhook-targets';
import type { ChatPoster } from './chat';
import type { EscalationRepository } from './escalation-repository';
import type { Log } from './log';
import type { Mailer } from './mailer';
import type { Metrics } from './metrics';
import type { RawMailEraser, RawMailStore } from './raw-mail-store';
import type { SurveyLinks } from './survey';
import type { EventPublisher, WebhookSender, WebhookStore } from './webhooks';
import type { WorkflowEngine } from './workflow';

/**
 * Everything a use case reaches the world and the configuration through: the ports (adapters
 * behind them are chosen by each handler's wiring, functions/adapters/container.ts), the
 * playbook, and the clock and randomness, so a use case is tested with fakes for any of them.
 */
export interface Dependencies {
  repository: EscalationRepository;
  workflow: WorkflowEngine;
  mailer: Mailer;
  metrics: Metrics;
  log: Log;
  survey: SurveyLinks;
  rawMail: RawMailStore;
  /** Removes an erased account's inbound messages. */
  rawMailEraser: RawMailEraser;
  /** Domain events onto the stack's bus (functions/usecases/webhooks.ts). */
  events: EventPublisher;
  /** Registered webhooks and the deliveries owed to them. */
  webhooks: WebhookStore;
  /** Posts webhook deliveries. */
  webhookSender: WebhookSender;
  /** Where a webhook may point (functions/domain/webhook-targets.ts). */
  webhookTargets: TargetRules;
  /** Posts alerts to the chat channels the playbook names (functions/usecases/outbox.ts). */
  chat: ChatPoster;
  /** Where a chat message links to the case when the playbook has no caseLink: the API's base URL. */
  publicApiUrl: string;
  /** Where customer replies arrive; each case gets its own plus-address of it. */
  inboundAddress?: string;
  playbook: Playbook;
  /** How the outbox hands emails out (functions/usecases/outbox.ts). */
  delivery: {
    /** How long a claimer holds an email before others may take it over (on the clock `now` reads). */
    claimLeaseMs: number;
  };
  now: () => Date;
  newId: () => string;
  /**
   * Real time, for what a party outside checks against its own clock: a webhook's signed
   * timestamp (receivers refuse one minutes off). The same as `now` on AWS; locally `now` may
   * run faster (--time-scale) while this does not.
   */
  wallClock: () => Date;
  /** Resolves once `now` reads `at` (at once when it already does): a short wait inside one invocation. */
  waitUntil: (at: Date) => Promise<void>;
  /** In [0, 1): the jitter of every backoff. */
  random: () => number;
  /** Cryptographically random bytes: webhook signing secrets. */
  randomBytes: (count: number) => Uint8Array;
}
