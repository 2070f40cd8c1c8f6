/**
 * How every bench reports: human-readable tables, then exactly one machine-readable
 * JSON line starting with {"bench": that bench/run.ts collects into bench/results/.
 */

// Captured before anything can wrap stdout (see quietMetrics).
const write = process.stdout.write.bind(process.stdout);

export const JSON_LINE_PREFIX = '{"bench":';

export type Cell = string | number | boolean | null | undefined;

function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '–';
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return String(cell);
    if (Number.isInteger(cell)) return cell.toLocaleString('en-US');
    const abs = Math.abs(cell);
    const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : 6;
    return cell.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  }
  return String(cell);
}

/** Prints a table; numeric columns are right-aligned. */
export function printTable(title: string, headers: string[], rows: Cell[][], note?: string) {
  const text = rows.map((row) => row.map(show));
  const widths = headers.map((header, i) => Math.max(header.length, ...text.map((row) => (row[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === null || row[i] === undefined));
  const line = (cells: string[]) => cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ');
  const out = [`\n${title}`, line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)];
  if (note) out.push(note);
  write(`${out.join('\n')}\n`);
}

export function say(message: string) {
  write(`${message}\n`);
}

/** The machine-readable result: one line, always last, always starting with {"bench":. */
export function emitResult(bench: string, result: Record<string, unknown>) {
  write(`${JSON.stringify({ bench, ...result })}\n`);
}

/**
 * The handlers write one CloudWatch EMF line per metric to stdout (that is how they
 * publish metrics on Lambda). In a bench they would bury the tables, so they are counted
 * and dropped; the count is reported where it matters (metrics per escalation).
 */
export function quietMetrics(): { count: () => number; bytes: () => number } {
  let emf = 0;
  let emfBytes = 0;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.startsWith('{"_aws"')) {
      emf += text.split('\n').filter((line) => line.startsWith('{"_aws"')).length;
      emfBytes += Buffer.byteLength(text);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  return { count: () => emf, bytes: () => emfBytes };
}

export const ms = (value: number) => Math.round(value * 100) / 100;
export const kb = (bytes: number) => Math.round((bytes / 1024) * 10) / 10;
