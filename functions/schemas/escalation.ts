import * as z from 'zod';
import { isValidTimeZone } from '../domain/business-calendar';
import { LIST_ORDERS } from '../domain/listing';
import { MAX_SCORE, MIN_SCORE } from '../domain/survey';
import { CHANNELS, EVENT_TYPES, ITEM_STATUSES, OUTCOMES, SEGMENTS, SEVERITIES, STATUSES, TRIGGERS, type Trigger } from '../domain/vocabulary';

// Request and response shapes of the HTTP API. The OpenAPI document is generated
// from these (functions/schemas/openapi.ts), so every field's doc lives here.

export const isoInstant = () => z.iso.datetime({ offset: true }).describe('ISO 8601 instant, e.g. 2026-05-04T09:30:00Z');
const text = (max: number) => z.string().trim().min(1).max(max);
/** Values that can end up in an email header (subject, display name): CR/LF would inject headers. */
const singleLine = (max: number) =>
  text(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be a single line: no line breaks or control characters');

// One rule for what a time zone is, the calendar's (the playbook's zones are checked by it too).
const ianaTimeZone = z.string().refine(isValidTimeZone, 'expected an IANA time zone such as "Europe/Berlin"');

/** An email address as RFC 5321 bounds it (254 characters): it becomes part of keys and of email headers. */
export const EmailAddress = z.email().max(254);

export const Contact = z.strictObject({
  email: EmailAddress,
  name: singleLine(200).optional(),
  role: singleLine(100).optional().describe('the contact\'s role at the customer, e.g. "CTO"'),
  phone: text(50).optional(),
});

export type Contact = z.output<typeof Contact>;

export const Customer = z.strictObject({
  accountId: singleLine(128),
  name: singleLine(200),
  segment: z.enum(SEGMENTS).optional(),
  arr: z.number().nonnegative().max(1e12).optional().describe('annual recurring revenue, in the account currency'),
  healthScore: z.number().int().min(0).max(100).optional(),
  renewalDate: z.iso.date().optional(),
  timezone: ianaTimeZone.optional().describe('the account\'s IANA time zone: business-hours calendars count in it, and deadlines are shown in it'),
  contacts: z
    .array(Contact)
    .min(1)
    .max(20)
    .superRefine((contacts, ctx) => {
      // One contact per address: the case would email it twice, and the contact directory holds one entry per address.
      const seen = new Set<string>();
      contacts.forEach((contact, index) => {
        const address = contact.email.toLowerCase();
        if (seen.has(address)) ctx.addIssue({ code: 'custom', path: [index, 'email'], message: `${contact.email} is listed twice (addresses are compared without case)` });
        seen.add(address);
      });
    }),
});

/** The id of an escalation or an incident in a path: a UUID, as the API hands them out. */
export const ResourceId = z.uuid('expected an id this API returned (a UUID)');
export const IdPath = z.object({ id: ResourceId });

/** A client clock may run slightly ahead; the domain takes such a reportedAt as now. */
const REPORTED_AT_SKEW_MS = 5 * 60_000;

export const CreateEscalationRequest = z.strictObject({
  customer: Customer,
  reportedAt: isoInstant()
    .refine((instant) => !(Date.parse(instant) > Date.now() + REPORTED_AT_SKEW_MS), 'reportedAt cannot be in the future')
    .optional()
    .describe('when the customer raised it (default: now); every SLA clock starts here'),
  title: singleLine(200),
  description: text(10_000).optional(),
  businessImpact: text(4_000).optional(),
  alreadyTried: text(4_000).optional(),
  neededBy: isoInstant().optional().describe('when the customer needs a resolution by'),
  severity: z.enum(SEVERITIES),
  triggers: z
    .array(z.enum(TRIGGERS as [Trigger, ...Trigger[]]))
    .max(TRIGGERS.length)
    .refine((list) => new Set(list).size === list.length, 'each trigger may appear once')
    .default([]),
  executiveInvolved: z.boolean().default(false).describe('a customer executive is involved in the escalation'),
  channel: z.enum(CHANNELS).default('api'),
});
export type CreateEscalationInput = z.output<typeof CreateEscalationRequest>;

/**
 * The account facts a PATCH may change: each field sent replaces the stored one (contacts: the
 * whole list, unique and bounded as at intake). The account's id and name stay as at intake.
 */
export const CustomerChanges = z
  .strictObject({
    contacts: Customer.shape.contacts.optional().describe('the whole new list of contacts; the next customer email goes to them'),
    segment: Customer.shape.segment,
    arr: Customer.shape.arr,
    healthScore: Customer.shape.healthScore,
    renewalDate: Customer.shape.renewalDate,
    timezone: Customer.shape.timezone.describe('the account\'s IANA time zone; a change re-counts the open deadlines of business-hours calendars in it'),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'nothing to change in customer: send at least one of contacts, segment, arr, healthScore, renewalDate, timezone');
export type CustomerChangesInput = z.output<typeof CustomerChanges>;

export const PatchEscalationRequest = z
  .strictObject({
    title: singleLine(200).optional(),
    description: text(10_000).optional(),
    businessImpact: text(4_000).optional(),
    alreadyTried: text(4_000).optional(),
    neededBy: isoInstant().optional(),
    severity: z.enum(SEVERITIES).optional(),
    triggers: CreateEscalationRequest.shape.triggers.unwrap().optional(),
    executiveInvolved: z.boolean().optional(),
    customer: CustomerChanges.optional(),
    reason: text(2_000).optional().describe('why; required when the severity changes'),
  })
  .refine((patch) => Object.keys(patch).some((key) => key !== 'reason'), 'nothing to change: send at least one field')
  .refine((patch) => patch.severity === undefined || patch.reason !== undefined, {
    message: 'a severity change needs a reason',
    path: ['reason'],
  });
export type PatchEscalationInput = z.output<typeof PatchEscalationRequest>;

/** A team name as the playbook spells teams (product, qa, sales, support, engineering, or one it adds). */
const TeamName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a team name such as "product" or "qa"').max(64);
const DueDate = z.iso.date().describe('the day it is due, YYYY-MM-DD (in the review calendar\'s time zone); its owner is reminded when it has passed unfinished');

export const ImprovementItemRequest = z.strictObject({
  team: TeamName.describe('who carries it out: product, qa, sales, support, engineering, or a team the playbook adds (review.extraTeams)'),
  owner: EmailAddress.describe('the person who delivers it: their email address, where the overdue reminder goes'),
  title: singleLine(300),
  due: DueDate,
});

export const ReviewRequest = z.strictObject({
  rootCause: text(4_000),
  wentWell: text(4_000),
  communicationGaps: text(4_000),
  processFixes: text(4_000),
  concession: text(2_000).optional().describe('what the customer was offered to make up for it (a credit, a discount); leave it out when nothing was'),
  items: z.array(ImprovementItemRequest).max(20).default([]).describe('the improvement plan: one item per action, handed to a team'),
});

export const ImprovementItemPatch = z
  .strictObject({
    status: z.enum(ITEM_STATUSES).optional().describe('open, in_progress, done or wont_do; done and wont_do end its reminders'),
    owner: EmailAddress.optional(),
    title: singleLine(300).optional(),
    team: TeamName.optional(),
    due: DueDate.optional(),
    note: text(2_000).optional().describe('where it stands, in a sentence'),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change: send at least one of status, owner, title, team, due, note');
export type ImprovementItemChanges = z.output<typeof ImprovementItemPatch>;

/** An improvement item in a path: the case's id and the item's. */
export const ItemPath = z.object({ id: ResourceId, itemId: ResourceId });

// One body schema per lifecycle action; the action name is the path segment.
export const ActionRequests = {
  acknowledge: z.strictObject({
    owner: singleLine(200).optional().describe('who owns the case from now on; defaults to the caller'),
    message: text(4_000).optional().describe('what the customer is told'),
  }),
  updates: z.strictObject({
    message: text(10_000).describe('what we know, what we do not know yet, and the workaround'),
    nextUpdateBy: isoInstant().optional().describe('the time promised for the next update; defaults to the severity cadence'),
  }),
  escalate: z.strictObject({ reason: text(2_000) }),
  assign: z.strictObject({
    owner: EmailAddress.describe('who takes the case over: their email address, where the handoff email goes'),
    reason: text(2_000).describe('why the case changes hands; the new owner reads it in the handoff'),
  }),
  resolve: z.strictObject({ rootCause: text(4_000), fix: text(4_000), prevention: text(4_000) }),
  'out-of-scope': z.strictObject({ reason: text(4_000), guidance: text(4_000) }),
  pause: z.strictObject({ reason: text(2_000) }),
  resume: z.strictObject({ note: text(2_000).optional() }),
  reopen: z.strictObject({ reason: text(2_000) }),
  close: z.strictObject({ outcome: z.enum(OUTCOMES).optional(), note: text(4_000).optional() }),
  notes: z.strictObject({ text: text(10_000) }),
  're-evaluate': z.strictObject({ reason: text(2_000).describe('why the case should run on the playbook as it is now') }),
  review: ReviewRequest,
} as const;
export type ActionName = keyof typeof ActionRequests;
export type ActionInput<A extends ActionName> = z.output<(typeof ActionRequests)[A]>;
export const ACTION_NAMES = Object.keys(ActionRequests) as ActionName[];

/** A query-string flag: exactly "true" or "false". */
const flag = () => z.enum(['true', 'false']).transform((value) => value === 'true');

export const ListEscalationsQuery = z
  .strictObject({
    status: z
      .string()
      .transform((list) => [...new Set(list.split(',').map((status) => status.trim()))])
      .pipe(z.array(z.enum(STATUSES)).min(1))
      .optional()
      .describe('one status, or several separated by commas (status=open,acknowledged); repeating the parameter does the same'),
    active: flag().optional().describe('true: every status but resolved, closed and out_of_scope; false: only those three. Not together with status'),
    severity: z.enum(SEVERITIES).optional(),
    accountId: text(128).optional(),
    owner: text(200).optional(),
    tier: z.coerce.number().int().min(0).max(20).optional().describe('the ladder tier the case is at (0: the owning team)'),
    breached: flag().optional().describe('true: at least one deadline breach was recorded on the case; false: none'),
    createdFrom: isoInstant().optional().describe('created at or after this instant'),
    createdTo: isoInstant().optional().describe('created at or before this instant'),
    updatedSince: isoInstant().optional().describe('changed at or after this instant'),
    sort: z
      .enum(LIST_ORDERS)
      .optional()
      .describe(
        'deadline: most urgent pending deadline first (the statuses asked for, all active ones when none); created: newest first; updated: most recently changed first. Default: deadline when status or active is given (without accountId or owner), updated when updatedSince is, otherwise created',
      ),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2_000).optional().describe('the nextCursor of the previous page, with the same filters'),
  })
  .superRefine((query, ctx) => {
    if (query.status !== undefined && query.active !== undefined) ctx.addIssue({ code: 'custom', path: ['active'], message: 'send status or active, not both' });
    if (query.createdFrom && query.createdTo && Date.parse(query.createdFrom) > Date.parse(query.createdTo)) {
      ctx.addIssue({ code: 'custom', path: ['createdFrom'], message: 'createdFrom is after createdTo' });
    }
  });
export type ListEscalationsParams = z.output<typeof ListEscalationsQuery>;

export const TimelineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(100),
  cursor: z.string().max(2_000).optional(),
});

export const Deadlines = z.object({
  acknowledgeBy: isoInstant(),
  nextUpdateBy: isoInstant(),
  resolveBy: isoInstant(),
  followUpAt: isoInstant().optional(),
  reviewBy: isoInstant().optional().describe('after the resolution: when the blameless review is due'),
});

const localInstant = () => z.string().describe('the same instant with the offset of a time zone, e.g. 2026-03-09T12:00:00+01:00');

export const DeadlineExplanation = z.object({
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
});

export const DeadlineExplanations = z.object({
  acknowledgeBy: DeadlineExplanation,
  nextUpdateBy: DeadlineExplanation,
  resolveBy: DeadlineExplanation,
  followUpAt: DeadlineExplanation.optional(),
  reviewBy: DeadlineExplanation.optional(),
});

export const ImprovementItemView = z.object({
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
});

export const ReviewView = z.object({
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
});

export const PauseView = z.object({
  from: isoInstant(),
  to: isoInstant().optional().describe('absent while still paused'),
  by: z.string().optional().describe('who paused the clock'),
  reason: z.string().optional(),
  resumedBy: z.string().optional(),
  pausedMs: z.number().int().optional().describe('wall-clock length; absent while still paused'),
});

export const EscalationView = z.object({
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
  customer: Customer.extend({ contacts: z.array(Contact).max(20).describe('who gets the customer updates; empty once the account\'s personal data was erased (erasedAt)') }),
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
});
export type EscalationBody = z.output<typeof EscalationView>;

export const TimelineEventView = z.object({
  seq: z.string().describe('orders events within the case'),
  type: z.enum(EVENT_TYPES),
  at: isoInstant(),
  actor: z.string(),
  summary: z.string(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const ListEscalationsResponse = z.object({
  items: z.array(EscalationView),
  nextCursor: z.string().optional(),
});

export const TimelineResponse = z.object({
  items: z.array(TimelineEventView),
  nextCursor: z.string().optional(),
});
