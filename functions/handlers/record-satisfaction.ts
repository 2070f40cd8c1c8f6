import { container } from '../adapters/container';
import { signedSurveyLinks } from '../adapters/signed-survey-links';
import { byRoute, endpoint, HTML_PAGE_HEADERS } from '../http/endpoint';
import { alreadyAnsweredPage, surveyForm, surveyProblemPage, thankYouPage } from '../http/survey-pages';
import { SurveyAnswerForm, SurveyLinkQuery } from '../schemas/survey';
import { recordSatisfactionScore, surveyAnswer } from '../usecases/escalations';

const deps = container({ survey: signedSurveyLinks });

/**
 * The public end of the follow-up email. Opening the link (GET) shows the question with the
 * clicked score chosen and records nothing, so a mail scanner that follows links answers for
 * nobody; the page's button posts the answer (POST), which records it once.
 */
export const handler = byRoute({
  'GET /csat/{token}': endpoint({ public: true, query: SurveyLinkQuery, errorPage: surveyProblemPage }, async ({ params, query }) => {
    const token = params.token!;
    const { recordedScore } = await surveyAnswer(deps, token);
    const page = recordedScore === undefined ? surveyForm(token, query.score) : alreadyAnsweredPage(recordedScore);
    return { status: 200, headers: HTML_PAGE_HEADERS, body: page };
  }),
  'POST /csat/{token}': endpoint({ public: true, form: true, body: SurveyAnswerForm, errorPage: surveyProblemPage }, async ({ params, body: { score } }) => {
    await recordSatisfactionScore(deps, params.token!, score);
    return { status: 200, headers: HTML_PAGE_HEADERS, body: thankYouPage(score) };
  }),
});
