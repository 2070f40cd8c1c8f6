import * as z from 'zod';
import { isValidTimeZone } from '../domain/business-calendar';
import { LIST_ORDERS } from '../domain/listing';
import type { ActionInputs, ActionName, EscalationEdits, NewEscalation } from '../domain/commands';
import type { SameShape } from '../support/same-shape';
import { CHANNELS, ITEM_STATUSES, OUTCOMES, SEGMENTS, SEVERITIES, STATUSES, TRIGGERS, type Trigger } from '../domain/vocabulary';

// Request shapes of the HTTP API. The OpenAPI document is generated from these and from the
// response shapes (functions/schemas/views.ts), so every field's doc lives here.
//
// Every exported schema is a z.lazy: it is built the first time something parses with it (or
// the OpenAPI document reads it), not when a handler's bundle is loaded. A zod schema costs
// its construction (a few microseconds per node, hundreds of nodes here), and a function
// parses one or two of these: its cold start builds none, its first request only its own
// (docs/performance.md). The builders below make fresh nodes on each call, so shared parts
// (a customer in intake and in a PATCH) stay independent schemas, as z.lazy needs nothing else.

/** Also the instants of the response shapes (functions/schemas/views.ts). */
export const isoInstant = () => z.iso.datetime({ offset: true }).describe('ISO 8601 instant, e.g. 2026-05-04T09:30:00Z');
const text = (max: number) => z.string().trim().min(1).max(max);
/** Values that can end up in an email header (subject, display name): CR/LF would inject headers. */
const singleLine = (max: number) =>
  text(max).regex(/^[^\u0000-\u001f\u007f]*$/, 'must be a single line: no line breaks or control characters');

// One rule for what a time zone is, the calendar's (the playbook's zones are checked by it too).
const ianaTimeZone = () => z.string().refine(isValidTimeZone, 'expected an IANA time zone such as "Europe/Berlin"');

/** An email address as RFC 5321 bounds it (254 characters): it becomes part of keys and of email headers. */
export const emailAddress = () => z.email().max(254);

export const contact = () =>
  z.strictObject({
    email: emailAddress(),
    name: singleLine(200).optional(),
    role: singleLine(100).optional().describe('the contact\'s role at the customer, e.g. "CTO"'),
    phone: text(50).optional(),
  });

