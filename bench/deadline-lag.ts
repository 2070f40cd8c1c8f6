/**
 * Deadline lag: many open escalations on the local workflow engine (the deployed ASL under
 * aws-local-stepfunctions, on a scaled clock), each with an acknowledgement deadline; how
 * late is each deadline acted on? Lag is read from the deadline_breached timeline events
 * (data.lagMs, in scaled ms) and divided by the time scale to give real milliseconds.
 *
 * The figure is about the engine's precision, not about saturating DynamoDB Local (about
 * 390 single-item writes/s on 2 cores; a deadline costs two reads, two transactions and an
 * email): intakes are paced, every deadline lies in the future until all cases are open,
 * and the deadlines then arrive at the intake rate.
 *
 *   npx tsx bench/deadline-lag.ts     (BENCH_LAG_COUNT, BENCH_LAG_RATE, BENCH_LAG_SCALE to vary)
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { container } from '../functions/adapters/container';
import { escalationRequest, memory, pool, processRssMB, ROUND_THE_CLOCK_PLAYBOOK, sleep, startBenchStack, type BenchStack, type MemoryReading } from './lib/local';
import { findSdkClient, SdkMeter } from './lib/meter';
import { emitResult, printTable, quietMetrics, say } from './lib/report';
import { round, roundSummary, summarize } from './lib/stats';

const COUNT = Number(process.env.BENCH_LAG_COUNT ?? 1_000);
/**
 * Intakes per second, and so deadlines per second (every case has the same 4 h offset).
 * 16/s keeps DynamoDB Local under half of what it sustains for this mix of reads,
 * transactions and emails on 2 cores, and one run near two and a half minutes, so that the
 * three runs `npm run bench` judges the median of fit its 15 minutes.
 */
const RATE = Number(process.env.BENCH_LAG_RATE ?? 16);
/**
 * 'high' acknowledges within 4 h: at ×192 that is 75 s of real time, more than the 62.5 s the
 * 1,000 intakes take. The bench playbook puts it on the 24x7 calendar, so deadlines keep the
 * intakes' spacing on any day of the week (office hours would stack them all on one instant).
 */
const SEVERITY = 'high';
const ACK_WITHIN_MS = 4 * 3_600_000;
const SCALE = Number(process.env.BENCH_LAG_SCALE ?? 192);
const INTAKE_CONCURRENCY = 16;

interface Opened {
  id: string;
  acknowledgeBy: string;
  openedAt: number;
}

interface ActCall {
  caseId: string;
  deadline: string;
  start: number;
  end?: number;
  acted?: boolean;
  error?: string;
}

