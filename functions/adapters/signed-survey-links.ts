import { signSurveyToken, verifySurveyToken } from '../domain/survey-token';
import type { SurveyLinks } from '../ports/survey';

/** How long a satisfaction link stays usable after the follow-up email. */
const LINK_VALIDITY_MS = 30 * 86_400_000;
export const SURVEY_SCORES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

export class SignedSurveyLinks implements SurveyLinks {
  private key?: Promise<string>;

  /** `signingKey` is fetched once per container (Secrets Manager on AWS). */
  constructor(
    private readonly publicBaseUrl: string,
    private readonly signingKey: () => Promise<string>,
  ) {}

  private getKey() {
    this.key ??= this.signingKey().catch((error) => {
      this.key = undefined; // let the next call try again
      throw error;
    });
    return this.key;
  }

  async linksFor(caseId: string, now: Date) {
    const token = signSurveyToken(caseId, new Date(now.getTime() + LINK_VALIDITY_MS), await this.getKey());
    const base = this.publicBaseUrl.replace(/\/$/, '');
    return SURVEY_SCORES.map((score) => ({ score, url: `${base}/csat/${token}?score=${score}` }));
  }

  async verify(token: string, now: Date) {
    return { caseId: verifySurveyToken(token, now, await this.getKey()).caseId };
  }
}