/** The account facts, field by field: intake takes them all, a PATCH (CustomerChanges) some. */
export const customerFields = () => ({
  accountId: singleLine(128),
  name: singleLine(200),
  segment: z.enum(SEGMENTS).optional(),
  arr: z.number().nonnegative().max(1e12).optional().describe('annual recurring revenue, in the account currency'),
  healthScore: z.number().int().min(0).max(100).optional(),
  renewalDate: z.iso.date().optional(),
  timezone: ianaTimeZone().optional().describe('the account\'s IANA time zone: business-hours calendars count in it, and deadlines are shown in it'),
  contacts: z
    .array(contact())
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

export const Customer = z.lazy(() => z.strictObject(customerFields()));

/** The id of an escalation or an incident in a path: a UUID, as the API hands them out. */
export const ResourceId = z.lazy(() => z.uuid('expected an id this API returned (a UUID)'));
export const IdPath = z.lazy(() => z.object({ id: ResourceId }));

/** A client clock may run slightly ahead; the domain takes such a reportedAt as now. */
const REPORTED_AT_SKEW_MS = 5 * 60_000;

const triggerList = () =>
  z
    .array(z.enum(TRIGGERS as [Trigger, ...Trigger[]]))
    .max(TRIGGERS.length)
    .refine((list) => new Set(list).size === list.length, 'each trigger may appear once');

export const CreateEscalationRequest = z.lazy(() =>
  z.strictObject({
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
    triggers: triggerList().default([]),
    executiveInvolved: z.boolean().default(false).describe('a customer executive is involved in the escalation'),
    channel: z.enum(CHANNELS).default('api'),
  }),
);

/**
 * The account facts a PATCH may change: each field sent replaces the stored one (contacts: the
 * whole list, unique and bounded as at intake). The account's id and name stay as at intake.
 */
const customerChanges = () => {
  const fields = customerFields();
  return z
    .strictObject({
      contacts: fields.contacts.optional().describe('the whole new list of contacts; the next customer email goes to them'),
      segment: fields.segment,
      arr: fields.arr,
      healthScore: fields.healthScore,
      renewalDate: fields.renewalDate,
      timezone: fields.timezone.describe('the account\'s IANA time zone; a change re-counts the open deadlines of business-hours calendars in it'),
    })
    .refine((changes) => Object.keys(changes).length > 0, 'nothing to change in customer: send at least one of contacts, segment, arr, healthScore, renewalDate, timezone');
};

export const PatchEscalationRequest = z.lazy(() =>
  z
    .strictObject({
      title: singleLine(200).optional(),
      description: text(10_000).optional(),
      businessImpact: text(4_000).optional(),
      alreadyTried: text(4_000).optional(),
      neededBy: isoInstant().optional(),
      severity: z.enum(SEVERITIES).optional(),
      triggers: triggerList().optional(),
      executiveInvolved: z.boolean().optional(),
      customer: customerChanges().optional(),
      reason: text(2_000).optional().describe('why; required when the severity changes'),
    })
    .refine((patch) => Object.keys(patch).some((key) => key !== 'reason'), 'nothing to change: send at least one field')
    .refine((patch) => patch.severity === undefined || patch.reason !== undefined, {
      message: 'a severity change needs a reason',
      path: ['reason'],
    }),
);

/** A team name as the playbook spells teams (product, qa, sales, support, engineering, or one it adds). */
const teamName = () => z.string().regex(/^[a-z][a-z0-9_]*$/, 'a team name such as "product" or "qa"').max(64);
const dueDate = () => z.iso.date().describe('the day it is due, YYYY-MM-DD (in the review calendar\'s time zone); its owner is reminded when it has passed unfinished');

const improvementItemRequest = () =>
  z.strictObject({
    team: teamName().describe('who carries it out: product, qa, sales, support, engineering, or a team the playbook adds (review.extraTeams)'),
    owner: emailAddress().describe('the person who delivers it: their email address, where the overdue reminder goes'),
    title: singleLine(300),
    due: dueDate(),
  });

export const ReviewRequest = z.lazy(() =>
  z.strictObject({
    rootCause: text(4_000),
    wentWell: text(4_000),
    communicationGaps: text(4_000),
    processFixes: text(4_000),
    concession: text(2_000).optional().describe('what the customer was offered to make up for it (a credit, a discount); leave it out when nothing was'),
    items: z.array(improvementItemRequest()).max(20).default([]).describe('the improvement plan: one item per action, handed to a team'),
  }),
);

export const ImprovementItemPatch = z.lazy(() =>
  z
    .strictObject({
      status: z.enum(ITEM_STATUSES).optional().describe('open, in_progress, done or wont_do; done and wont_do end its reminders'),
      owner: emailAddress().optional(),
      title: singleLine(300).optional(),
      team: teamName().optional(),
      due: dueDate().optional(),
      note: text(2_000).optional().describe('where it stands, in a sentence'),
    })
    .refine((patch) => Object.keys(patch).length > 0, 'nothing to change: send at least one of status, owner, title, team, due, note'),
);
export type ImprovementItemChanges = z.output<typeof ImprovementItemPatch>;

/** An improvement item in a path: the case's id and the item's. */
export const ItemPath = z.lazy(() => z.object({ id: ResourceId, itemId: ResourceId }));

// One body schema per lifecycle action; the action name is the path segment.
const actionRequests = {
  acknowledge: z.lazy(() =>
    z.strictObject({
      owner: singleLine(200).optional().describe('who owns the case from now on; defaults to the caller'),
      message: text(4_000).optional().describe('what the customer is told'),
    }),
  ),
  updates: z.lazy(() =>
    z.strictObject({
      message: text(10_000).describe('what we know, what we do not know yet, and the workaround'),
      nextUpdateBy: isoInstant().optional().describe('the time promised for the next update; defaults to the severity cadence'),
    }),
  ),
  escalate: z.lazy(() => z.strictObject({ reason: text(2_000) })),
  assign: z.lazy(() =>
    z.strictObject({
      owner: emailAddress().describe('who takes the case over: their email address, where the handoff email goes'),
      reason: text(2_000).describe('why the case changes hands; the new owner reads it in the handoff'),
    }),
  ),
  resolve: z.lazy(() => z.strictObject({ rootCause: text(4_000), fix: text(4_000), prevention: text(4_000) })),
  'out-of-scope': z.lazy(() => z.strictObject({ reason: text(4_000), guidance: text(4_000) })),
  pause: z.lazy(() => z.strictObject({ reason: text(2_000) })),
  resume: z.lazy(() => z.strictObject({ note: text(2_000).optional() })),
  reopen: z.lazy(() => z.strictObject({ reason: text(2_000) })),
  close: z.lazy(() => z.strictObject({ outcome: z.enum(OUTCOMES).optional(), note: text(4_000).optional() })),
  notes: z.lazy(() => z.strictObject({ text: text(10_000) })),
  're-evaluate': z.lazy(() => z.strictObject({ reason: text(2_000).describe('why the case should run on the playbook as it is now') })),
  review: z.lazy(() => ReviewRequest),
} as const;

// Each request parses to exactly the command the rules read (functions/domain/commands.ts):
// a field added on one side only fails the build here.
type ParsedActions = { [A in keyof typeof actionRequests]: z.output<(typeof actionRequests)[A]> };
const parsedToCommands: [
  SameShape<z.output<typeof CreateEscalationRequest>, NewEscalation>,
  SameShape<z.output<typeof PatchEscalationRequest>, EscalationEdits>,
  SameShape<ParsedActions, ActionInputs>,
] = [true, true, true];
void parsedToCommands;

/** Typed by the command each one parses to, so an action's handler hands the rules that command. */
export const ActionRequests: { readonly [A in ActionName]: z.ZodType<ActionInputs[A]> } = actionRequests;
export const ACTION_NAMES = Object.keys(ActionRequests) as ActionName[];

/** A query-string flag: exactly "true" or "false". */
const flag = () => z.enum(['true', 'false']).transform((value) => value === 'true');

export const ListEscalationsQuery = z.lazy(() =>
  z
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
    }),
);
export type ListEscalationsParams = z.output<typeof ListEscalationsQuery>;

export const TimelineQuery = z.lazy(() =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(200).default(100),
    cursor: z.string().max(2_000).optional(),
  }),
);
