import * as z from 'zod';
import { MAX_SCORE, MIN_SCORE } from '../domain/survey';
import { CHANNELS, EVENT_TYPES, ITEM_STATUSES, OUTCOMES, SEVERITIES, STATUSES, TRIGGERS, type Trigger } from '../domain/vocabulary';
import { ActionRequests, contact, customerFields, isoInstant } from './escalation';

// Response shapes of the HTTP API, for the OpenAPI document (functions/http/openapi.ts) only:
// the handlers answer with functions/http/views.ts and never parse their own answers. Lazy like
// the request shapes (functions/schemas/escalation.ts): built when the document is.

export const Deadlines = z.lazy(() =>
  z.object({
    acknowledgeBy: isoInstant(),
    nextUpdateBy: isoInstant(),
    resolveBy: isoInstant(),
    followUpAt: isoInstant().optional(),
    reviewBy: isoInstant().optional().describe('after the resolution: when the blameless review is due'),
  }),
);

const localInstant = () => z.string().describe('the same instant with the offset of a time zone, e.g. 2026-03-09T12:00:00+01:00');

export const DeadlineExplanation = z.lazy(() =>
  z.object({
    at: isoInstant().describe('the deadline, UTC'),
    atLocal: localInstant().describe('the deadline in the account\'s time zone'),
    timeZone: z.string().describe('the account\'s time zone'),
    calendar: z.object({
      name: z.string(),
      timeZone: z.string().describe('the zone the calendar\'s hours are read in'),
      hours: z.string().describe('e.g. "Mon–Fri 09:00–17:00" or "24×7"'),
      alwaysOpen: z.boolean(),
    }),
    method: z
      .enum(['working_time', 'working_days', 'promised'])
      .describe(
        'which rule counted: working_time, an hour or minute target (or a day target on a 24×7 calendar) counted in working time; ' +
          'working_days, a whole-day target on a business calendar: the same local time on the Nth next working day, or the next working moment after it; ' +
          'promised, a sooner update promised to the customer',
      ),
    countedFrom: isoInstant().describe('where the count starts: intake, the acknowledgement clock, the last update, or the resolution'),
    countedFromLocal: localInstant(),
    target: z.string().describe('the target as the playbook writes it, e.g. "4h" or "7d"'),
    targetMs: z.number().int().describe('the working time the target stood for from countedFrom; for working days, the working time those days held'),
    workingDays: z
      .object({
        days: z.number().int(),
        countedFromLocal: localInstant().describe('the first working moment at or after the start, where the day count began'),
        day: z.iso.date().describe('the Nth next working day, in the calendar\'s zone'),
        sameTimeLocal: localInstant().describe('that day at the wall time the count began at, before any move to the next working moment'),
      })
      .optional()
      .describe('working_days only: how the days were counted'),
    counted: z.array(z.object({ from: localInstant(), to: localInstant(), ms: z.number().int() })).describe('the working stretches counted, in the calendar\'s zone'),
    pausesSkipped: z.array(
      z.object({ from: localInstant(), to: localInstant(), workingMs: z.number().int(), by: z.string().optional(), reason: z.string().optional() }),
    ),
    holidaysSkipped: z.array(z.iso.date()),
    summary: z.string(),
  }),
);

export const DeadlineExplanations = z.lazy(() =>
  z.object({
    acknowledgeBy: DeadlineExplanation,
    nextUpdateBy: DeadlineExplanation,
    resolveBy: DeadlineExplanation,
    followUpAt: DeadlineExplanation.optional(),
    reviewBy: DeadlineExplanation.optional(),
  }),
);

export const ImprovementItemView = z.lazy(() =>
  z.object({
    id: z.string().describe('address it at /escalations/{id}/review/items/{itemId}'),
    team: z.string(),
    owner: z.string(),
    title: z.string(),
    due: z.iso.date(),
    status: z.enum(ITEM_STATUSES),
    overdueAt: isoInstant().describe('when an unfinished item counts as overdue and its owner is reminded: the first working moment after its due day'),
    version: z.number().int().describe('the item\'s own ETag: send it as If-Match to update the item'),
    note: z.string().optional(),
    updatedAt: isoInstant(),
    updatedBy: z.string(),
  }),
);

