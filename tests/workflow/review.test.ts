import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseKey } from '../../functions/adapters/table-design';
import { escalationRequest, startTestApi, type TestApi } from '../support/api';
import { waitFor } from '../support/wait-for';

// The review after a resolution, through the API, the real state machine and local SES, on the
// default playbook: the review counts working days on the business calendar (Mon–Fri 09:00–17:00).
// A day of case time passes in 86 ms, so weekends come and go within a second.
const SCALE = 1_000_000;
const DAY = 86_400_000;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ timeScale: SCALE, retryIntervalMs: 20 });
});
afterAll(() => api?.close());

const timeline = async (id: string) => (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items as { type: string; at: string; summary: string; data?: any }[];
const nowOnCaseClock = () => api.stack.clock.now();
/** A date `days` calendar days from now on the case clock, YYYY-MM-DD. */
const dayFromNow = (days: number) => new Date(nowOnCaseClock().getTime() + days * DAY).toISOString().slice(0, 10);

const REVIEW = (items: unknown[]) => ({
  rootCause: 'a connection pool sized for last year\'s traffic',
  wentWell: 'support found the workaround within the hour',
  communicationGaps: 'the customer heard of the fix from their own team first',
  processFixes: 'capacity is reviewed every quarter',
  concession: 'one month of credit',
  items,
});

describe('the blameless review', () => {
  it('resolve → the owner is reminded within five working days → a review with two items → the unfinished one goes overdue and its owner is reminded', async () => {
    const title = `Pool exhausted ${Date.now()}`;
    const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'medium', triggers: [], title }));
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, { owner: 'owner@example.com' });
    const { body: resolved } = await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'pool too small', fix: 'resized it', prevention: 'quarterly capacity review' });
    expect(resolved.deadlines.reviewBy).toBeDefined();
    expect(resolved.deadlineExplanations.reviewBy.method).toBe('working_days');
    const reviewBy = Date.parse(resolved.deadlines.reviewBy);
    // Five working days: at least five calendar days less a working day's tail; at most a weekend's two
    // days, a holiday, and the roll from an evening to the next working morning (resolved on a Saturday
    // night, the fifth working day's same time is Friday night, so Monday 09:00: 9 days 13 hours).
    expect(reviewBy - Date.parse(resolved.resolvedAt)).toBeGreaterThanOrEqual(5 * DAY - 8 * 3_600_000);
    expect(reviewBy - Date.parse(resolved.resolvedAt)).toBeLessThanOrEqual(11 * DAY);

    const reminder = await waitFor(async () => (await timeline(opened.id)).find((event) => event.type === 'reminder_sent' && event.data?.kind === 'review'), {
      timeoutMs: 20_000,
      what: 'the review reminder',
    });
    expect(Date.parse(reminder.at)).toBeGreaterThanOrEqual(reviewBy);
    const reminded = (await api.settledMail([opened.id])).filter((mail) => mail.subject === `Blameless review due for "${title}" (Acme Corp)`);
    expect(reminded.map((mail) => mail.destination.to)).toEqual([['owner@example.com']]);
    expect(reminded[0]!.body.text).toContain(`POST /escalations/${opened.id}/review`);

    // The review, late now, with two items: one due soon, one far ahead.
    // Ten days ahead: under a loaded machine a few days of case time pass before the request lands.
    const soon = dayFromNow(10);
    const later = dayFromNow(200);
    const recorded = await api.call(
      'POST',
      `/escalations/${opened.id}/review`,
      REVIEW([
        { team: 'engineering', owner: 'sre@example.com', title: 'Alarm on pool saturation', due: soon },
        { team: 'product', owner: 'pm@example.com', title: 'Show connection limits in the admin console', due: later },
      ]),
    );
    expect(recorded.status).toBe(200);
    expect(recorded.body.review).toMatchObject({ onTime: false, concessionOffered: true, concession: 'one month of credit' });
    const [alarm, console] = recorded.body.review.items;
    expect(alarm).toMatchObject({ team: 'engineering', status: 'open', version: 1, due: soon });

    // The product item is done early; the engineering one is left to go overdue.
    const done = await api.call('PATCH', `/escalations/${opened.id}/review/items/${console.id}`, { status: 'done', note: 'shipped in 4.2' }, { 'if-match': `"${console.version}"` });
    expect(done.status).toBe(200);
    expect(done.headers.get('etag')).toBe('"2"');
    expect(done.body).toMatchObject({ status: 'done', version: 2, note: 'shipped in 4.2' });

    const overdue = await waitFor(async () => (await timeline(opened.id)).find((event) => event.type === 'reminder_sent' && event.data?.itemId === alarm.id), {
      timeoutMs: 20_000,
      what: 'the overdue item reminder',
    });
    expect(Date.parse(overdue.at)).toBeGreaterThanOrEqual(Date.parse(alarm.overdueAt));
    const chased = (await api.settledMail([opened.id])).filter((mail) => mail.subject === 'Improvement item overdue: "Alarm on pool saturation" (Acme Corp)');
    expect(chased.map((mail) => mail.destination.to)).toEqual([['sre@example.com']]);
    // The finished item was never chased.
    expect((await api.sentMail()).filter((mail) => mail.subject.includes('Show connection limits'))).toEqual([]);
    expect((await timeline(opened.id)).filter((event) => event.type === 'reminder_sent' && event.data?.itemId === console.id)).toEqual([]);

    // /metrics: the late review, the reminder before it, and the overdue engineering item (this stack's tests share the table: at least ours).
    const { body: metrics } = await api.call('GET', `/metrics?from=${encodeURIComponent(resolved.resolvedAt)}&to=${encodeURIComponent(nowOnCaseClock().toISOString())}`);
    expect(metrics.reviews.recorded).toBeGreaterThanOrEqual(1);
    expect(metrics.reviews.onTime.total - metrics.reviews.onTime.onTime).toBeGreaterThanOrEqual(1);
    expect(metrics.reviews.ownersReminded).toBeGreaterThanOrEqual(1);
    expect(metrics.improvementItems.byTeam.engineering.overdue).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('an item update with a stale If-Match is refused (412); another item\'s update does not make it stale', async () => {
    const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'medium', triggers: [] }));
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a', fix: 'b', prevention: 'c' });
    const { body: reviewed } = await api.call(
      'POST',
      `/escalations/${opened.id}/review`,
      REVIEW([
        { team: 'qa', owner: 'qa@example.com', title: 'Load test the pool', due: dayFromNow(300) },
        { team: 'sales', owner: 'ae@example.com', title: 'Tell the account team', due: dayFromNow(300) },
      ]),
    );
    const [first, second] = reviewed.review.items;
    const path = (item: { id: string }) => `/escalations/${opened.id}/review/items/${item.id}`;
    expect((await api.call('PATCH', path(first), { status: 'in_progress' }, { 'if-match': '"1"' })).status).toBe(200);
    // The other item is still at its version 1, whatever happened to the case.
    expect((await api.call('PATCH', path(second), { owner: 'kim@example.com' }, { 'if-match': '"1"' })).status).toBe(200);
    const stale = await api.call('PATCH', path(first), { status: 'done' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    // Bad input is a 4xx naming the field; an unknown item is a 404; no If-Match a 428; a second review a 409.
    const bad = await api.call('PATCH', path(first), { status: 'finished' }, { 'if-match': '"2"' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((error: { path: string }) => error.path)).toEqual(['body.status']);
    expect((await api.call('PATCH', path({ id: '00000000-0000-4000-8000-000000000000' }), { status: 'done' }, { 'if-match': '"1"' })).status).toBe(404);
    expect((await api.call('PATCH', path(first), { status: 'done' })).status).toBe(428);
    const again = await api.call('POST', `/escalations/${opened.id}/review`, REVIEW([]));
    expect(again.status).toBe(409);
  }, 30_000);

  it('a closed case gives every item stored with it the case\'s deletion date', async () => {
    const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'medium', triggers: [] }));
    await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
    await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a', fix: 'b', prevention: 'c' });
    const { body: closed } = await api.call('POST', `/escalations/${opened.id}/close`, { outcome: 'retained' });
    expect(Date.parse(closed.retainUntil) - Date.parse(closed.closedAt)).toBe(730 * DAY);
    await waitFor(async () => (await timeline(opened.id)).some((event) => event.type === 'deletion_scheduled'), { what: 'the deletion date to be set' });
    await api.settledMail([opened.id]);
    const table = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const { Items = [] } = await table.send(new QueryCommand({ TableName: api.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': caseKey(opened.id).pk }, ConsistentRead: true }));
    const expiry = Math.floor(Date.parse(closed.retainUntil) / 1000);
    expect(Items.length).toBeGreaterThan(5);
    expect(Items.filter((item) => item.expiresAt !== expiry).map((item) => item.sk)).toEqual([]);
  }, 30_000);
});
