import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSigningKeys, signSurveyToken } from '../../functions/domain/survey-token';
import { escalationRequest, ROUND_THE_CLOCK_PLAYBOOK, startTestApi, type TestApi } from '../support/api';
import { fetchChecked } from '../support/contract';
import { waitFor } from '../support/wait-for';

// Ten hours of case time per real second: the follow-up (+24 h) arrives after 2.4 s, and
// its link (valid 30 days) stays valid for the rest of the test.
const SCALE = 36_000;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.warn(`No Chromium at ${CHROMIUM}: the survey page browser test is skipped (apt-get install chromium, or set CHROMIUM_PATH).`);
}

// The test signs its own (expired) token with the key the stack signs with.
const SIGNING_KEY = randomBytes(32).toString('base64url');

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ playbookPath: ROUND_THE_CLOCK_PLAYBOOK, timeScale: SCALE, retryIntervalMs: 20, surveySigningKey: SIGNING_KEY });
});
afterAll(() => api?.close());

/** A resolved case and the score-9 link of its follow-up email, as the customer gets it. */
async function resolvedWithSurvey(title: string) {
  const { body: opened } = await api.call('POST', '/escalations', escalationRequest({ severity: 'low', triggers: [], title }));
  await api.call('POST', `/escalations/${opened.id}/acknowledge`, {});
  await api.call('POST', `/escalations/${opened.id}/resolve`, { rootCause: 'a full disk', fix: 'cleaned it', prevention: 'disk alarms' });
  const followUp = await waitFor(async () => (await api.sentMail()).find((m) => m.subject === `Checking in on "${title}"`), { timeoutMs: 10_000, what: 'the follow-up email' });
  const link = /9: (http\S+)/.exec(followUp.body.text!)![1]!;
  return { id: opened.id as string, link, token: new URL(link).pathname.split('/').pop()! };
}

const recorded = async (id: string) => {
  const { body } = await api.call('GET', `/escalations/${id}`);
  const events = (await api.call('GET', `/escalations/${id}/timeline?limit=200`)).body.items.filter((e: { type: string }) => e.type === 'satisfaction_recorded');
  return { satisfaction: body.satisfaction as { score: number } | undefined, events: events.length as number };
};

const answer = (link: string, score: string) =>
  fetchChecked(new URL(link).origin + new URL(link).pathname, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ score }).toString() });

describe('the satisfaction survey', () => {
  it('opening the link (a mail scanner, curl) records nothing; the form records one score; a second answer records nothing more', async () => {
    const { id, link } = await resolvedWithSurvey(`Survey ${Date.now()}`);
    const opened = await fetchChecked(link);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(opened.headers.get('cache-control')).toBe('no-store');
    expect(opened.headers.get('referrer-policy')).toBe('no-referrer');
    const form = await opened.text();
    expect(form).toMatch(/<html lang="en">/);
    expect(form).toMatch(/<input type="radio" id="score-9" name="score" value="9" required checked>/);
    expect((await fetchChecked(link)).status).toBe(200);
    expect(await recorded(id)).toEqual({ satisfaction: undefined, events: 0 });

    const thanks = await answer(link, '9');
    expect(thanks.status).toBe(200);
    expect(await thanks.text()).toContain('We recorded your score of 9 out of 10');
    expect(await recorded(id)).toMatchObject({ satisfaction: { score: 9 }, events: 1 });

    const second = await answer(link, '3');
    expect(second.status).toBe(409);
    expect(await second.text()).toContain('We already have your answer');
    const reopened = await fetchChecked(link);
    expect(reopened.status).toBe(200);
    expect(await reopened.text()).toContain('Your score of 9 out of 10 for this escalation is on record');
    expect(await recorded(id)).toMatchObject({ satisfaction: { score: 9 }, events: 1 });
  });

  it('an altered link is a 403 page, an expired one a 410 page, and neither records anything', async () => {
    const { id, link, token } = await resolvedWithSurvey(`Survey links ${Date.now()}`);
    const altered = link.replace(token, `${token.slice(0, -3)}abc`);
    const forbidden = await fetchChecked(altered);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toContain('This survey link is not valid');
    expect((await answer(altered, '5')).status).toBe(403);

    const expiredToken = signSurveyToken(id, new Date(api.stack.clock.now().getTime() - 1000), parseSigningKeys(SIGNING_KEY));
    const expired = await fetchChecked(link.replace(token, expiredToken));
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('This survey link has expired');
    expect((await answer(link.replace(token, expiredToken), '5')).status).toBe(410);
    expect(await recorded(id)).toEqual({ satisfaction: undefined, events: 0 });
  });

  it('a score out of range is a 400 naming the field: a page for people, problem+json for clients asking for JSON', async () => {
    const { link } = await resolvedWithSurvey(`Survey range ${Date.now()}`);
    const page = await fetchChecked(link.replace('score=9', 'score=11'));
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('query.score');
    const json = await fetchChecked(link.replace('score=9', 'score=11'), { headers: { accept: 'application/json' } });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('query.score');
    const posted = await answer(link, '0');
    expect(posted.status).toBe(400);
    expect(await posted.text()).toContain('body.score');
  });

  it.skipIf(!existsSync(CHROMIUM))('in a real browser: the page shows the score from the link chosen, and only pressing its button records it', async () => {
    const { id, link } = await resolvedWithSurvey(`Survey in a browser ${Date.now()}`);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      // No JavaScript at all: the form must work as plain HTML.
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(link);
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      const nine = page.getByRole('radio', { name: '9' });
      expect(await nine.isChecked()).toBe(true);
      expect(await page.getByRole('group', { name: /Your score, from 1/ }).count()).toBe(1);
      const button = page.getByRole('button', { name: 'Send my score' });
      expect(await page.getByRole('button').count()).toBe(1);
      expect(await recorded(id)).toEqual({ satisfaction: undefined, events: 0 });

      mkdirSync('test-output', { recursive: true });
      await page.screenshot({ path: 'test-output/survey-form.png', fullPage: true });
      await page.getByRole('radio', { name: '7' }).check();
      await Promise.all([page.waitForURL(new URL(link).origin + new URL(link).pathname), button.click()]);
      expect(await page.textContent('h1')).toBe('Thank you');
      expect(await page.textContent('main')).toContain('We recorded your score of 7 out of 10');
      expect(await recorded(id)).toMatchObject({ satisfaction: { score: 7 }, events: 1 });
      await page.screenshot({ path: 'test-output/survey-thank-you.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
