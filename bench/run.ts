/**
 * `npm run bench`: runs every benchmark in its own Node process (each starts and stops its
 * own DynamoDB Local and local stack), streams its tables, collects its JSON line, writes
 * bench/results/latest.json (plus a timestamped copy) and prints the figures against
 * bench/budgets.json. Over-budget figures are reported here and fail `npm run bench:check`.
 *
 *   npm run bench                     all benches (about 16 minutes on 2 cores; the budget is 15)
 *   npm run bench -- intake cost      only these; their results replace those in latest.json
 *
 * deadline-lag runs three times (BENCH_LAG_REPEATS), each in a fresh process and stack with
 * its own load average; the run with the median p99 is the result, the others are kept beside it (repetitions).
 * Before each bench it waits (up to 90 s, counted in the total) for the 1-minute load average
 * to fall to the core count: the last bench's own work is still in that average.
 */
import { execSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH_DIR, formatValue, judge, LATEST, loadResults, overloaded, RESULTS_DIR, type LoadAverage, type Results } from './lib/budgets';
import { JSON_LINE_PREFIX, printTable, say } from './lib/report';

const BENCHES = ['intake', 'cold-start', 'deadline-lag', 'cost'] as const;
/** Benches whose figure is judged on the median of several runs (the issue's budget table says which). */
const REPEATS: Partial<Record<(typeof BENCHES)[number], { runs: number; figure: (result: Record<string, unknown>) => number }>> = {
  'deadline-lag': { runs: Number(process.env.BENCH_LAG_REPEATS ?? 3), figure: (result) => Number((result.lagMs as { p99?: number } | undefined)?.p99) },
};

function runBench(name: string): Promise<{ result?: Record<string, unknown>; seconds: number; code: number | null }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(BENCH_DIR, `${name}.ts`)], {
      cwd: path.dirname(BENCH_DIR),
      // Node 20 here, Node 24 on Lambda: the SDK's upgrade notice is noise in a bench.
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let result: Record<string, unknown> | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith(JSON_LINE_PREFIX)) result = JSON.parse(line) as Record<string, unknown>;
        process.stdout.write(`${line}\n`);
      }
    });
    child.on('close', (code) => resolve({ result, seconds: (performance.now() - started) / 1000, code }));
  });
}

function git() {
  try {
    const commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execSync('git status --porcelain', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    return { commit, dirty };
  } catch {
    return undefined;
  }
}

/** Longest wait for the load average to settle before a bench; past it the bench runs and its load is recorded as it is. */
const SETTLE_LIMIT_MS = 90_000;

async function settle(load: () => number): Promise<{ seconds: number; load: number }> {
  const started = performance.now();
  while (load() > os.cpus().length && performance.now() - started < SETTLE_LIMIT_MS) await new Promise((resolve) => setTimeout(resolve, 1_000));
  return { seconds: Math.round((performance.now() - started) / 1000), load: load() };
}

async function main() {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(BENCHES as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  const selected = asked.length ? BENCHES.filter((name) => asked.includes(name)) : [...BENCHES];

  const startedAt = new Date().toISOString();
  const started = performance.now();
  const previous = asked.length ? loadResults() : undefined;
  const results: Results = {
    startedAt,
    git: git(),
    node: process.version,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 1024 ** 3)} GB, ${os.platform()} ${os.release()}`,
    cores: os.cpus().length,
    benches: { ...(previous?.benches ?? {}) },
  };
  const failures: string[] = [];
  const timings: [string, number, number?, number?][] = [];
  const load = () => Math.round(os.loadavg()[0]! * 100) / 100;
  for (const name of selected) {
    const repeat = REPEATS[name];
    const runs: Record<string, unknown>[] = [];
    for (let run = 1; run <= (repeat?.runs ?? 1); run++) {
      say(`\n━━ bench: ${name}${repeat ? ` (run ${run} of ${repeat.runs})` : ''} ━━`);
      // Other work on the machine moves the tails: the load average is kept with each result.
      // The bench before this one leaves its own echo in the 1-minute average; let it decay
      // first, so that a load above the core count still means other work (bench:check refuses those).
      const settledIn = await settle(load);
      if (settledIn.seconds > 0) say(`bench: waited ${settledIn.seconds} s for the 1-minute load average to fall to ${settledIn.load} (${os.cpus().length} cores)`);
      const loadBefore = load();
      const { result, seconds, code } = await runBench(name);
      const loadAfter = load();
      timings.push([repeat ? `${name} #${run}` : name, Math.round(seconds), loadBefore, loadAfter]);
      if (!result || code !== 0) {
        failures.push(`${name}${repeat ? ` run ${run}` : ''} (exit ${code}${result ? '' : ', no result line'})`);
        continue;
      }
      const { bench: _bench, ...figures } = result;
      runs.push({ ...figures, at: new Date().toISOString(), seconds: Math.round(seconds), loadAverage: { before: loadBefore, after: loadAfter } });
    }
    if (!runs.length) continue;
    if (!repeat) {
      results.benches[name] = runs[0]!;
      continue;
    }
    // The run whose figure is the median stands for the bench; every run is kept with its load.
    const sorted = [...runs].sort((a, b) => repeat.figure(a) - repeat.figure(b));
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    results.benches[name] = {
      ...median,
      judgedOn: `the median of ${runs.length} runs`,
      repetitions: runs.map((run) => ({ figure: repeat.figure(run), at: run.at, seconds: run.seconds, loadAverage: run.loadAverage as LoadAverage })),
    };
  }
  const totalSeconds = Math.round((performance.now() - started) / 1000);
  // The whole suite's duration is a budget too; only a run of every bench (and every repetition) counts.
  if (selected.length === BENCHES.length && !failures.length) results.benches.run = { totalSeconds, complete: 1, at: new Date().toISOString(), loadAverage: { before: Number(timings[0]?.[2] ?? load()), after: load() } };

  // Results describe one machine at one moment: .gitignore keeps bench/results/ out of git.
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify({ ...results, totalSeconds }, null, 2)}\n`;
  writeFileSync(LATEST, json);
  writeFileSync(path.join(RESULTS_DIR, `${startedAt.replace(/[:.]/g, '-')}.json`), json);

  printTable(
    'Bench run',
    ['bench', 'seconds', '1-min load before', 'after'],
    [...timings, ['total', totalSeconds, null, null]],
    `Results: ${path.relative(process.cwd(), LATEST)}. ${os.cpus().length} CPUs: a load average above that means other work competed with the bench.`,
  );
  const verdicts = judge(results);
  const busy = overloaded(results);
  if (busy.length) say(`\nbench: no verdicts: the machine was busy with other work when these started: ${busy.join('; ')}. Run again on an idle machine (npm run bench:check refuses these results).`);
  printTable(
    'Budgets (bench/budgets.json)',
    ['budget', 'subject', 'figure', 'budget max', 'verdict'],
    verdicts.map((v) => [v.id, v.subject, v.note ?? formatValue(v.value, v.unit), formatValue(v.max, v.unit), v.pass ? 'pass' : 'OVER BUDGET']),
    '`npm run bench:check` fails while any budget is over; see docs/performance.md for what dominates each figure.',
  );
  if (failures.length) {
    say(`\nbench: ${failures.join('; ')} did not finish`);
    process.exitCode = 1;
  }
}

await main();
