import * as z from 'zod';
import type { AwsClient, AwsService } from '../functions/adapters/aws-clients';
import { awsJson, interpose, jsonBody, operationOf, type HttpRequest } from './aws-wire';
import { currentInvocation, newCrash, type Crash } from './invocation';

/**
 * The local stack's fault switch (`npm start -- --faults`, and the fault tests): breaks
 * SES, throttles DynamoDB and kills tasks mid-way, on purpose, so every guarantee in
 * docs/guarantees.md can be watched holding. Faults are injected where AWS would produce
 * them: as the HTTP answers AWS gives (so the SDK's own retries run as they would), and as a
 * Lambda dying after its first effect. Never deployed: nothing in functions/ or lib/ knows it.
 */
export const FaultSettings = z.strictObject({
  /** unavailable: 503 on every send; throttled: 429 TooManyRequests; paused: the account's sending is paused (400). */
  ses: z.enum(['ok', 'unavailable', 'throttled', 'paused']).default('ok'),
  /** unavailable: 503 on every PutEvents; throttled: the call answers 200 with every entry failed (ThrottlingException), as EventBridge does. */
  eventbridge: z.enum(['ok', 'unavailable', 'throttled']).default('ok'),
  /** Share of DynamoDB calls (made by handlers) answered as throttled. */
  dynamodbThrottleRate: z.number().min(0).max(1).default(0),
  /** Share of workflow-task and email-sender invocations that die after their first effect, as a Lambda timeout would. */
  taskCrashRate: z.number().min(0).max(1).default(0),
});
export type FaultSettings = z.output<typeof FaultSettings>;

/**
 * Functions that may crash, and after which effect: the deadline task after its write (the
 * action is stored, the task never answers); the email senders after SES accepted a message
 * and before the settle write (the window in which an email can go twice).
 */
const CRASH_POINTS: Record<string, { service: AwsService; operation: string }> = {
  'act-on-deadline': { service: 'dynamodb', operation: 'TransactWriteItems' },
  'queued-emails': { service: 'sesv2', operation: 'SendEmail' },
  'resend-owed-emails': { service: 'sesv2', operation: 'SendEmail' },
};

export interface FaultCounters {
  sesRefused: number;
  /** PutEvents calls refused whole or with every entry failed. */
  eventsRefused: number;
  dynamodbThrottled: number;
  tasksCrashed: number;
  /** Crashes after SES accepted an email: each may send that email once more after the lease. */
  crashedAfterSesAccepted: number;
}

export class FaultSwitch {
  private current: FaultSettings = FaultSettings.parse({});
  readonly counters: FaultCounters = { sesRefused: 0, eventsRefused: 0, dynamodbThrottled: 0, tasksCrashed: 0, crashedAfterSesAccepted: 0 };

  constructor(private readonly random: () => number = Math.random) {}

  get settings(): FaultSettings {
    return { ...this.current };
  }

  /** PUT semantics: what is not sent goes back to its default (no fault). */
  set(settings: z.input<typeof FaultSettings>): FaultSettings {
    this.current = FaultSettings.parse(settings);
    return this.settings;
  }

  /** A crash for this invocation of `functionName`, drawn at `taskCrashRate`; undefined for most. */
  crashFor(functionName: string): Crash | undefined {
    if (!CRASH_POINTS[functionName] || this.random() >= this.current.taskCrashRate) return undefined;
    return newCrash(functionName);
  }

  /** Puts the switch between a handler's SDK client and the network (functions/adapters/aws-clients.ts calls this). */
  instrument(client: AwsClient, service: AwsService) {
    interpose(client, (inner) => ({
      handle: async (request, options) => {
        const operation = operationOf(service, request);
        const refusal = this.refusal(service, operation, request);
        if (refusal) return { response: refusal };
        const answer = await inner.handle(request, options);
        const invocation = currentInvocation();
        const point = invocation && CRASH_POINTS[invocation.functionName];
        if (invocation?.crash && !invocation.crash.fired && point?.service === service && point.operation === operation && answer.response.statusCode < 300) {
          this.counters.tasksCrashed++;
          if (service === 'sesv2') this.counters.crashedAfterSesAccepted++;
          invocation.crash.fire();
          // The function is gone: nothing after this call runs.
          return new Promise<never>(() => undefined);
        }
        return answer;
      },
    }));
  }

  private refusal(service: AwsService, operation: string, request: HttpRequest) {
    if (service === 'sesv2' && operation === 'SendEmail' && this.current.ses !== 'ok') {
      this.counters.sesRefused++;
      return SES_REFUSALS[this.current.ses];
    }
    if (service === 'events' && operation === 'PutEvents' && this.current.eventbridge !== 'ok') {
      this.counters.eventsRefused++;
      if (this.current.eventbridge === 'unavailable') return awsJson(503, 'application/x-amz-json-1.1', { __type: 'ServiceUnavailable', message: 'Service Unavailable (local fault switch)' });
      const entries = (jsonBody(request).Entries as unknown[] | undefined) ?? [];
      return awsJson(200, 'application/x-amz-json-1.1', {
        FailedEntryCount: entries.length,
        Entries: entries.map(() => ({ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded (local fault switch)' })),
      });
    }
    if (service === 'dynamodb' && this.current.dynamodbThrottleRate > 0 && this.random() < this.current.dynamodbThrottleRate) {
      this.counters.dynamodbThrottled++;
      // A transaction is cancelled item by item (ThrottlingError), as DynamoDB does; other calls are refused whole.
      if (operation === 'TransactWriteItems' && this.random() < 0.5) return transactionThrottled(request);
      return awsJson(400, 'application/x-amz-json-1.0', {
        __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
        message: 'Throughput exceeds the current capacity of your table or index. (local fault switch)',
      });
    }
    return undefined;
  }
}

type Refusal = ReturnType<typeof awsJson>;

const SES_REFUSALS: Record<Exclude<FaultSettings['ses'], 'ok'>, Refusal> = {
  unavailable: awsJson(503, 'application/json', { message: 'Service Unavailable (local fault switch)' }, 'ServiceUnavailable'),
  throttled: awsJson(429, 'application/json', { message: 'Maximum sending rate exceeded. (local fault switch)' }, 'TooManyRequestsException'),
  paused: awsJson(400, 'application/json', { message: 'Sending is paused for this account. (local fault switch)' }, 'SendingPausedException'),
};

function transactionThrottled(request: HttpRequest) {
  const items = (jsonBody(request).TransactItems as unknown[] | undefined) ?? [];
  const reasons = items.map((_, i) => (i === 0 ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more global secondary indexes. (local fault switch)' } : { Code: 'None' }));
  return awsJson(400, 'application/x-amz-json-1.0', {
    __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
    Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    CancellationReasons: reasons,
  });
}
