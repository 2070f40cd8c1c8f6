import { domainEventsOf, subscribedTo, type RecordedEvent } from '../domain/domain-events';
import { isDue } from '../domain/email-delivery';
import { afterFailedDelivery, delivered, DELIVERY_TIMEOUT_MS, type DeliveryAttempt } from '../domain/webhook-delivery';
import { formatSecret, signDelivery, SECRET_BYTES } from '../domain/webhook-signature';
import { checkTargetUrl, WebhookTargetRefusedError } from '../domain/webhook-targets';
import type { ClaimedDelivery, DeliveryOutcome, WebhookSubscription } from '../ports/webhooks';
import { EVENT_SCHEMAS, type PublishedEvent } from '../schemas/events';
import type { RegisterWebhookInput } from '../schemas/webhooks';
import { forEachConcurrently } from '../support/concurrently';
import { NotFoundError, WebhookTargetError } from './errors';
import { reportUnreadable } from './outbox';
import type { Dependencies } from '../ports/dependencies';

// Domain events leave the product two ways, both from the table's stream (the outbox consumer,
// handlers/queued-emails.ts): onto the stack's EventBridge bus, and to every webhook that
// subscribed to their type. A webhook delivery is owed like an email (usecases/outbox.ts): one
// item per event and webhook, written claimed by the consumer that then posts it; one the
// receiver did not take is tried again with backoff (the first retries by the same consumer,
// later ones by the every-minute sweep) for at least 24 hours, then given up, the webhook
// disabled and alarmed. The bus is put to directly, and an
// event it refused becomes a delivery owed to the bus (EVENT_BUS_TARGET), tried again by the
// same sweep on the same terms: an EventBridge outage delays events, it does not lose them.
// docs/guarantees.md states the promise.

/** The target of events owed to the stack's event bus: not a webhook id (those are UUIDs), so never one. */
export const EVENT_BUS_TARGET = 'event-bus';

/** How long a rotated-out secret keeps signing beside the new one: receivers switch within it. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

/** Deliveries posted side by side: receivers are slow more often than they are many. */
const CONCURRENCY = 16;
/**
 * How long after the stream brought an event its first retries may still be made by the same
 * invocation. The sweep runs once a minute, so a receiver that blinked would wait up to ~70 s
 * for the first retry (10 s of backoff, then the next sweep); waiting inside the invocation for
 * a retry due within this budget makes it 5 to 10 s. The budget bounds what a down receiver
 * costs the stream consumer (and the emails in its batch): at most this long, plus one
 * attempt's timeout.
 */
export const FIRST_RETRIES_WITHIN_MS = 15_000;
/** Most deliveries one sweep tries, inside its function's timeout; the rest wait for the next one. */
export const MAX_DELIVERIES_PER_SWEEP = 300;

const newSecret = (deps: Dependencies) => formatSecret(deps.randomBytes(SECRET_BYTES));

/** The view the API gives of a webhook: never its secrets. */
export function webhookView(subscription: WebhookSubscription) {
  const { secrets, ...rest } = subscription;
  const previous = secrets[1];
  return { ...rest, ...(previous?.validUntil && { previousSecretValidUntil: previous.validUntil }) };
}

/** Registers a URL for the given event types; the answer carries the secret, the only time it is shown. */
export async function registerWebhook(deps: Dependencies, input: RegisterWebhookInput, principal: string) {
  try {
    checkTargetUrl(input.url, deps.webhookTargets);
  } catch (error) {
    if (error instanceof WebhookTargetRefusedError) throw new WebhookTargetError(error.message, { cause: error });
    throw error;
  }
  const secret = newSecret(deps);
  const subscription: WebhookSubscription = {
    id: deps.newId(),
    url: input.url,
    events: input.events,
    ...(input.description && { description: input.description }),
    status: 'active',
    createdAt: deps.now().toISOString(),
    createdBy: principal,
    secrets: [{ secret }],
  };
  await deps.webhooks.register(subscription);
  deps.metrics.record('WebhooksRegistered', 1, 'Count');
  return { ...webhookView(subscription), secret };
}

export async function getWebhook(deps: Dependencies, id: string): Promise<WebhookSubscription> {
  const subscription = await deps.webhooks.get(id);
  if (!subscription) throw new NotFoundError(`no webhook ${id}`);
  return subscription;
}

