/** Reads bench/budgets.json and judges a results file against it (bench/run.ts and bench/check.ts). */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BENCH_DIR = path.resolve(import.meta.dirname, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const LATEST = path.join(RESULTS_DIR, 'latest.json');

export interface Budget {
  id: string;
  what: string;
  bench: string;
  figure: string;
  max: number;
  unit: string;
  each?: string;
  requires?: Record<string, number>;
}

export interface LoadAverage {
  before: number;
  after: number;
}

export interface Results {
  startedAt: string;
  git?: { commit?: string; dirty?: boolean };
  node?: string;
  machine?: string;
  /** CPUs of the machine the benches ran on: a 1-minute load average above it means other work competed. */
  cores?: number;
  benches: Record<string, Record<string, unknown> & { at?: string; loadAverage?: LoadAverage; repetitions?: { loadAverage?: LoadAverage }[] }>;
}

/**
 * The benches (and repetitions) that started while the 1-minute load average exceeded the
 * machine's cores: their figures measure the other work as much as the code, so no verdict
 * is given on them.
 */
export function overloaded(results: Results): string[] {
  const cores = results.cores ?? os.cpus().length;
  const found: string[] = [];
  for (const [name, result] of Object.entries(results.benches)) {
    const starts = [result.loadAverage?.before, ...(result.repetitions ?? []).map((run) => run.loadAverage?.before)].filter((load): load is number => typeof load === 'number');
    const worst = Math.max(...starts);
    if (worst > cores) found.push(`${name} (1-minute load average ${worst} before it, on ${cores} cores)`);
  }
  return found;
}

export interface Verdict {
  id: string;
  subject: string;
  value?: number;
  max: number;
  unit: string;
  pass: boolean;
  note?: string;
}

export function loadBudgets(): Budget[] {
  return (JSON.parse(readFileSync(path.join(BENCH_DIR, 'budgets.json'), 'utf8')) as { budgets: Budget[] }).budgets;
}

export function loadResults(file = LATEST): Results | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Results) : undefined;
}

function at(value: unknown, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), value);
}

export function judge(results: Results, budgets = loadBudgets()): Verdict[] {
  const verdicts: Verdict[] = [];
  for (const budget of budgets) {
    const result = results.benches[budget.bench];
    const base = { id: budget.id, max: budget.max, unit: budget.unit };
    if (!result) {
      verdicts.push({ ...base, subject: budget.bench, pass: false, note: `no ${budget.bench} result: run npm run bench` });
      continue;
    }
    const unmet = Object.entries(budget.requires ?? {}).filter(([key, minimum]) => !(Number(at(result, key)) >= minimum));
    if (unmet.length) {
      verdicts.push({ ...base, subject: budget.bench, pass: false, note: `not measured at full size (${unmet.map(([key, min]) => `${key} ${String(at(result, key))} < ${min}`).join(', ')})` });
      continue;
    }
    const subjects = budget.each ? ((at(result, budget.each) as Record<string, unknown>[] | undefined) ?? []) : [result];
    if (budget.each && subjects.length === 0) verdicts.push({ ...base, subject: budget.bench, pass: false, note: `no entries in ${budget.each}` });
    for (const subject of subjects) {
      const value = at(subject, budget.figure);
      const name = budget.each ? String(subject.name ?? '?') : budget.bench;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        verdicts.push({ ...base, subject: name, pass: false, note: `no figure ${budget.figure}${subject.error ? `: ${String(subject.error)}` : ''}` });
      } else {
        verdicts.push({ ...base, subject: name, value, pass: value <= budget.max });
      }
    }
  }
  return verdicts;
}

export function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return '–';
  if (unit === 'bytes') return `${(value / 1024).toFixed(1)} KiB`;
  if (unit === 'USD') return `$${value.toFixed(6)}`;
  if (unit === 'x') return `${value.toFixed(2)}×`;
  return `${value} ${unit}`;
}
