import * as z from 'zod';
import { isValidTimeZone, minutesOf, WEEKDAYS } from '../domain/business-calendar';
import { SEVERITIES, TEAMS, TRIGGERS, TRIGGER_CATEGORIES, type Trigger, type TriggerCategory } from '../domain/vocabulary';
import type { Playbook } from '../domain/playbook';
import type { SameShape } from '../support/same-shape';
import { elapsedTime, target } from './duration';

export const DEFAULT_WARNING_PERCENT = 75;
/** Where a role's internal alerts are also posted: a Slack or Microsoft Teams incoming webhook whose URL is a secret. */
export const CHAT_KINDS = ['slack', 'teams'] as const;

// Built on first use (z.lazy), like every schema a handler does not need at cold start: the
// playbook is parsed when a handler first reads it (functions/adapters/container.ts), and CDK
// has parsed it with the same loader at synth (lib/playbook-bundle.ts), so a bad file never deploys.
function playbookSchema() {
  const Role = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a role is a snake_case name such as "support_lead"');

  /**
   * When the people on a case hear that a deadline is near, as percentages of its target's working
   * time (functions/domain/warnings.ts): [75] warns when three quarters of it are spent, [50, 90]
   * twice, [] never. Each kind defaults on its own, so a playbook can change one and keep the others.
   */
  const WarningShares = z
    .array(z.number().int('a warning is a whole percentage of the target, 1–99').min(1).max(99))
    .refine((shares) => new Set(shares).size === shares.length, 'each percentage once');
  const WarnAtPercent = z
    .strictObject({
      acknowledge: WarningShares.default([DEFAULT_WARNING_PERCENT]),
      update: WarningShares.default([DEFAULT_WARNING_PERCENT]),
      resolve: WarningShares.default([DEFAULT_WARNING_PERCENT]),
    })
    .default({ acknowledge: [DEFAULT_WARNING_PERCENT], update: [DEFAULT_WARNING_PERCENT], resolve: [DEFAULT_WARNING_PERCENT] });

  const SeverityPolicy = z.strictObject({
    acknowledgeWithin: target(),
    updateEvery: target(),
    resolveWithin: target(),
    involve: z.array(Role).min(1),
    warnAtPercent: WarnAtPercent,
  });

  const RoutingCondition = z
    .strictObject({
      anyTrigger: z.array(z.enum(TRIGGERS as [Trigger, ...Trigger[]])).min(1).optional(),
      anyCategory: z.array(z.enum(Object.keys(TRIGGER_CATEGORIES) as [TriggerCategory, ...TriggerCategory[]])).min(1).optional(),
      executiveInvolved: z.literal(true).optional(),
      unresolvedFor: target().optional(),
    })
    .refine((when) => Object.keys(when).length > 0, 'a routing condition needs at least one of anyTrigger, anyCategory, executiveInvolved, unresolvedFor');

  const RoutingRule = z.strictObject({
    name: z.string().min(1),
    when: RoutingCondition,
    routeTo: z.array(Role).min(1),
  });

  const Email = z.email();

  /**
   * A Secrets Manager secret by name (its value is the incoming-webhook URL): the characters
   * Secrets Manager allows in a name, no ARN (CDK grants the name's ARN with its random suffix).
   */
  const SecretName = z
    .string()
    .regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/, 'a Secrets Manager secret name such as "escalation-api/chat/support-lead" (letters, digits and /_+=.@-, not an ARN)')
    .refine((name) => !/-[A-Za-z0-9]{6}$/.test(name), 'a secret name must not end in a hyphen and six characters: Secrets Manager could not tell it from the random suffix of an ARN');

  const ChatTarget = z.strictObject({
    kind: z.enum(CHAT_KINDS, { error: 'kind is "slack" (Block Kit) or "teams" (Adaptive Card)' }),
    secret: SecretName,
  });

  /** A team an improvement item goes to, beyond the built-in ones (functions/domain/vocabulary.ts TEAMS). */
  const Team = z.string().regex(/^[a-z][a-z0-9_]*$/, 'a team is a snake_case name such as "customer_education"');

  const TimeZone = z.string().refine(isValidTimeZone, 'expected an IANA time zone such as "Europe/Berlin" or "UTC"');
  const WallTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a wall time "HH:MM" (00:00–23:59)');
  const ClosingTime = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a wall time "HH:MM" (00:01–24:00)');
  const WorkingInterval = z
    .tuple([WallTime, ClosingTime])
    .refine(([start, end]) => minutesOf(start) < minutesOf(end), 'an interval must end after it starts, on the same day (split one that runs past midnight)');
  const DayHours = z.array(WorkingInterval).superRefine((intervals, ctx) => {
    intervals.forEach((interval, i) => {
      const previous = intervals[i - 1];
      if (previous && minutesOf(interval[0]) < minutesOf(previous[1])) {
        ctx.addIssue({ code: 'custom', path: [i], message: `intervals must be in order and must not overlap: ${interval.join('–')} starts before ${previous.join('–')} ends` });
      }
    });
  });
  const Week = z.strictObject(Object.fromEntries(WEEKDAYS.map((day) => [day, DayHours.optional()])) as Record<(typeof WEEKDAYS)[number], z.ZodOptional<typeof DayHours>>);
  const CalendarName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a calendar name is letters, digits, "_", "-" or "." such as "business" or "24x7"');

  /** When an SLA clock runs. A deadline counts only the calendar's working time. */
  const CalendarConfig = z
    .strictObject({
      /** Every hour of every day counts (24×7). */
      alwaysOpen: z.literal(true).optional(),
      /** The zone the hours and holidays are read in; absent: the account's zone, else teamTimeZone. */
      timeZone: TimeZone.optional(),
      week: Week.optional(),
      holidays: z.array(z.iso.date('expected a date "YYYY-MM-DD"')).default([]),
      /** An iCalendar file (path relative to the playbook file) whose all-day events are holidays too. */
      holidaysIcs: z.string().min(1).optional(),
    })
    .superRefine((calendar, ctx) => {
      if (calendar.alwaysOpen) {
        for (const key of ['week', 'holidaysIcs'] as const) {
          if (calendar[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `an alwaysOpen (24×7) calendar takes no ${key}` });
        }
        if (calendar.holidays.length) ctx.addIssue({ code: 'custom', path: ['holidays'], message: 'an alwaysOpen (24×7) calendar takes no holidays' });
        return;
      }
      const open = Object.values(calendar.week ?? {}).some((hours) => hours && hours.length > 0);
      if (!open) ctx.addIssue({ code: 'custom', path: ['week'], message: 'a calendar needs working hours on at least one weekday (or alwaysOpen: true)' });
    });

  const SeverityCalendars = z.strictObject(
    Object.fromEntries(SEVERITIES.map((s) => [s, CalendarName])) as Record<(typeof SEVERITIES)[number], typeof CalendarName>,
  );
  const AccountCalendars = z.strictObject(
    Object.fromEntries(SEVERITIES.map((s) => [s, CalendarName.optional()])) as Record<(typeof SEVERITIES)[number], z.ZodOptional<typeof CalendarName>>,
  );

  return z
    .strictObject({
      severities: z.strictObject(
        Object.fromEntries(SEVERITIES.map((s) => [s, SeverityPolicy])) as Record<
          (typeof SEVERITIES)[number],
          typeof SeverityPolicy
        >,
      ),
      routing: z.array(RoutingRule),
      /** Tiers above the owning team (tier 0), lowest first. A missed deadline climbs one. */
      ladder: z.array(z.array(Role).min(1)).min(1),
      contacts: z.record(Role, z.array(Email).min(1)),
      /** Roles whose internal alerts are also posted to a chat channel, by role (functions/domain/chat-messages.ts). */
      chat: z.record(Role, ChatTarget).default({}),
      /**
       * Where people open a case, with `{caseId}` in it (a help desk, a console): chat messages link
       * there. Absent: the API's own resource for the case.
       */
      caseLink: z.url({ protocol: /^https?$/ }).refine((link) => link.includes('{caseId}'), 'caseLink must contain {caseId}').optional(),
      followUp: z.strictObject({
        // PLAYBOOK.md §5: 24–48 h after resolution, which a team means as the next day or the one
        // after. Hours would count working time: "24h" on a business calendar is three working days.
        after: target().refine(
          (target) => target.unit === 'days' && target.amount <= 2,
          'the follow-up goes out one or two working days after resolution: "1d" or "2d"',
        ),
        recoveryCallAfter: target(),
        healthCheckAfter: target(),
      }),
      idempotencyWindow: elapsedTime(),
      /** Where the team works: the zone of calendars without one, for accounts without a time zone. */
      teamTimeZone: TimeZone,
      calendars: z.record(CalendarName, CalendarConfig),
      /** Which calendar each severity's SLA clock counts in. */
      severityCalendars: SeverityCalendars,
      /** Per account id: calendars that replace the severity's default. */
      accountCalendars: z.record(z.string().min(1), AccountCalendars).default({}),
      /** The blameless review after a resolution (PLAYBOOK.md §5, step 9). */
      review: z.strictObject({
        /** The review is due this long after the resolution, counted in `calendar`; the owner is reminded then if it is missing. */
        within: target(),
        /** The calendar review deadlines and improvement-item reminders count in (default "business": working days). */
        calendar: CalendarName,
        /** Teams an improvement item may go to besides product, qa, sales, support and engineering. */
        extraTeams: z.array(Team).default([]),
      }),
      /** The executive sponsorship programme (PLAYBOOK.md §4). */
      sponsorship: z.strictObject({
        /** Roles told when a resolved or closed executive escalation proposes the account's enrolment. */
        proposeTo: z.array(Role).min(1),
      }),
      /** How long data is kept. */
      retention: z.strictObject({
        /**
         * Days a closed (or out-of-scope) case is kept, with its timeline and emails, before DynamoDB's
         * TTL deletes it; the inbound mail bucket keeps raw mail no longer than this either.
         */
        closedCaseDays: z.number().int().min(1).max(3_650),
      }),
      /** Who may write on a case by email (functions/domain/inbound.ts). */
      inboundMail: z
        .strictObject({
          /**
           * A reply from an address that is not one of the case's contacts but shares a contact's
           * domain (a colleague at the customer) counts as the customer's. Off by default: a domain
           * many people use (a webmail provider) would let any of them resume the case.
           */
          trustContactDomains: z.boolean().default(false),
        })
        .default({ trustContactDomains: false }),
    })
    .superRefine((playbook, ctx) => {
      const calendarNamed = (name: string | undefined, path: (string | number)[]) => {
        if (name !== undefined && !(name in playbook.calendars)) {
          ctx.addIssue({ code: 'custom', path, message: `no calendar named "${name}" in calendars (known: ${Object.keys(playbook.calendars).join(', ')})` });
        }
      };
      for (const severity of SEVERITIES) calendarNamed(playbook.severityCalendars[severity], ['severityCalendars', severity]);
      calendarNamed(playbook.review.calendar, ['review', 'calendar']);
      for (const [account, overrides] of Object.entries(playbook.accountCalendars)) {
        for (const severity of SEVERITIES) calendarNamed(overrides[severity], ['accountCalendars', account, severity]);
      }
      const known = new Set(Object.keys(playbook.contacts));
      const check = (roles: string[], path: (string | number)[]) =>
        roles.forEach((role, index) => {
          if (!known.has(role)) {
            ctx.addIssue({
              code: 'custom',
              path: [...path, index],
              message: `role "${role}" has no entry in contacts`,
            });
          }
        });
      for (const severity of SEVERITIES) check(playbook.severities[severity].involve, ['severities', severity, 'involve']);
      playbook.routing.forEach((rule, i) => check(rule.routeTo, ['routing', i, 'routeTo']));
      playbook.ladder.forEach((tier, i) => check(tier, ['ladder', i]));
      check(playbook.sponsorship.proposeTo, ['sponsorship', 'proposeTo']);
      for (const role of Object.keys(playbook.chat)) {
        if (!known.has(role)) ctx.addIssue({ code: 'custom', path: ['chat', role], message: `role "${role}" has no entry in contacts: a chat channel receives a role's alerts` });
      }
      playbook.review.extraTeams.forEach((team, i) => {
        if ((TEAMS as readonly string[]).includes(team) || playbook.review.extraTeams.indexOf(team) !== i) {
          ctx.addIssue({ code: 'custom', path: ['review', 'extraTeams', i], message: `team "${team}" is listed already (built in: ${TEAMS.join(', ')})` });
        }
      });
    });
}

export const PlaybookSchema = z.lazy(playbookSchema);

/** The playbook as a team writes it (durations as text). */
export type PlaybookFile = z.input<typeof PlaybookSchema>;

// What the parse produces is the shape the rules read (functions/domain/playbook.ts), both ways:
// a field added to one and not the other fails the build here.
type Parsed = z.output<typeof PlaybookSchema>;
const parsesToTheRulesShape: SameShape<Parsed, Playbook> = true;
void parsesToTheRulesShape;
