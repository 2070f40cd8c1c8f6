import * as z from 'zod';
import { MAX_SCORE, MIN_SCORE } from '../domain/survey';

// Schemas are z.lazy: built on first use, not at cold start (docs/performance.md).
const score = () => z.coerce.number().int().min(MIN_SCORE).max(MAX_SCORE);

/** The survey link's own query: the score the customer clicked in the email, chosen on the page. */
export const SurveyLinkQuery = z.lazy(() =>
  z.strictObject({
    score: score().optional().describe(`the score clicked in the email (${MIN_SCORE}–${MAX_SCORE}); the page shows it chosen, and records nothing`),
  }),
);

/** What the page's form posts (application/x-www-form-urlencoded). */
export const SurveyAnswerForm = z.lazy(() =>
  z.strictObject({
    score: score().describe(`the customer's score, ${MIN_SCORE} (not at all satisfied) to ${MAX_SCORE} (completely)`),
  }),
);
