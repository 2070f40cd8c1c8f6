/**
 * Cost per escalation: one scripted lifecycle on the local stack — intake, acknowledge,
 * three customer updates, resolve, then the workflow's follow-up, recovery-call and
 * health-check reminders and the automatic close — with every billable unit counted:
 *
 *   state transitions   the local engine's event logs (StateEntered + StateRetried), i.e.
 *                       the ASL path actually taken, state by state
 *   Lambda              each handler function wrapped: invocations and in-process duration
 *   DynamoDB            ReturnConsumedCapacity=INDEXES on every call of the handlers'
 *                       client (a middleware), as DynamoDB Local reports it
 *   API Gateway         requests sent; SES: recipients of the mail local SES accepted
 *
 * priced at the list prices in bench/lib/pricing.ts. Steps are spaced in case time the way
 * a diligent owner works (acknowledge before the deadline, each update at 80% of the
 * cadence), so the sleeping workflow wakes up as often as it would in production.
 *
 *   npx tsx bench/cost.ts     (BENCH_COST_PLAYBOOK=<file> to price another playbook, e.g. one with warnings off)
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { container } from '../functions/adapters/container';
import { EmbeddedMetrics } from '../functions/adapters/emf-metrics';
import { issueLocalTokens, loadHandlers, startGateway, type ApiHandler } from '../local/gateway';
import { invokeLocal } from '../local/invocation';
import { apiClient, escalationRequest, PRINCIPAL, ROUND_THE_CLOCK_PLAYBOOK, sleep, startBenchStack, type ApiClient } from './lib/local';
import { findSdkClient, InvocationMeter, SdkMeter, type SdkCall } from './lib/meter';
import { LIFECYCLE_BUDGET_USD, PRICE_REGION, PRICES, PRICES_CHECKED } from './lib/pricing';
import { emitResult, printTable, quietMetrics, say, type Cell } from './lib/report';
import { round, summarize } from './lib/stats';

/** Case time runs 100,000× faster: 48 h pass in 1.7 s and the 30-day follow-up period in 26 s. */
const SCALE = Number(process.env.BENCH_COST_SCALE ?? 100_000);
const HOUR = 3_600_000;
/**
 * Low severity (acknowledge within 48 h, update every 48 h): the widest windows to script in.
 * On the 24x7 calendar of the bench playbook, so the script's timing holds on any weekday.
 */
const SEVERITY = 'low';
const CADENCE = 48 * HOUR;
const LAMBDA_MEMORY_GB = 256 / 1024;

interface RunResult {
  result: Promise<unknown>;
  eventLogs: AsyncGenerator<{ type: string; state?: { name: string; type?: string; input?: { plan?: { wakeAt?: string } } } }>;
}

interface SentMail {
  subject: string;
  destination: { to?: string[]; cc?: string[]; bcc?: string[] };
  body?: { text?: string };
}

