import * as z from 'zod';
import { AGE_BUCKETS, type AgeBucketLabel } from '../domain/playbook-metrics';
import { SEVERITIES, type Severity } from '../domain/vocabulary';

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

const percentileMs = () => z.number().nullable().describe('working time in ms; null when no case counted');
/** A verdict against the target; null when nothing counted. */
const met = () => z.boolean().nullable();

const Distribution = z.object({
  count: z.number().int(),
  p50: percentileMs(),
  p90: percentileMs(),
  p99: percentileMs(),
  target: z.string().describe('the target as the playbook writes it, e.g. "4h" or "7d"'),
  targetMs: z.number().optional().describe('the target in working time; absent for working days, whose length differs from case to case'),
  met: met().describe('the 99th percentile within targetMs, or for working days at least 99 % of the cases by their own deadline'),
});

const Ratio = z.object({
  onTime: z.number().int(),
  total: z.number().int(),
  percent: z.number().nullable(),
  targetPercent: z.number(),
  met: met(),
});

const bySeverity = <T extends z.ZodType>(schema: T) => z.object(Object.fromEntries(SEVERITIES.map((severity) => [severity, schema])) as Record<Severity, T>);

/** GET /metrics: the playbook's figures beside their targets (functions/domain/playbook-metrics.ts computes them). */
export const MetricsReport = z.object({
  range: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }), severity: z.enum(SEVERITIES).optional() }),
  timeToAcknowledge: bySeverity(Distribution).extend({ all: Distribution.describe('every severity against the overall one-hour target') }),
  timeToResolution: bySeverity(Distribution),
  compliance: z.object({ acknowledge: Ratio, update: Ratio, resolve: Ratio }).describe('each deadline kind met on time, over the cases whose deadline came due in the range'),
  updatesOnTime: Ratio,
  satisfaction: z.object({
    average: z.number().nullable(),
    responses: z.number().int(),
    surveysSent: z.number().int(),
    responseRatePercent: z.number().nullable(),
    target: z.number(),
    met: met(),
  }),
  churn: z.object({ churned: z.number().int(), retained: z.number().int(), ratePercent: z.number().nullable(), targetPercent: z.number(), met: met() }),
  open: z.object({
    total: z.number().int(),
    bySeverity: bySeverity(
      z.object({
        count: z.number().int(),
        byAge: z.object(Object.fromEntries(AGE_BUCKETS.map((bucket) => [bucket.label, z.number().int()])) as Record<AgeBucketLabel, z.ZodNumber>).describe('open cases by time since reported'),
      }),
    ),
  }),
  reviews: z
    .object({
      recorded: z.number().int(),
      onTime: Ratio.describe('recorded by their deadline, against every review recorded'),
      ownersReminded: z.number().int().describe('reminders sent for reviews not recorded by their deadline'),
    })
    .describe('the reviews after resolution recorded in the range'),
  improvementItems: z
    .object({
      open: z.number().int(),
      overdue: z.number().int(),
      byTeam: z.record(z.string(), z.object({ open: z.number().int(), overdue: z.number().int() })),
    })
    .describe('the improvement items of the reviews still open now'),
});
export type MetricsReportBody = z.output<typeof MetricsReport>;
