import { createHash } from 'node:crypto';
import { nextOpenInstant, startOfDayAfter, type Calendar } from './business-calendar';
import { AlreadyAnsweredError, RuleViolationError } from './errors';
import type { Change, Context, Escalation, TimelineEvent } from './escalation';
import type { ImprovementItem, Review } from './review-record';
import { reviewPolicyOf } from './sla-policy';
import { FINISHED_ITEM_STATUSES, TEAMS, type ItemStatus } from './vocabulary';

// The blameless post-escalation review (PLAYBOOK.md §5, step 9): what caused it, what went
// well, where communication fell short, which process changes, whether a concession was
// offered, and the improvement plan: items handed to teams, each with an owner and a due date.

export type { ImprovementItem, Review } from './review-record';

export interface ReviewInput {
  rootCause: string;
  wentWell: string;
  communicationGaps: string;
  processFixes: string;
  concession?: string | undefined;
  items: { team: string; owner: string; title: string; due: string }[];
}

export interface ItemChanges {
  status?: ItemStatus | undefined;
  owner?: string | undefined;
  title?: string | undefined;
  team?: string | undefined;
  due?: string | undefined;
  note?: string | undefined;
}

/** Every team an item may go to: the playbook's teams besides the usual ones (its review.extraTeams). */
export const teamsOf = (extraTeams: readonly string[]): string[] => [...TEAMS, ...extraTeams];

export const isFinished = (item: Pick<ImprovementItem, 'status'>) => FINISHED_ITEM_STATUSES.includes(item.status);

/**
 * An item's id, derived from the case and its place in the plan: a review decided twice (a
 * write retried after a race) names its items the same way. Formatted as a UUID (version 8,
 * the layout RFC 9562 leaves to the application), as every id in a path is.
 */
export function itemIdOf(caseId: string, index: number): string {
  const hex = createHash('sha256').update(`improvement-item:${caseId}:${index}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * When an item due on `due` is overdue: the day has ended in the calendar's zone, at the next
 * moment the calendar counts. Its owner is reminded then, in working hours like every reminder.
 */
export function overdueInstant(calendar: Calendar, due: string): string {
  return new Date(nextOpenInstant(calendar, startOfDayAfter(due, calendar.timeZone))).toISOString();
}

function assertReviewable(current: Escalation) {
  if (current.erasedAt) throw new RuleViolationError('this escalation\'s personal data was erased; it takes no review');
  if (!current.resolvedAt) throw new RuleViolationError(`a review follows a resolution; this escalation is ${current.status} and was never resolved`);
}

function checkTeam(team: string, extraTeams: readonly string[], field: string) {
  const teams = teamsOf(extraTeams);
  if (!teams.includes(team)) throw new RuleViolationError(`"${team}" is not a team of this playbook (${teams.join(', ')})`, field);
}

function overdueFor(current: Escalation, due: string, ctx: Context, field: string): string {
  const { calendar } = reviewPolicyOf(current.policy);
  const overdueAt = overdueInstant(calendar, due);
  if (Date.parse(overdueAt) <= ctx.now.getTime()) throw new RuleViolationError(`due ${due} has passed already (in ${calendar.timeZone})`, field);
  return overdueAt;
}

function event(type: TimelineEvent['type'], ctx: Context, summary: string, data: Record<string, unknown>): TimelineEvent {
  return { type, at: ctx.now.toISOString(), actor: ctx.actor, summary, data };
}

/** Records the review and its improvement plan, once per case, after the resolution. */
export function recordReview(current: Escalation, input: ReviewInput, ctx: Context): Change {
  assertReviewable(current);
  if (current.review) throw new AlreadyAnsweredError(`the review of this escalation was recorded on ${current.review.recordedAt}; update its items one by one`);
  const now = ctx.now.toISOString();
  const items = input.items.map((item, index): ImprovementItem => {
    checkTeam(item.team, ctx.playbook.review.extraTeams, `items.${index}.team`);
    return {
      id: itemIdOf(current.id, index),
      team: item.team,
      owner: item.owner,
      title: item.title,
      due: item.due,
      status: 'open',
      overdueAt: overdueFor(current, item.due, ctx, `items.${index}.due`),
      version: 1,
      updatedAt: now,
      updatedBy: ctx.actor,
    };
  });
  const dueBy = current.deadlines.reviewBy ?? now;
  const onTime = ctx.now.getTime() <= Date.parse(dueBy);
  const review: Review = {
    rootCause: input.rootCause,
    wentWell: input.wentWell,
    communicationGaps: input.communicationGaps,
    processFixes: input.processFixes,
    ...(input.concession && { concession: input.concession }),
    items,
    recordedAt: now,
    recordedBy: ctx.actor,
    dueBy,
    onTime,
  };
  const next: Escalation = { ...current, review, version: current.version + 1, updatedAt: now };
  const teams = [...new Set(items.map((item) => item.team))];
  return {
    next,
    events: [
      event('review_recorded', ctx, `blameless review recorded ${onTime ? 'on time' : 'late'}: ${items.length} improvement item(s)${teams.length ? ` for ${teams.join(', ')}` : ''}`, {
        dueBy,
        onTime,
        concessionOffered: input.concession !== undefined,
        items: items.map(({ id, team, owner, due }) => ({ id, team, owner, due })),
      }),
    ],
  };
}

/** One item changes (status, owner, due date…); the rest of the review and the other items stay as they are. */
export function updateImprovementItem(current: Escalation, itemId: string, changes: ItemChanges, ctx: Context): Change {
  assertReviewable(current);
  const item = current.review?.items.find((candidate) => candidate.id === itemId);
  if (!current.review || !item) throw new RuleViolationError(`this escalation's review has no improvement item ${itemId}`);
  if (changes.team !== undefined) checkTeam(changes.team, ctx.playbook.review.extraTeams, 'team');
  const changed = Object.fromEntries(Object.entries(changes).filter(([key, value]) => value !== undefined && value !== item[key as keyof ImprovementItem])) as ItemChanges;
  if (Object.keys(changed).length === 0) return { next: current, events: [] };
  const now = ctx.now.toISOString();
  const updated: ImprovementItem = { ...item, ...(changed as Partial<ImprovementItem>), version: item.version + 1, updatedAt: now, updatedBy: ctx.actor };
  // A new due date is a new promise: it must lie ahead, and its reminder is a new one.
  if (changed.due !== undefined) updated.overdueAt = overdueFor(current, changed.due, ctx, 'due');
  const items = current.review.items.map((candidate) => (candidate.id === itemId ? updated : candidate));
  const next: Escalation = { ...current, review: { ...current.review, items }, version: current.version + 1, updatedAt: now };
  const fields = Object.keys(changed);
  return {
    next,
    events: [
      event('improvement_item_updated', ctx, `improvement item "${item.title}" (${item.team}): ${fields.map((field) => (field === 'status' ? `${item.status} → ${changed.status}` : field)).join(', ')}`, {
        itemId,
        team: updated.team,
        fields,
        from: Object.fromEntries(fields.map((field) => [field, item[field as keyof ImprovementItem] ?? null])),
        to: Object.fromEntries(fields.map((field) => [field, updated[field as keyof ImprovementItem] ?? null])),
        overdue: ctx.now.getTime() >= Date.parse(item.overdueAt),
      }),
    ],
  };
}

/** Open improvement items (not done, not dropped). */
export const openItems = (escalation: Pick<Escalation, 'review'>) => (escalation.review?.items ?? []).filter((item) => !isFinished(item));