export const ReviewView = z.lazy(() =>
  z.object({
    rootCause: z.string(),
    wentWell: z.string(),
    communicationGaps: z.string(),
    processFixes: z.string(),
    concessionOffered: z.boolean(),
    concession: z.string().optional(),
    items: z.array(ImprovementItemView),
    recordedAt: isoInstant(),
    recordedBy: z.string(),
    dueBy: isoInstant(),
    onTime: z.boolean(),
  }),
);

export const PauseView = z.lazy(() =>
  z.object({
    from: isoInstant(),
    to: isoInstant().optional().describe('absent while still paused'),
    by: z.string().optional().describe('who paused the clock'),
    reason: z.string().optional(),
    resumedBy: z.string().optional(),
    pausedMs: z.number().int().optional().describe('wall-clock length; absent while still paused'),
  }),
);

export const EscalationView = z.lazy(() =>
  z.object({
    id: z.string(),
    version: z.number().int(),
    status: z.enum(STATUSES),
    severity: z.enum(SEVERITIES),
    tier: z.number().int().describe('0 is the owning team; each step up the ladder adds one'),
    breaches: z.number().int().describe('deadline breaches the workflow recorded on this case (list with breached=true)'),
    triggers: z.array(z.enum(TRIGGERS as [Trigger, ...Trigger[]])),
    channel: z.enum(CHANNELS),
    executiveInvolved: z.boolean(),
    title: z.string(),
    description: z.string().optional(),
    businessImpact: z.string().optional(),
    alreadyTried: z.string().optional(),
    neededBy: isoInstant().optional(),
    // The contacts as stored: an erased account's case keeps none.
    customer: z.strictObject({ ...customerFields(), contacts: z.array(contact()).max(20).describe('who gets the customer updates; empty once the account\'s personal data was erased (erasedAt)') }),
    owner: z.string().optional(),
    routedTo: z.array(z.string()).describe('playbook roles working the case'),
    deadlines: Deadlines,
    deadlineExplanations: DeadlineExplanations.describe('how each deadline was computed'),
    sla: z.object({
      pausedMs: z.number().int().describe('total time the clock has been paused'),
      pausedSince: isoInstant().optional(),
      pauses: z.array(PauseView).describe('every pause: who, why, from, to'),
      calendar: z.string().describe('the calendar the severity counts in'),
      timeZone: z.string().describe('the account\'s time zone'),
      targets: z
        .object({ acknowledgeWithin: z.string(), updateEvery: z.string(), resolveWithin: z.string() })
        .describe('as the playbook writes them: hours and minutes ("4h") count working time; whole days ("7d") count working days on a business calendar, 24 h each on 24×7'),
      policyTakenAt: isoInstant().describe('when the targets and calendar were taken from the playbook (intake or re-evaluation)'),
    }),
    reportedAt: isoInstant().describe('when the customer raised it; the SLA clocks start here'),
    createdAt: isoInstant(),
    updatedAt: isoInstant(),
    acknowledgedAt: isoInstant().optional(),
    resolvedAt: isoInstant().optional(),
    closedAt: isoInstant().optional(),
    resolution: ActionRequests.resolve.optional(),
    outcome: z.enum(OUTCOMES).optional(),
    reopenCount: z.number().int(),
    incidentId: z.string().optional().describe('the incident this case is part of (GET /incidents/{id}), when one problem hits many customers'),
    satisfaction: z
      .object({ score: z.number().int().min(MIN_SCORE).max(MAX_SCORE), at: isoInstant() })
      .optional()
      .describe('the score the customer gave in the follow-up survey, once recorded'),
    review: ReviewView.optional().describe('the blameless review and its improvement plan, once recorded'),
    sponsor: z.string().optional().describe('the account\'s executive sponsor, who got the case from intake'),
    retainUntil: isoInstant().optional().describe('set when the case closes: it and everything stored with it is deleted after this instant'),
    erasedAt: isoInstant().optional().describe('when the account\'s personal data was erased from this case'),
  }),
);
export type EscalationBody = z.output<typeof EscalationView>;

export const TimelineEventView = z.lazy(() =>
  z.object({
    seq: z.string().describe('orders events within the case'),
    type: z.enum(EVENT_TYPES),
    at: isoInstant(),
    actor: z.string(),
    summary: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
);

export const ListEscalationsResponse = z.lazy(() =>
  z.object({
    items: z.array(EscalationView),
    nextCursor: z.string().optional(),
  }),
);

export const TimelineResponse = z.lazy(() =>
  z.object({
    items: z.array(TimelineEventView),
    nextCursor: z.string().optional(),
  }),
);
