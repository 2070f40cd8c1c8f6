import * as z from 'zod';
import { SEVERITIES } from '../domain/vocabulary';

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
const DAY = 86_400_000;

export const MetricsQuery = z.lazy(() =>
  z
    .strictObject({
      from: z.iso.datetime({ offset: true }).optional().describe('start of the range (default: 30 days before `to`)'),
      to: z.iso.datetime({ offset: true }).optional().describe('end of the range (default: now)'),
      severity: z.enum(SEVERITIES).optional(),
    })
    .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['from'] })
    .refine((q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= 366 * DAY, { message: 'the range may span at most 366 days', path: ['to'] }),
);
export type MetricsParams = z.output<typeof MetricsQuery>;
