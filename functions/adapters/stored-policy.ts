import * as z from 'zod';
import { WEEKDAYS, type Calendar } from '../domain/business-calendar';
import type { SlaPolicy } from '../domain/sla-policy';
import { TARGET_UNITS, type SlaTarget } from '../domain/sla-target';
import { SEVERITIES } from '../domain/vocabulary';

// The SLA policy a case keeps (functions/domain/sla-policy.ts) as the table stores it. It is
// read back through this schema, so a snapshot the code no longer understands (a target
// without its unit, a calendar without a zone) stops the read with the key named, instead of
// turning into wrong deadlines later.

// Built on the first read of a case (z.lazy), not at cold start.
function storedPolicy() {
  const Target = z.strictObject({ amount: z.number().int().positive(), unit: z.enum(TARGET_UNITS) }) satisfies z.ZodType<SlaTarget>;
  const WallTime = z.string().regex(/^\d\d:\d\d$/);
  const StoredCalendar = z.strictObject({
    name: z.string().min(1),
    alwaysOpen: z.literal(true).optional(),
    timeZone: z.string().min(1),
    week: z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, z.array(z.tuple([WallTime, WallTime])).optional()]))),
    holidays: z.array(z.iso.date()),
  }) satisfies z.ZodType<Calendar>;
  const perSeverity = <T extends z.ZodType>(schema: T) => z.strictObject(Object.fromEntries(SEVERITIES.map((severity) => [severity, schema])) as Record<(typeof SEVERITIES)[number], T>);

  return z.strictObject({
    takenAt: z.iso.datetime(),
    timeZone: z.string().min(1),
    timeZoneSource: z.enum(['account', 'team']),
    targets: perSeverity(z.strictObject({ acknowledgeWithin: Target, updateEvery: Target, resolveWithin: Target })),
    calendarOf: perSeverity(z.string().min(1)),
    calendars: z.record(z.string(), StoredCalendar),
    followUp: z.strictObject({ after: Target, recoveryCallAfter: Target, healthCheckAfter: Target }),
    review: z.strictObject({ within: Target, calendar: z.string().min(1) }),
    calendarsInAccountZone: z.array(z.string().min(1)),
  }) satisfies z.ZodType<SlaPolicy>;
}

/** Also part of the stored case's schema (functions/adapters/stored-items.ts): one parser of the policy. */
export const StoredPolicy = z.lazy(storedPolicy);
