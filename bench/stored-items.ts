/**
 * What parsing a stored case costs (functions/adapters/stored-items.ts), against what reading it
 * cost before: the cast (its key attributes dropped, the rest taken on trust), and the cast with
 * its SLA policy parsed (StoredPolicy), which is what the repository's caseFromItem did before. The
 * case is a resolved critical one with its review, pauses and a dozen deadline checks acted on,
 * as DynamoDB hands it back. No engine: this is CPU only, one process, figures in µs per read.
 *
 *   npx tsx bench/stored-items.ts
 *   STORED_ITEMS_JITLESS=1 npx tsx bench/stored-items.ts    (zod without its compiled fast path)
 *   STORED_ITEMS_FIRST=castWithPolicy npx tsx bench/stored-items.ts    (the first read timed is the one before)
 *
 * The first read in a process builds the schemas (z.lazy) and, unless jitless, compiles zod's
 * fast path for each object: a cost a Lambda container pays once, on its first case read.
 *
 * Not part of `npm run bench`: it has no budget.
 */
import { performance } from 'node:perf_hooks';
import * as z from 'zod';
import { escalationFromItem } from '../functions/adapters/stored-items';
import { StoredPolicy } from '../functions/adapters/stored-policy';
import { TABLE_DESIGN } from '../functions/adapters/table-design';
import type { Escalation } from '../functions/domain/escalation';
import { caseItem, reviewedCase } from '../tests/unit/stored-item-fixtures';

if (process.env.STORED_ITEMS_JITLESS) z.config({ jitless: true });

const KEY_ATTRIBUTES = new Set<string>([TABLE_DESIGN.partitionKey, TABLE_DESIGN.sortKey, ...Object.values(TABLE_DESIGN.indexes).flatMap((index) => [index.partitionKey, index.sortKey])]);
const cast = (item: Record<string, unknown>) => Object.fromEntries(Object.entries(item).filter(([key]) => !KEY_ATTRIBUTES.has(key))) as unknown as Escalation;
function castWithPolicy(item: Record<string, unknown>): Escalation {
  const escalation = cast(item);
  return { ...escalation, policy: StoredPolicy.parse(escalation.policy) };
}

const escalation = reviewedCase();
const item = caseItem(escalation);

const firstRead = process.env.STORED_ITEMS_FIRST === 'castWithPolicy' ? castWithPolicy : escalationFromItem;
const firstStarted = performance.now();
firstRead(item);
const firstReadUs = (performance.now() - firstStarted) * 1000;

/** Median µs per call over `batches` batches of `perBatch` calls, after a warm-up. */
function perCall(read: (item: Record<string, unknown>) => unknown, batches = 30, perBatch = 2_000): number {
  for (let i = 0; i < perBatch; i++) read(item);
  const samples: number[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const started = performance.now();
    for (let i = 0; i < perBatch; i++) read(item);
    samples.push(((performance.now() - started) * 1000) / perBatch);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const round = (value: number) => Math.round(value * 100) / 100;
const figures = {
  jitless: Boolean(process.env.STORED_ITEMS_JITLESS),
  itemBytes: Buffer.byteLength(JSON.stringify(item)),
  actedOn: escalation.actedOn?.length ?? 0,
  reviewItems: escalation.review?.items.length ?? 0,
  pauses: escalation.sla.pauses.length,
  firstRead: firstRead.name,
  firstReadUs: round(firstReadUs),
  castUs: round(perCall(cast)),
  castWithPolicyUs: round(perCall(castWithPolicy)),
  escalationFromItemUs: round(perCall(escalationFromItem)),
};
console.log(JSON.stringify(figures));
