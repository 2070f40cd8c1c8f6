import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, type Config } from '../config';
import { signSurveyToken, verifySurveyToken } from '../domain/survey-token';
import type { SurveyLinks } from '../ports/survey';
import { awsClient, clientOptions } from './aws-clients';

/** How long a satisfaction link stays usable after the follow-up email. */
const LINK_VALIDITY_MS = 30 * 86_400_000;
export const SURVEY_SCORES = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

/**
 * The survey links a handler wires in its container() call: the key is read from Secrets
 * Manager on first use. (The local stack provides its own, reading a local key under the same
 * IAM check: local/stack.ts.)
 */
export function signedSurveyLinks(config: Config) {
  const secretArn = config.SURVEY_SIGNING_KEY_SECRET_ARN;
  if (!secretArn) throw new ConfigurationError('no survey signing key: this function signs or checks survey links, so CDK must call useSurveyLinks on it');
  const secrets = awsClient('secrets-manager', new SecretsManagerClient(clientOptions('secrets-manager')));
  return new SignedSurveyLinks(config.PUBLIC_API_URL, async () => {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (!SecretString) throw new Error('the survey signing secret is empty');
    return SecretString;
  });
}

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