/** A new secret signs from now on; the old one keeps signing beside it for SECRET_OVERLAP_MS. */
export async function rotateWebhookSecret(deps: Dependencies, id: string) {
  const subscription = await getWebhook(deps, id);
  const now = deps.now();
  const secret = newSecret(deps);
  const previousValidUntil = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
  await deps.webhooks.replaceSecrets(id, [{ secret }, { secret: subscription.secrets[0]!.secret, validUntil: previousValidUntil }], subscription.secrets[0]!.secret);
  return { id, secret, previousSecretValidUntil: previousValidUntil };
}

/** A disabled webhook (its deliveries were given up) takes events again from now on; what was given up stays given up. */
export async function enableWebhook(deps: Dependencies, id: string) {
  await getWebhook(deps, id);
  await deps.webhooks.enable(id);
  return webhookView(await getWebhook(deps, id));
}

export async function listDeliveries(deps: Dependencies, id: string, page: { limit: number; cursor?: string }) {
  await getWebhook(deps, id);
  const result = await deps.webhooks.deliveries(id, page);
  return {
    // A sending delivery's lease is the sweep's bookkeeping, not part of what the API shows.
    items: result.items.map(({ body: _body, webhookId: _webhook, key: _key, leaseUntil: _lease, ...delivery }) => delivery),
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
  };
}

/** The domain events of timeline entries the stream delivered, each checked against its published schema. */
export function eventsOf(recorded: RecordedEvent[]): PublishedEvent[] {
  return recorded.flatMap(domainEventsOf).map((event) => EVENT_SCHEMAS[event.type].parse(event) as PublishedEvent);
}

/** Where an owed delivery goes: a registered webhook (undefined when it no longer exists), or the stack's event bus. */
type Target = { bus: true } | { bus: false; subscription: WebhookSubscription | undefined };

const owedDelivery = (target: string, event: PublishedEvent, queuedAt: string) => ({
  webhookId: target,
  key: `${event.timestamp}#${event.id}`,
  eventId: event.id,
  eventType: event.type,
  body: JSON.stringify(event),
  queuedAt,
});

/**
 * From the table's stream: the new timeline entries' events go on the bus, and each webhook
 * that wants one is owed a delivery, posted at once. An event the bus refused (or all of them,
 * when the call failed) is owed to the bus, like a delivery the receiver did not take. Only a
 * failure to queue throws (the batch is retried: events are put at least once, deliveries queued once).
 */
export async function publishEvents(deps: Dependencies, recorded: RecordedEvent[]) {
  const events = eventsOf(recorded);
  if (events.length === 0) return { events: 0, deliveries: 0 };
  const refused = await putOnBus(deps, events);
  const subscribers = (await deps.webhooks.list()).filter((subscription) => subscription.status === 'active');
  const now = deps.now();
  const queuedAt = now.toISOString();
  const owed = [
    ...events.flatMap((event) => subscribers.filter((subscription) => subscribedTo(subscription.events, event.type)).map((subscription) => owedDelivery(subscription.id, event, queuedAt))),
    ...refused.map(({ event }) => owedDelivery(EVENT_BUS_TARGET, event, queuedAt)),
  ];
  if (owed.length === 0) return { events: events.length, deliveries: 0 };
  const claimed = await deps.webhooks.queueDeliveries(owed, deps.newId(), new Date(now.getTime() + deps.delivery.claimLeaseMs));
  const byId = new Map(subscribers.map((subscription) => [subscription.id, subscription]));
  const whyRefused = new Map(refused.map(({ event, reason }) => [event.id, reason]));
  const retriesUntil = now.getTime() + FIRST_RETRIES_WITHIN_MS;
  await forEachConcurrently(claimed, CONCURRENCY, async (delivery) => {
    // The bus just refused it: record that attempt and leave it to the sweep, after the backoff.
    if (delivery.webhookId === EVENT_BUS_TARGET) return void (await settleFailure(deps, delivery, { bus: true }, { permanent: false, reason: whyRefused.get(delivery.eventId)! }, { at: queuedAt, durationMs: 0, outcome: whyRefused.get(delivery.eventId)! }));
    await attemptWithFirstRetries(deps, delivery, { bus: false, subscription: byId.get(delivery.webhookId) }, retriesUntil);
  });
  return { events: events.length, deliveries: claimed.length, ...(refused.length && { refusedByBus: refused.length }) };
}

