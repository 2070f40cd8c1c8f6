/**
 * `npm run bench:check`: judges the figures the last `npm run bench` wrote
 * (bench/results/latest.json) against bench/budgets.json and exits non-zero when any is
 * over budget or missing. It does not re-run the benches (they take minutes and need
 * Java): run `npm run bench && npm run bench:check` to measure and judge in one go.
 */
import { formatValue, judge, LATEST, loadResults, overloaded } from './lib/budgets';
import { printTable, say } from './lib/report';

const results = loadResults();
if (!results) {
  say(`bench:check: no results at ${LATEST}; run \`npm run bench\` first.`);
  process.exit(1);
}
const busy = overloaded(results);
if (busy.length) {
  say(`bench:check: refusing to judge: these benches started while the 1-minute load average exceeded the machine's ${results.cores ?? '?'} cores, so their figures measure other work as much as the code: ${busy.join('; ')}. Run \`npm run bench\` again on an idle machine.`);
  process.exit(2);
}
const verdicts = judge(results);
const ages = Object.entries(results.benches).map(([name, result]) => `${name} ${result.at ?? results.startedAt}`);
printTable(
  'Budgets (bench/budgets.json) against bench/results/latest.json',
  ['budget', 'subject', 'figure', 'budget max', 'verdict'],
  verdicts.map((v) => [v.id, v.subject, v.note ?? formatValue(v.value, v.unit), formatValue(v.max, v.unit), v.pass ? 'pass' : 'OVER BUDGET']),
  `Measured at commit ${results.git?.commit ?? '?'}${results.git?.dirty ? ' (with uncommitted changes)' : ''} on ${results.machine ?? 'an unknown machine'}; ${ages.join(', ')}.`,
);
const failed = verdicts.filter((v) => !v.pass);
if (failed.length) {
  say(`\nbench:check: ${failed.length} of ${verdicts.length} checks over budget or missing.`);
  process.exit(1);
}
say(`\nbench:check: all ${verdicts.length} checks within budget.`);
