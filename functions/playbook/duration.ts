import * as z from 'zod';
import { elapsedMs, UNIT_LETTER, type SlaTarget, type TargetUnit } from '../domain/sla-target';

const UNIT_OF_LETTER = Object.fromEntries(Object.entries(UNIT_LETTER).map(([unit, letter]) => [letter, unit])) as Record<string, TargetUnit>;

/**
 * A target as a person writes it (a builder: the playbook schema is built on first use): "30m", "4h", "7d". The unit is kept, because on a business
 * calendar a whole-day target counts working days and an hour target counts working time.
 */
export const target = () =>
  z
    .string()
    .regex(/^[1-9]\d*(m|h|d)$/, 'expected a duration like "30m", "4h" or "7d"')
    .transform((text): SlaTarget => ({ amount: Number(text.slice(0, -1)), unit: UNIT_OF_LETTER[text.slice(-1)]! }));

/** A plain length of time, no calendar involved (how long an Idempotency-Key is remembered): milliseconds. */
export const elapsedTime = () => target().transform(elapsedMs);