async function main() {
  const emf = quietMetrics();
  const invocations = new InvocationMeter();
  const bench = await startBenchStack({ timeScale: SCALE, retryIntervalMs: 50, playbookPath: process.env.BENCH_COST_PLAYBOOK ?? ROUND_THE_CLOCK_PLAYBOOK, wrapTask: (name, handler) => invocations.wrap(name, handler) });
  const stops: (() => Promise<void>)[] = [bench.stop];
  try {
    const { stack, dynamo, tableName } = bench;
    const clock = stack.clock;

    // State transitions: the engine's StateMachine.run hands back an event log per execution.
    const entered = new Map<string, number>();
    let retried = 0;
    let executions = 0;
    // A Wait entered again with the very instant the previous Wait of that execution slept
    // until means the previous one woke early: local/scaled-clock.ts converts case time to
    // real time truncated to the millisecond, which at this scale is minutes of case time.
    // Step Functions never wakes before the timestamp, so these extra loops (the act that
    // finds nothing due yet, RouteToNextCheck, Wait) are counted and taken out of the figure priced below.
    let earlyWakeLoops = 0;
    const machine = (stack.engine as unknown as { machine?: { run?: (...args: unknown[]) => RunResult } }).machine;
    if (!machine?.run) throw new Error('cannot reach the local engine\'s StateMachine (local/workflow-engine.ts changed?): state transitions cannot be counted');
    const run = machine.run.bind(machine);
    machine.run = (...args: unknown[]) => {
      const execution = run(...args);
      executions++;
      void (async () => {
        let lastWakeAt: string | undefined;
        for await (const event of execution.eventLogs) {
          if (event.type === 'StateEntered' && event.state) {
            entered.set(event.state.name, (entered.get(event.state.name) ?? 0) + 1);
            if (event.state.type === 'Wait') {
              const wakeAt = event.state.input?.plan?.wakeAt;
              if (wakeAt !== undefined && wakeAt === lastWakeAt) earlyWakeLoops++;
              lastWakeAt = wakeAt;
            }
          }
          if (event.type === 'StateRetried') retried++;
        }
      })();
      return execution;
    };

    // Lambdas behind the API: the same handler modules, each wrapped, behind a gateway of our own.
    const handlers = await loadHandlers();
    // Each runs as an invocation of its function, as in the local stack: its calls are checked against its role.
    const asInvocation = (name: string, handler: ApiHandler): ApiHandler => (event, context) => invokeLocal(name, handler, event, context);
    const gateway = await startGateway({
      port: 0,
      tokens: issueLocalTokens(bench.token),
      principal: PRINCIPAL,
      handlers: Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, asInvocation(name, invocations.wrap(name, handler))])),
    });
    stops.unshift(gateway.close);
    const client: ApiClient = apiClient(gateway.url, bench.token);
    stops.unshift(async () => client.close());
    const requests: string[] = [];
    const call = async (method: string, path: string, body?: unknown, expected = 200) => {
      requests.push(`${method} ${path.replace(/\/[0-9a-f-]{36}/, '/{id}').replace(/\/csat\/.*/, '/csat/{token}')}`);
      const answer = await client.call(method, path, body);
      if (answer.status !== expected) throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body as Record<string, unknown>;
    };

    const tableMeter = new SdkMeter();
    tableMeter.attach(findSdkClient(container().webhooks) /* the one DynamoDB client every table store shares */);
    // The local stack silences metrics; on Lambda each one is an EMF line in CloudWatch Logs.
    // Format them as the deployed adapter does and count them instead.
    let emfLines = 0;
    let emfBytes = 0;
    const deps = container();
    deps.metrics = new EmbeddedMetrics((line) => {
      emfLines++;
      emfBytes += Buffer.byteLength(line) + 1;
    });

    // Warm the API path (JIT, connections) on a case that is declared out of scope at once,
    // so its workflow ends; then start counting from zero.
    const warm = await call('POST', '/escalations', escalationRequest({ severity: SEVERITY, triggers: [], title: 'warm-up' }), 201);
    await call('POST', `/escalations/${warm.id as string}/out-of-scope`, { reason: 'warm-up', guidance: 'none' });
    await waitFor(async () => stack.engine.runningCount() === 0, Date.now() + 10_000);
    await stack.caseChanges.drained();
    await sleep(200);
    invocations.reset();
    tableMeter.reset();
    entered.clear();
    retried = 0;
    executions = 0;
    earlyWakeLoops = 0;
    requests.length = 0;
    const emfBefore = { count: emf.count() + emfLines, bytes: emf.bytes() + emfBytes };
    // Local SES keeps every message; only those sent from here on belong to the lifecycle.
    const mailSince = Math.ceil(Date.now() / 1000);
    await sleep(mailSince * 1000 - Date.now() + 1);
    const sentMail = async () => ((await (await fetch(`${stack.sesUrl}/store?since=${mailSince}`)).json()) as { emails: SentMail[] }).emails;

    /**
     * Sleeps until the case clock shows `scaledMs`. How late each scripted step completes, in
     * case time, is kept: on an overloaded machine a slow request at ×100,000 is hours of case
     * time, and the workflow may then take a slightly different path (it is reported as run).
     */
    let maxSlipMs = 0;
    let target = 0;
    const until = async (scaledMs: number) => {
      target = scaledMs;
      const wait = Date.parse(clock.toReal(new Date(scaledMs).toISOString())) - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const slipped = () => {
      maxSlipMs = Math.max(maxSlipMs, clock.now().getTime() - target);
    };
    const title = `Cost lifecycle ${Date.now()}`;
    say(`cost: one ${SEVERITY}-severity lifecycle at time ×${SCALE.toLocaleString('en-US')} (about ${Math.round((37 * 24 * HOUR) / SCALE / 1000)} s)…`);
    const created = await call('POST', '/escalations', escalationRequest({ severity: SEVERITY, triggers: [], title }), 201);
    const id = created.id as string;
    const t0 = Date.parse(created.createdAt as string);
    // Acknowledge well inside the 48 h window, before the 24 h routing rule.
    let next = t0 + 20 * HOUR;
    await until(next);
    await call('POST', `/escalations/${id}/acknowledge`, { owner: 'owner@example.com', message: 'We are on it.' });
    slipped();
    for (let i = 1; i <= 3; i++) {
      next += 0.8 * CADENCE;
      await until(next);
      await call('POST', `/escalations/${id}/updates`, { message: `Update ${i}: what we know, what we do not know yet, the workaround.` });
      slipped();
    }
    // Resolved half a day after the last update: the follow-up (24 h later) then falls before
    // the next update would have been due, so the workflow re-arms for it (a fixed path).
    next += 12 * HOUR;
    await until(next);
    const resolved = await call('POST', `/escalations/${id}/resolve`, { rootCause: 'an index was missing after the migration', fix: 'recreated the index', prevention: 'migrations now check indexes' });
    slipped();
    const resolvedAt = Date.parse(resolved.resolvedAt as string);

    // The customer answers the survey in the follow-up email (counted separately: not every customer does).
    const followUp = await waitFor(async () => (await sentMail()).find((mail) => /\/csat\//.test(mail.body?.text ?? '')), Date.parse(clock.toReal(new Date(resolvedAt + 26 * HOUR).toISOString())) + 5_000);
    const link = followUp && /9: (http\S+\/csat\/\S+)/.exec(followUp.body?.text ?? '')?.[1];
    let survey: { invocations: number; ms: number; capacity: Capacity; requests: number } | undefined;
    if (link) {
      const url = new URL(link);
      const before = { invocations: invocations.invocations.length, calls: tableMeter.calls.length, requests: requests.length };
      await call('GET', `${url.pathname}${url.search}`);
      const own = invocations.invocations.slice(before.invocations).filter((i) => i.name === 'record-satisfaction');
      survey = {
        invocations: own.length,
        ms: own.reduce((total, i) => total + i.ms, 0),
        capacity: capacityOf(tableMeter.calls.slice(before.calls).filter((c) => c.from === 'record-satisfaction')),
        requests: requests.length - before.requests,
      };
    }

    // Until the workflow closes the case after the follow-up period and its execution ends.
    const closeBy = Date.parse(clock.toReal(new Date(resolvedAt + 30 * 24 * HOUR).toISOString()));
    await waitFor(async () => Date.now() > closeBy && stack.engine.runningCount() === 0, closeBy + 20_000);
    // The closing write's stream record (the stream consumers act on nothing by then, but are invoked and billed).
    await stack.caseChanges.drained();
    await sleep(200);
    const { Item } = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `ESC#${id}` }, sk: { S: 'CASE' } } }));
    const finalStatus = Item?.status?.S;
    const emails = await sentMail();
    const metricLines = emf.count() + emfLines - emfBefore.count;
    const metricBytes = emf.bytes() + emfBytes - emfBefore.bytes;

    // ---- the counts ----
    const surveyNames = new Set(['record-satisfaction']);
    const lifecycleInvocations = invocations.invocations.filter((i) => !surveyNames.has(i.name));
    const lifecycleCalls = tableMeter.calls.filter((c) => !surveyNames.has(c.from ?? ''));
    const capacity = capacityOf(lifecycleCalls);
    const rawTransitions = [...entered.values()].reduce((total, n) => total + n, 0) + retried;
    // Each early wake-up cost one loop AWS would not run: 3 transitions (the act, RouteToNextCheck,
    // the Wait again), 1 act-on-deadline invocation that finds nothing due, 1 GetItem (1 RRU).
    const transitions = rawTransitions - 3 * earlyWakeLoops;
    const lambdaMs = lifecycleInvocations.reduce((total, i) => total + i.ms, 0);
    // Lambda bills each invocation's duration rounded up to the millisecond.
    const billedMs = lifecycleInvocations.reduce((total, i) => total + Math.ceil(i.ms), 0);
    const apiRequests = requests.length - (survey?.requests ?? 0);
    const recipients = emails.reduce((total, mail) => total + (mail.destination.to?.length ?? 0) + (mail.destination.cc?.length ?? 0) + (mail.destination.bcc?.length ?? 0), 0);

    const lambdaInvocations = lifecycleInvocations.length - earlyWakeLoops;
    capacity.rru -= earlyWakeLoops;
    const lines = {
      stepFunctions: transitions * PRICES.stepFunctions.perStateTransition,
      lambdaRequests: lambdaInvocations * PRICES.lambda.perRequest,
      lambdaDuration: (billedMs / 1000) * LAMBDA_MEMORY_GB * PRICES.lambda.perGbSecond,
      dynamoWrites: capacity.wru * PRICES.dynamodb.perWriteRequestUnit,
      dynamoReads: capacity.rru * PRICES.dynamodb.perReadRequestUnit,
      apiGateway: apiRequests * PRICES.apiGateway.perHttpApiRequest,
      ses: recipients * PRICES.ses.perEmail,
      emfLogs: (metricBytes / 1024 ** 3) * PRICES.cloudWatch.perLogGb,
    };
    const withoutEmail = lines.stepFunctions + lines.lambdaRequests + lines.lambdaDuration + lines.dynamoWrites + lines.dynamoReads + lines.apiGateway;
    const total = withoutEmail + lines.ses;
    // Sensitivity: Lambda at 256 MB has about 1/7 of a vCPU; if every invocation took 3× longer on AWS.
    const lambdaDurationX3 = lines.lambdaDuration * 3;

    const byFunction = new Map<string, { n: number; ms: number[]; wru: number; rru: number }>();
    for (const i of lifecycleInvocations) {
      const row = byFunction.get(i.name) ?? { n: 0, ms: [], wru: 0, rru: 0 };
      row.n++;
      row.ms.push(i.ms);
      byFunction.set(i.name, row);
    }
    for (const c of lifecycleCalls) {
      const row = byFunction.get(c.from ?? '(outside a handler)') ?? { n: 0, ms: [], wru: 0, rru: 0 };
      if (c.kind === 'write') row.wru += c.total ?? 0;
      else row.rru += c.total ?? 0;
      byFunction.set(c.from ?? '(outside a handler)', row);
    }

    printTable(
      `State transitions, by state (local engine event logs; ${executions} executions started)`,
      ['state', 'entered'],
      [
        ...[...entered.entries()].sort((a, b) => b[1] - a[1]),
        ['(retries)', retried],
        ['total entered', rawTransitions],
        [`less ${earlyWakeLoops} early wake-up loop(s) of the scaled clock (×3)`, -3 * earlyWakeLoops],
        ['state transitions as Step Functions counts them', transitions],
      ],
    );
    printTable(
      'Lambda invocations and DynamoDB capacity, by function (durations measured in process on this machine)',
      ['function', 'invocations', 'total ms', 'p50 ms', 'max ms', 'WRU', 'RRU'],
      [...byFunction.entries()].map(([name, row]) => {
        const s = summarize(row.ms);
        return [name, row.n, round(row.ms.reduce((a, b) => a + b, 0), 1), round(s.p50, 1), round(s.max, 1), round(row.wru, 1), round(row.rru, 1)];
      }),
      `DynamoDB: ${capacity.calls} calls (${capacity.byCommand}); ${capacity.failed} failed; WRU on the table ${round(capacity.tableWru, 1)}, on GSIs ${round(capacity.gsiWru, 1)} (${capacity.byIndex}).`,
    );
    const usd = (value: number) => `$${value.toFixed(7)}`;
    printTable(
      `Cost of one escalation lifecycle (${PRICE_REGION} list prices checked ${PRICES_CHECKED}, no free tier)`,
      ['item', 'quantity', 'unit price', 'cost'],
      [
        ['Step Functions Standard state transitions', transitions, usd(PRICES.stepFunctions.perStateTransition), usd(lines.stepFunctions)],
        ['Lambda requests', lambdaInvocations, usd(PRICES.lambda.perRequest), usd(lines.lambdaRequests)],
        [`Lambda duration, arm64 256 MB (GB-s; ${Math.round(lambdaMs)} ms measured)`, round((billedMs / 1000) * LAMBDA_MEMORY_GB, 4), usd(PRICES.lambda.perGbSecond), usd(lines.lambdaDuration)],
        ['DynamoDB on-demand write request units', round(capacity.wru, 1), usd(PRICES.dynamodb.perWriteRequestUnit), usd(lines.dynamoWrites)],
        ['DynamoDB on-demand read request units', round(capacity.rru, 1), usd(PRICES.dynamodb.perReadRequestUnit), usd(lines.dynamoReads)],
        ['API Gateway HTTP API requests', apiRequests, usd(PRICES.apiGateway.perHttpApiRequest), usd(lines.apiGateway)],
        ['= lifecycle without email (budget)', null, null, usd(withoutEmail)],
        [`SES emails (recipients; ${emails.length} messages)`, recipients, usd(PRICES.ses.perEmail), usd(lines.ses)],
        ['= lifecycle with email', null, null, usd(total)],
        [`(not budgeted) CloudWatch Logs for ${metricLines} EMF metric lines, ${metricBytes} bytes`, null, null, usd(lines.emfLogs)],
        ['(sensitivity) Lambda duration ×3 (less CPU at 256 MB)', null, null, usd(withoutEmail - lines.lambdaDuration + lambdaDurationX3)],
        ...(survey ? [['(optional) the customer answers the survey: 1 request, 1 Lambda, its reads/writes', null, null, usd(surveyCost(survey))] as Cell[]] : []),
      ],
      `Budget: under $${LIFECYCLE_BUDGET_USD} per lifecycle excluding email. Final case status: ${finalStatus}. API requests: ${requests.join(', ')}. ` +
        `Scripted steps completed at most ${round(maxSlipMs / HOUR, 1)} h of case time after their target${maxSlipMs > 6 * HOUR ? ' — the machine was too busy for this scale; the path may differ from a quiet run' : ''}.`,
    );

    emitResult('cost', {
      // The budget asks for the cost with at-risk warnings on and off: BENCH_COST_PLAYBOOK=bench/fixtures/playbook-24x7-no-warnings.json prices them off.
      atRiskWarnings: `${entered.get('WarnDeadlineApproaching') ?? 0} sent (playbook ${process.env.BENCH_COST_PLAYBOOK ?? 'the 24x7 bench playbook, warnings at 75 %'})`,
      pricesChecked: PRICES_CHECKED,
      region: PRICE_REGION,
      timeScale: SCALE,
      severity: SEVERITY,
      finalStatus,
      maxStepSlipHours: round(maxSlipMs / HOUR, 1),
      stateTransitions: transitions,
      stateTransitionsEntered: rawTransitions,
      earlyWakeLoops,
      transitionsByState: Object.fromEntries(entered),
      executions,
      lambdaInvocations,
      lambdaMs: round(lambdaMs, 1),
      lambdaGbSeconds: round((billedMs / 1000) * LAMBDA_MEMORY_GB, 5),
      invocationsByFunction: Object.fromEntries([...byFunction.entries()].filter(([, row]) => row.n > 0).map(([name, row]) => [name, row.n])),
      dynamodb: { calls: capacity.calls, failed: capacity.failed, wru: round(capacity.wru, 1), rru: round(capacity.rru, 1), tableWru: round(capacity.tableWru, 1), gsiWru: round(capacity.gsiWru, 1), byIndex: capacity.byIndexObject },
      apiRequests,
      emails: emails.length,
      emailRecipients: recipients,
      metricLines,
      costUsd: Object.fromEntries(Object.entries(lines).map(([key, value]) => [key, round(value, 9)])),
      costWithoutEmailUsd: round(withoutEmail, 9),
      costWithEmailUsd: round(total, 9),
      budgetUsd: LIFECYCLE_BUDGET_USD,
      survey: survey && { requests: survey.requests, invocations: survey.invocations, ms: round(survey.ms, 1), wru: survey.capacity.wru, rru: survey.capacity.rru, costUsd: round(surveyCost(survey), 9) },
    });
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