async function main() {
  const emf = quietMetrics();
  // Real wall-clock instants (ms) of task calls, keyed by case, for the lag breakdown.
  const acts: ActCall[] = [];
  const bench: BenchStack = await startBenchStack({
    timeScale: SCALE,
    playbookPath: ROUND_THE_CLOCK_PLAYBOOK,
    wrapTask: (name, handler) => {
      if (name === 'act-on-deadline') {
        return async (input, context) => {
          const { caseId, checkKey } = input as { caseId: string; checkKey: string };
          const call: ActCall = { caseId, deadline: checkKey.startsWith('ack:') ? checkKey.slice(4) : '', start: Date.now() };
          acts.push(call);
          try {
            // An act returns the next plan: it acted when that plan no longer names its check.
            const result = (await handler(input, context)) as { check?: { key?: string } | null };
            call.acted = result?.check?.key !== checkKey;
            return result;
          } catch (error) {
            call.error = String(error);
            throw error;
          } finally {
            call.end = Date.now();
          }
        };
      }
      return handler;
    },
  });
  try {
    const { api, stack, dynamo } = bench;
    const clock = stack.clock;
    const dynamoMeter = new SdkMeter({ consumedCapacity: false });
    dynamoMeter.attach(findSdkClient(container().webhooks) /* the one DynamoDB client every table store shares */);
    dynamoMeter.enabled = false;

    // Warm the path (JIT, connections) on a few cases that are not measured.
    for (let i = 0; i < 10; i++) await api.call('POST', '/escalations', escalationRequest({ severity: 'low', triggers: [], title: `warm-up ${i}` }));
    await sleep(500);
    const baseline: MemoryReading = memory(true);
    const baselineJava = processRssMB(dynamo.process.pid);
    const baselineRunning = stack.engine.runningCount();

    say(`deadline-lag: opening ${COUNT} ${SEVERITY} escalations at ${RATE}/s, time ×${SCALE} (acknowledge within 4 h = ${round(ACK_WITHIN_MS / SCALE / 1000, 1)} s real)…`);
    const started = performance.now();
    const opened: Opened[] = await pool([...Array(COUNT).keys()], INTAKE_CONCURRENCY, async (i) => {
      // Open loop: case i is due at started + i / RATE, whatever happened to the others.
      const wait = started + (i * 1000) / RATE - performance.now();
      if (wait > 0) await sleep(wait);
      const answer = await api.call('POST', '/escalations', escalationRequest({ severity: SEVERITY, triggers: [], title: `Lag ${i}` }));
      if (answer.status !== 201) throw new Error(`POST /escalations answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      const body = answer.body as { id: string; deadlines: { acknowledgeBy: string } };
      return { id: body.id, acknowledgeBy: body.deadlines.acknowledgeBy, openedAt: Date.now() };
    });
    const intakeSeconds = (performance.now() - started) / 1000;
    const deadlinesReal = opened.map((o) => Date.parse(clock.toReal(o.acknowledgeBy))).sort((a, b) => a - b);
    const firstDeadlineIn = deadlinesReal[0]! - Date.now();
    await sleep(200);
    const open: MemoryReading = memory(true);
    const openJava = processRssMB(dynamo.process.pid);
    const openExecutions = stack.engine.runningCount() - baselineRunning;
    say(`deadline-lag: ${COUNT} open (${openExecutions} executions waiting) after ${round(intakeSeconds, 1)} s; first deadline in ${round(firstDeadlineIn / 1000, 1)} s…`);
    if (firstDeadlineIn <= 0) say('deadline-lag: WARNING intake was slower than the first deadline: some deadlines fell due while cases were still being opened');

    // Passive wait: count acted-on acknowledgement deadlines as the tasks report them (no polling load).
    const wanted = new Map(opened.map((o) => [o.id, o.acknowledgeBy]));
    const done = () => acts.filter((a) => a.acted && wanted.get(a.caseId) === a.deadline).length;
    let peakRss = open.rssMB;
    let peakHeap = open.heapUsedMB;
    let peakJava = openJava ?? 0;
    const giveUpAt = deadlinesReal.at(-1)! + 120_000;
    // Everything local shares one event loop (gateway, handlers, engine, local SES): a busy
    // loop delays every timer, so its delay during the wave bounds the engine's precision.
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    dynamoMeter.enabled = true;
    while (done() < COUNT && Date.now() < giveUpAt) {
      await sleep(250);
      const now = memory();
      peakRss = Math.max(peakRss, now.rssMB);
      peakHeap = Math.max(peakHeap, now.heapUsedMB);
      peakJava = Math.max(peakJava, processRssMB(dynamo.process.pid) ?? 0);
    }
    dynamoMeter.enabled = false;
    loopDelay.disable();
    const eventLoopDelayMs = {
      p50: round(loopDelay.percentile(50) / 1e6),
      p99: round(loopDelay.percentile(99) / 1e6),
      max: round(loopDelay.max / 1e6),
    };
    // The next tier's deadline would start another wave: stop here.
    await stack.engine.stopAll();
    const complete = done();
    say(`deadline-lag: ${complete}/${COUNT} acknowledgement deadlines acted on; reading the timelines…`);

    // Through the API, as a client reads it: the local stack checks every table call against
    // the IAM policy of the function making it, so the bench holds no table access of its own.
    const breaches = await pool(opened, 8, async (o) => {
      const page = (await api.call('GET', `/escalations/${o.id}/timeline?limit=200`)).body as { items: { type: string; data?: unknown }[] };
      const event = page.items.find((e) => e.type === 'deadline_breached' && (e.data as { deadline?: string } | undefined)?.deadline === o.acknowledgeBy);
      return event ? { id: o.id, deadline: o.acknowledgeBy, lagScaledMs: (event.data as { lagMs: number }).lagMs } : undefined;
    });
    const found = breaches.filter((b): b is NonNullable<typeof b> => b !== undefined);
    const lags = found.map((b) => b.lagScaledMs / SCALE);
    const lag = roundSummary(summarize(lags));

    // Breakdown: wake-up (deadline → the act state the Wait leads to) and the act itself.
    const wake: number[] = [];
    const toAct: number[] = [];
    const actDuration: number[] = [];
    // local/scaled-clock.ts truncates the real wake-up instant to the millisecond, so a Wait
    // can end just before the deadline in case time: the act then finds nothing due yet and
    // the execution waits once more before acting. Step Functions never wakes early.
    const lagWithoutEarlyWake: number[] = [];
    let earlyWakes = 0;
    for (const b of found) {
      const deadlineReal = Date.parse(clock.toReal(b.deadline));
      const forThisDeadline = acts.filter((a) => a.caseId === b.id && a.deadline === b.deadline).sort((x, y) => x.start - y.start);
      const act = forThisDeadline.find((a) => a.acted);
      if (forThisDeadline[0]) wake.push(forThisDeadline[0].start - deadlineReal);
      if (forThisDeadline.some((a) => !a.acted && (!act || a.start < act.start))) earlyWakes++;
      else lagWithoutEarlyWake.push(b.lagScaledMs / SCALE);
      if (act) {
        toAct.push(act.start - deadlineReal);
        if (act.end) actDuration.push(act.end - act.start);
      }
    }
    const lagNoEarly = roundSummary(summarize(lagWithoutEarlyWake));
    const arrivalSpan = (deadlinesReal.at(-1)! - deadlinesReal[0]!) / 1000;
    const arrivalRate = round((deadlinesReal.length - 1) / arrivalSpan, 1);
    const waveSeconds = arrivalSpan;
    const calls = dynamoMeter.calls;
    const dynamoDuringWave = {
      writesPerSecond: round(calls.filter((c) => c.kind === 'write').length / waveSeconds, 1),
      readsPerSecond: round(calls.filter((c) => c.kind === 'read').length / waveSeconds, 1),
      callLatency: roundSummary(summarize(calls.map((c) => c.ms))),
    };

    printTable(
      `Deadline lag at ${COUNT.toLocaleString('en-US')} open escalations (real ms; time ×${SCALE}; deadlines arrived at ${arrivalRate}/s)`,
      ['measure', 'n', 'p50', 'p90', 'p99', 'max'],
      [
        ['deadline → action (timeline lagMs / scale)', lag.n, lag.p50, lag.p90, lag.p99, lag.max],
        ['  … cases without an early wake-up of the scaled clock', lagNoEarly.n, lagNoEarly.p50, lagNoEarly.p90, lagNoEarly.p99, lagNoEarly.max],
        ['  deadline → the Wait ends in its act state', wake.length, ...pick(summarize(wake))],
        ['  deadline → ActOnDeadline starts', toAct.length, ...pick(summarize(toAct))],
        ['  ActOnDeadline duration (read, write, email, settle)', actDuration.length, ...pick(summarize(actDuration))],
        ['  DynamoDB call latency during the wave', calls.length, ...pick(dynamoDuringWave.callLatency)],
      ],
      `Lag is measured where the code decides (performCheck's "now", after ActOnDeadline has read the case). During the wave: DynamoDB Local served ${dynamoDuringWave.writesPerSecond} writes/s and ${dynamoDuringWave.readsPerSecond} reads/s; ` +
        `the Node event loop (gateway, handlers, engine, local SES share it) was delayed p50 ${eventLoopDelayMs.p50} ms, p99 ${eventLoopDelayMs.p99} ms, max ${eventLoopDelayMs.max} ms. ` +
        `${earlyWakes} of ${found.length} waits ended before the deadline in case time (real instant truncated to the ms) and looped once more.`,
    );
    printTable(
      'Memory (this process: gateway, handlers, engine; and the DynamoDB Local JVM)',
      ['moment', 'RSS MB', 'heap used MB', 'DynamoDB Local RSS MB', 'executions waiting'],
      [
        ['before intake (after GC)', baseline.rssMB, baseline.heapUsedMB, baselineJava, baselineRunning],
        [`${COUNT} open (after GC)`, open.rssMB, open.heapUsedMB, openJava, openExecutions + baselineRunning],
        ['peak during the deadline wave', peakRss, peakHeap, peakJava, null],
      ],
      `Heap per open escalation (workflow execution + its bookkeeping): ${round(((open.heapUsedMB - baseline.heapUsedMB) * 1024) / COUNT, 1)} KB.`,
    );

    emitResult('deadline-lag', {
      count: COUNT,
      acted: complete,
      measured: found.length,
      timeScale: SCALE,
      severity: SEVERITY,
      intakeRatePerSecond: round(COUNT / intakeSeconds, 1),
      arrivalRatePerSecond: arrivalRate,
      lagMs: lag,
      earlyWakeUps: earlyWakes,
      lagMsWithoutEarlyWakeUps: lagNoEarly,
      wakeUpMs: roundSummary(summarize(wake)),
      deadlineToActStartMs: roundSummary(summarize(toAct)),
      actDurationMs: roundSummary(summarize(actDuration)),
      dynamoDuringWave,
      eventLoopDelayMs,
      memory: {
        baseline,
        open,
        peakRssMB: peakRss,
        peakHeapUsedMB: peakHeap,
        heapPerOpenEscalationKB: round(((open.heapUsedMB - baseline.heapUsedMB) * 1024) / COUNT, 1),
        dynamoDbLocalRssMB: { baseline: baselineJava, open: openJava, peak: peakJava },
      },
      failedActs: acts.filter((a) => a.error).length,
      metricLines: emf.count(),
    });
  } finally {
    await bench.stop();
  }
}

function pick(summary: { p50: number; p90: number; p99: number; max: number }): number[] {
  return [round(summary.p50), round(summary.p90), round(summary.p99), round(summary.max)];
}

await main();