/** Puts the events on the bus; answers those it refused, with why (every one, when the call itself failed). */
async function putOnBus(deps: Dependencies, events: PublishedEvent[]): Promise<{ event: PublishedEvent; reason: string }[]> {
  let refused: { event: PublishedEvent; reason: string }[];
  try {
    refused = (await deps.events.publish(events)).refused as { event: PublishedEvent; reason: string }[];
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    refused = events.map((event) => ({ event, reason }));
  }
  deps.metrics.record('EventsPublished', events.length - refused.length, 'Count');
  if (refused.length) deps.log.warn('the event bus refused events: owed to it, the sweep puts them again', { refused: refused.length, reason: refused[0]!.reason });
  return refused;
}

/** The secrets that sign now: the current one, and a rotated-out one within its overlap. */
function secretsInForce(subscription: WebhookSubscription, now: Date): string[] {
  return subscription.secrets.filter((entry) => entry.validUntil === undefined || Date.parse(entry.validUntil) > now.getTime()).map((entry) => entry.secret);
}

export type AttemptOutcome = DeliveryOutcome['status'] | 'lost-claim';

/** What became of an attempt, and when the next one is due if it is owed again. */
interface Settled {
  outcome: AttemptOutcome;
  retryAt?: string;
}

/**
 * A delivery's first attempt, and the retries that fall due before `retriesUntil`, waited for
 * here (FIRST_RETRIES_WITHIN_MS). Each retry claims the delivery again on the same terms as the
 * sweep, so the two never post it side by side; what is still owed after is the sweep's.
 */
async function attemptWithFirstRetries(deps: Dependencies, delivery: ClaimedDelivery, target: Target, retriesUntil: number): Promise<void> {
  let settled = await attempt(deps, delivery, target);
  while (settled.outcome === 'pending' && Date.parse(settled.retryAt!) <= retriesUntil) {
    await deps.waitUntil(new Date(settled.retryAt!));
    const now = deps.now();
    const claimed = await deps.webhooks.claimDelivery(delivery, now, new Date(now.getTime() + deps.delivery.claimLeaseMs));
    if (!claimed) return; // the sweep took it meanwhile
    settled = await attempt(deps, claimed, target);
  }
}

