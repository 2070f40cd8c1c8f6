import * as z from 'zod';
import { container } from '../adapters/container';
import { signedSurveyLinks } from '../adapters/signed-survey-links';
import { endpoint } from '../http/endpoint';
import { toProblem } from '../http/problem';
import { recordSatisfactionScore } from '../usecases/escalations';

const deps = container({ survey: signedSurveyLinks });

const SurveyAnswer = z.strictObject({ score: z.coerce.number().int().min(1).max(10) });

const page = (title: string, message: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
  `<title>${title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:4rem auto">` +
  `<h1>${title}</h1><p>${message}</p></body></html>`;

/** The public end of the follow-up email: customers click a score; they get a page, not JSON. */
export const handler = endpoint({ public: true, query: SurveyAnswer }, async ({ params, query }) => {
  try {
    await recordSatisfactionScore(deps, params.token!, query.score);
    return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page('Thank you', `We recorded your score of ${query.score} out of 10. It helps us do better.`) };
  } catch (error) {
    const problem = toProblem(error);
    if (problem.status >= 500) throw error;
    const message = problem.status === 409 ? 'We already have your answer for this escalation. Thank you.' : 'This survey link is not valid or has expired.';
    return { status: problem.status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page('Survey', message) };
  }
});
