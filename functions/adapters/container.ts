import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseConfig, type Config } from '../config';
import { loadPlaybook } from '../playbook/load';
import type { ChatPoster } from '../ports/chat';
import type { Playbook } from '../domain/playbook';
import type { Mailer } from '../ports/mailer';
import type { RawMailEraser, RawMailStore } from '../ports/raw-mail-store';
import type { SurveyLinks } from '../ports/survey';
import type { EventPublisher, WebhookSender } from '../ports/webhooks';
import type { WorkflowEngine } from '../ports/workflow';
import type { Dependencies } from '../ports/dependencies';
import { awsClient, clientOptions } from './aws-clients';
import { dynamoDbRepository } from './dynamodb-repository';
import { DynamoDbWebhookStore } from './dynamodb-webhooks';
import { targetRulesOf } from './https-webhook-sender';
import { EmbeddedMetrics } from './emf-metrics';
import { log } from './logger';
import { sleepUntil } from '../support/retrying';

/**
 * The ports beyond the table a handler uses, each given as the factory of its adapter.
 * A handler names only what it calls, so its bundle holds only those SDK clients (each
 * client adds 20–100 KB and its share of init time) and CDK grants only those calls.
 */
export interface Wiring {
  mailer?: (config: Config) => Mailer;
  workflow?: (config: Config) => WorkflowEngine;
  survey?: (config: Config) => SurveyLinks;
  rawMail?: (config: Config) => RawMailStore;
  rawMailEraser?: (config: Config) => RawMailEraser;
  events?: (config: Config) => EventPublisher;
  webhookSender?: (config: Config) => WebhookSender;
  chat?: (config: Config) => ChatPoster;
}

type LocalOverrides = Partial<Omit<Dependencies, 'repository' | 'webhooks' | 'playbook' | 'delivery' | 'publicApiUrl'>>;

type Base = Omit<Dependencies, keyof Wiring | 'playbook'> & { config: Config; playbook: () => Playbook };

let base: Base | undefined;
let localOverrides: LocalOverrides = {};

/**
 * The local stack swaps in what has no offline AWS endpoint (the workflow engine, the raw
 * mail store, the survey key) and its scaled clock. A swapped port still reaches only a
 * handler that wired it, so a handler missing a port fails locally as it would on AWS.
 */
export function provideLocalAdapters(overrides: LocalOverrides) {
  localOverrides = overrides;
  base = undefined;
}

/**
 * The one place adapters are made: once per Lambda container (or local process), at cold
 * start, so a bad configuration fails before the first request. Every handler gets the
 * table, the playbook, metrics and logs; other ports only as wired.
 */
export function container(wiring: Wiring = {}): Dependencies {
  const { config, playbook, ...shared } = (base ??= baseDependencies());
  const port = <K extends keyof Wiring>(name: K): Dependencies[K] => {
    const factory = wiring[name];
    if (!factory) return unwired(name) as Dependencies[K];
    return (localOverrides[name] as Dependencies[K] | undefined) ?? (factory(config) as Dependencies[K]);
  };
  return {
    ...shared,
    get playbook() {
      return playbook();
    },
    mailer: port('mailer'),
    workflow: port('workflow'),
    survey: port('survey'),
    rawMail: port('rawMail'),
    rawMailEraser: port('rawMailEraser'),
    events: port('events'),
    webhookSender: port('webhookSender'),
    chat: port('chat'),
  };
}

/** What every handler shares; built once per process (the local stack runs every handler in one). */
function baseDependencies(): Base {
  const config = parseConfig(process.env);
  const dynamo = DynamoDBDocumentClient.from(
    awsClient('dynamodb', new DynamoDBClient(clientOptions('dynamodb', config.DYNAMODB_ENDPOINT))),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return {
    config,
    repository: dynamoDbRepository(dynamo, config.TABLE_NAME, { owedEmailGraceMs: config.EMAIL_CLAIM_LEASE_SECONDS * 1000 }),
    webhooks: new DynamoDbWebhookStore(dynamo, config.TABLE_NAME),
    webhookTargets: targetRulesOf(config),
    publicApiUrl: config.PUBLIC_API_URL,
    metrics: localOverrides.metrics ?? new EmbeddedMetrics(),
    log: localOverrides.log ?? log,
    playbook: parsedOnFirstUse(config.PLAYBOOK_PATH),
    delivery: { claimLeaseMs: config.EMAIL_CLAIM_LEASE_SECONDS * 1000 },
    now: localOverrides.now ?? (() => new Date()),
    wallClock: () => new Date(),
    waitUntil: localOverrides.waitUntil ?? ((at) => sleepUntil(at, () => new Date())),
    newId: localOverrides.newId ?? (() => randomUUID()),
    random: localOverrides.random ?? Math.random,
    randomBytes: (count) => randomBytes(count),
    ...(config.INBOUND_ADDRESS && { inboundAddress: config.INBOUND_ADDRESS }),
  };
}

/**
 * The playbook, parsed the first time a rule reads it rather than at cold start: most handlers
 * read a case or a list and never consult it, and the parse builds its schema and checks every
 * calendar's time zone (Intl's zone data is loaded then), which cost more than the rest of a
 * cold start (docs/performance.md). It cannot fail late: CDK parsed the very file with this
 * loader at synth (lib/playbook-bundle.ts) and ships nothing else, and the defaults are tested.
 */
function parsedOnFirstUse(path: string | undefined): () => Playbook {
  let playbook: Playbook | undefined;
  return () => (playbook ??= loadPlaybook(path));
}

/** A port this handler did not wire: any call says so, instead of an undefined property deep in a use case. */
function unwired(name: string): object {
  return new Proxy(
    {},
    {
      get: (_target, property) => {
        // Not a thenable: `await` on the port itself must not call into it.
        if (property === 'then' || typeof property === 'symbol') return undefined;
        return () => {
          throw new Error(`${name}.${property}() called, but this handler was not wired with a ${name} (container() in its handler file)`);
        };
      },
    },
  );
}
