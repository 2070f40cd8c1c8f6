/**
 * Webhook delivery lag: from the instant a change is stored (the event's timestamp, written in
 * the change's transaction) to the instant a receiver on loopback has the signed delivery, for
 * escalations opened at a steady pace on the local stack at real time (scale 1). The path is the
 * production one: the table's stream, the outbox consumer, the event bus, the delivery item, the
 * real HTTP sender. Every delivery is verified with `standardwebhooks`.
 *
 *   npx tsx bench/webhook-lag.ts     (BENCH_HOOK_COUNT, BENCH_HOOK_RATE to vary)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { escalationRequest, pool, ROUND_THE_CLOCK_PLAYBOOK, sleep, startBenchStack } from './lib/local';
import { emitResult, printTable, quietMetrics, say } from './lib/report';
import { roundSummary, summarize } from './lib/stats';

const COUNT = Number(process.env.BENCH_HOOK_COUNT ?? 200);
/**
 * Intakes per second: each opens a case whose escalation.opened (and its emails) ride the stream.
 * 0: one at a time, each after the previous delivery arrived (the path's own lag, no queue).
 */
const RATE = Number(process.env.BENCH_HOOK_RATE ?? 10);

async function main() {
  quietMetrics();
  const lags: number[] = [];
  let refused = 0;
  let verifier: Webhook | undefined;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const event = verifier!.verify(body, request.headers as Record<string, string>) as { type: string; timestamp: string };
        if (event.type === 'escalation.opened') lags.push(at - Date.parse(event.timestamp));
        response.writeHead(204).end();
      } catch {
        refused++;
        response.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const bench = await startBenchStack({ timeScale: 1, playbookPath: ROUND_THE_CLOCK_PLAYBOOK });
  try {
    const registered = await bench.api.call('POST', '/webhooks', { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, events: ['escalation.opened'] });
    if (registered.status !== 201) throw new Error(`registering the webhook answered ${registered.status}: ${JSON.stringify(registered.body)}`);
    verifier = new Webhook((registered.body as { secret: string }).secret);
    say(`opening ${COUNT} escalations ${RATE ? `at ${RATE}/s` : 'one at a time'}, one webhook on loopback`);
    const started = Date.now();
    const open = async () => {
      const opened = await bench.api.call('POST', '/escalations', escalationRequest({ severity: 'low', triggers: [] }));
      if (opened.status !== 201) throw new Error(`intake answered ${opened.status}`);
    };
    if (RATE === 0) {
      for (let index = 0; index < COUNT; index++) {
        await open();
        while (lags.length <= index) await sleep(10);
      }
    } else {
      await pool(
        Array.from({ length: COUNT }, (_, index) => index),
        16,
        async (index) => {
          await sleep(Math.max(0, started + (index * 1000) / RATE - Date.now()));
          await open();
        },
      );
    }
    const deadline = Date.now() + 60_000;
    while (lags.length < COUNT && Date.now() < deadline) await sleep(100);
    const summary = roundSummary(summarize(lags), 0);
    printTable('Webhook delivery lag (ms, change stored → receiver has it)', ['deliveries', 'refused signatures', 'p50', 'p90', 'p99', 'max'], [[lags.length, refused, summary.p50, summary.p90, summary.p99, summary.max]]);
    emitResult('webhook-lag', { count: COUNT, rate: RATE, delivered: lags.length, refused, lagMs: summary });
  } finally {
    await bench.stop();
    await new Promise((resolve) => receiver.close(resolve));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
