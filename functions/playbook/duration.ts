import * as z from 'zod';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A playbook duration as a person writes it: "30m", "4h", "7d". Parsed to milliseconds. */
export const Duration = z
  .string()
  .regex(/^[1-9]\d*(m|h|d)$/, 'expected a duration like "30m", "4h" or "7d"')
  .transform((text) => {
    const unit = text.slice(-1) as keyof typeof UNIT_MS;
    return Number(text.slice(0, -1)) * UNIT_MS[unit];
  });

export function formatDuration(ms: number): string {
  if (ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  return `${Math.round(ms / UNIT_MS.m)}m`;
}