function surveyCost(survey: { invocations: number; ms: number; capacity: Capacity; requests: number }): number {
  return (
    survey.requests * PRICES.apiGateway.perHttpApiRequest +
    survey.invocations * PRICES.lambda.perRequest +
    (Math.ceil(survey.ms) / 1000) * LAMBDA_MEMORY_GB * PRICES.lambda.perGbSecond +
    survey.capacity.wru * PRICES.dynamodb.perWriteRequestUnit +
    survey.capacity.rru * PRICES.dynamodb.perReadRequestUnit
  );
}

interface Capacity {
  calls: number;
  failed: number;
  wru: number;
  rru: number;
  tableWru: number;
  gsiWru: number;
  byCommand: string;
  byIndex: string;
  byIndexObject: Record<string, number>;
}

function capacityOf(calls: SdkCall[]): Capacity {
  const writes = calls.filter((c) => c.kind === 'write');
  const indexes: Record<string, number> = {};
  for (const c of writes) for (const [name, units] of Object.entries(c.indexes ?? {})) indexes[name] = (indexes[name] ?? 0) + units;
  const commands = new Map<string, number>();
  for (const c of calls) commands.set(c.command, (commands.get(c.command) ?? 0) + 1);
  return {
    calls: calls.length,
    failed: calls.filter((c) => c.error).length,
    wru: writes.reduce((total, c) => total + (c.total ?? 0), 0),
    rru: calls.filter((c) => c.kind === 'read').reduce((total, c) => total + (c.total ?? 0), 0),
    tableWru: writes.reduce((total, c) => total + (c.table ?? 0), 0),
    gsiWru: Object.values(indexes).reduce((total, units) => total + units, 0),
    byCommand: [...commands.entries()].map(([name, n]) => `${n} ${name}`).join(', '),
    byIndex: Object.entries(indexes).map(([name, units]) => `${name} ${round(units, 1)}`).join(', '),
    byIndexObject: Object.fromEntries(Object.entries(indexes).map(([name, units]) => [name, round(units, 1)])),
  };
}

async function waitFor<T>(probe: () => Promise<T | undefined | false>, deadlineRealMs: number): Promise<T | undefined> {
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadlineRealMs) return undefined;
    await sleep(50);
  }
}

await main();