/** Delivers one claimed delivery (a signed post to its webhook, or a put on the bus) and settles what happened. Throws only when the table cannot record it. */
async function attempt(deps: Dependencies, delivery: ClaimedDelivery, target: Target): Promise<Settled> {
  const now = deps.now();
  if (!target.bus && target.subscription?.status !== 'active') {
    const reason = target.subscription ? `the webhook is disabled: ${target.subscription.disabledReason ?? 'by hand'}` : 'the webhook no longer exists';
    return settle(deps, delivery, { status: 'failed', reason }, now);
  }
  const started = Date.now();
  let answer: { status: number; body: string } | undefined;
  let failure: { permanent: boolean; reason: string } | undefined;
  try {
    if (target.bus) {
      const [refused] = (await deps.events.publish([JSON.parse(delivery.body) as PublishedEvent])).refused;
      if (refused) failure = { permanent: false, reason: refused.reason };
      else answer = { status: 200, body: 'put on the event bus' };
    } else {
      const subscription = target.subscription!;
      const headers = { 'content-type': 'application/json', 'user-agent': 'escalation-api-webhooks/1', ...signDelivery(delivery.eventId, deps.wallClock(), delivery.body, secretsInForce(subscription, now)) };
      answer = await deps.webhookSender.post({ url: subscription.url, headers, body: delivery.body, timeoutMs: DELIVERY_TIMEOUT_MS });
    }
  } catch (error) {
    // An address we may not connect to stays refused; anything else (refused, reset, timed out) may pass later.
    failure = { permanent: error instanceof WebhookTargetRefusedError, reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
  const at = deps.now();
  const record: DeliveryAttempt = {
    at: now.toISOString(),
    ...(answer && !target.bus && { status: answer.status }),
    durationMs: Date.now() - started,
    outcome: answer ? answer.body.slice(0, 200) : failure!.reason.slice(0, 500),
  };
  if (target.bus) {
    if (answer) {
      deps.metrics.record('EventsPublished', 1, 'Count');
      return settle(deps, delivery, { status: 'delivered', attempt: record }, at);
    }
    return settleFailure(deps, delivery, target, failure!, record);
  }
  deps.metrics.record('WebhookDeliveryLag', Math.max(0, at.getTime() - Date.parse(delivery.key.split('#')[0]!)), 'Milliseconds');
  if (answer && delivered(answer.status)) {
    deps.metrics.record('WebhooksDelivered', 1, 'Count');
    return settle(deps, delivery, { status: 'delivered', attempt: record }, at);
  }
  deps.metrics.record('WebhookAttemptsFailed', 1, 'Count');
  return settleFailure(deps, delivery, target, failure ?? { permanent: false, reason: `the receiver answered ${answer!.status}` }, record);
}

/** A failed attempt: tried again after the backoff, or, past the retry window, given up (a webhook is then disabled; either is alarmed). */
async function settleFailure(deps: Dependencies, delivery: ClaimedDelivery, target: Target, failure: { permanent: boolean; reason: string }, record: DeliveryAttempt): Promise<Settled> {
  const at = deps.now();
  const next = afterFailedDelivery({ queuedAt: delivery.queuedAt, attempts: delivery.attempts }, at, failure, deps.random());
  if ('retryAt' in next) return { ...(await settle(deps, delivery, { status: 'pending', attempt: record, retryAt: next.retryAt }, at)), retryAt: next.retryAt };
  const settled = await settle(deps, delivery, { status: 'failed', attempt: record, reason: next.giveUp }, at);
  if (settled.outcome !== 'failed') return settled;
  if (target.bus) {
    // The owed-delivery age alarm has been firing for most of a day by now; this line names the event.
    deps.metrics.record('EventsAbandoned', 1, 'Count');
    deps.log.error('event given up: the event bus refused it for the whole retry window', { eventId: delivery.eventId, eventType: delivery.eventType, reason: next.giveUp });
  } else if (target.subscription) {
    // One series, alarmed; which webhook and why is on the webhook itself (GET /webhooks/{id}) and in this log line.
    await deps.webhooks.disable(target.subscription.id, `a delivery was given up: ${next.giveUp}`.slice(0, 1000), at);
    deps.metrics.record('WebhooksDisabled', 1, 'Count');
    deps.log.error('webhook disabled: a delivery was given up', { webhookId: target.subscription.id, eventId: delivery.eventId, reason: next.giveUp });
  }
  return settled;
}

async function settle(deps: Dependencies, delivery: ClaimedDelivery, outcome: DeliveryOutcome, at: Date): Promise<Settled> {
  if (await deps.webhooks.settleDelivery(delivery, outcome, at)) return { outcome: outcome.status };
  deps.log.warn('webhook delivery settled after its claim had been taken over: the receiver may get it twice', { webhookId: delivery.webhookId, eventId: delivery.eventId });
  return { outcome: 'lost-claim' };
}

/** Every minute (with the owed emails): every owed delivery that is due is posted again; the count and the oldest one's age are published. */
export async function resendOwedDeliveries(deps: Dependencies) {
  const now = deps.now();
  const lease = deps.delivery.claimLeaseMs;
  const { owed, oldestQueuedAt, candidates, unreadable } = await deps.webhooks.owedDeliveries(now);
  reportUnreadable(deps, 'owed webhook delivery', unreadable);
  const due = candidates.filter((delivery) => isDue(delivery, now, lease)).slice(0, MAX_DELIVERIES_PER_SWEEP);
  deps.metrics.record('OwedWebhookDeliveries', owed, 'Count');
  deps.metrics.record('OldestOwedWebhookDeliveryAge', oldestQueuedAt ? Math.round(Math.max(0, now.getTime() - Date.parse(oldestQueuedAt)) / 1000) : 0, 'Seconds');
  const outcomes: Record<AttemptOutcome | 'not-due', number> = { delivered: 0, pending: 0, failed: 0, 'lost-claim': 0, 'not-due': 0 };
  const subscriptions = new Map<string, Promise<WebhookSubscription | undefined>>();
  await forEachConcurrently(due, CONCURRENCY, async (ref) => {
    const claimed = await deps.webhooks.claimDelivery(ref, deps.now(), new Date(deps.now().getTime() + lease));
    if (!claimed) return void outcomes['not-due']++;
    if (ref.webhookId === EVENT_BUS_TARGET) return void outcomes[(await attempt(deps, claimed, { bus: true })).outcome]++;
    if (!subscriptions.has(ref.webhookId)) subscriptions.set(ref.webhookId, deps.webhooks.get(ref.webhookId));
    outcomes[(await attempt(deps, claimed, { bus: false, subscription: await subscriptions.get(ref.webhookId) })).outcome]++;
  });
  return { owed, tried: due.length, unreadable: unreadable.length, ...outcomes };
}
