import { container } from '../adapters/container';
import { signedSurveyLinks } from '../adapters/signed-survey-links';
import { endpoint, HTML_PAGE_HEADERS, type ApiEvent } from '../http/endpoint';
import { alreadyAnsweredPage, surveyForm, surveyProblemPage, thankYouPage } from '../http/survey-pages';
import { SurveyAnswerForm, SurveyLinkQuery } from '../schemas/survey';
import { recordSatisfactionScore, surveyAnswer } from '../usecases/escalations';

const deps = container({ survey: signedSurveyLinks });

const isAnswer = (event: ApiEvent) => event.routeKey === 'POST /csat/{token}';

/**
 * The public end of the follow-up email. Opening the link (GET) shows the question with the
 * clicked score chosen and records nothing, so a mail scanner that follows links answers for
 * nobody; the page's button posts the answer (POST), which records it once.
 */
export const handler = endpoint(
  {
    public: true,
    form: true,
    bodyFor: (event) => (isAnswer(event) ? SurveyAnswerForm : undefined),
    queryFor: (event) => (isAnswer(event) ? undefined : SurveyLinkQuery),
    errorPage: surveyProblemPage,
  },
  async ({ event, params, body, query }) => {
    const token = params.token!;
    if (isAnswer(event)) {
      const { score } = body as unknown as { score: number };
      await recordSatisfactionScore(deps, token, score);
      return { status: 200, headers: HTML_PAGE_HEADERS, body: thankYouPage(score) };
    }
    const { recordedScore } = await surveyAnswer(deps, token);
    const page = recordedScore === undefined ? surveyForm(token, (query as unknown as { score?: number }).score) : alreadyAnsweredPage(recordedScore);
    return { status: 200, headers: HTML_PAGE_HEADERS, body: page };
  },
);
