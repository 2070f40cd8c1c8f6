import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, type Config } from '../config';
import { SURVEY_SCORES } from '../domain/survey';
import { parseSigningKeys, signSurveyToken, tokenKeyId, verifySurveyToken, type SigningKeys } from '../domain/survey-token';
import type { SurveyLinks } from '../ports/survey';
import { awsClient, clientOptions } from './aws-clients';

/** How long a satisfaction link stays usable after the follow-up email. */
export const LINK_VALIDITY_MS = 30 * 86_400_000;
/**
 * A container re-reads the signing secret this often, so a rotation reaches every signer within
 * this time (docs/deploy.md: the previous key stays until links signed with it have expired).
 */
export const KEY_REFRESH_MS = 10 * 60_000;
/** A token naming a key this container does not hold makes it re-read the secret, at most this often. */
export const UNKNOWN_KEY_REFRESH_MS = 60_000;

/**
 * The survey links a handler wires in its container() call: the keys are read from Secrets
 * Manager (re-read every KEY_REFRESH_MS, so a rotation reaches every container). The local
 * stack provides its own, reading a local secret under the same IAM check (local/stack.ts).
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
  private keys?: Promise<SigningKeys>;
  private readAt = Number.NEGATIVE_INFINITY;

  /** `readSecret` gives the signing secret: one key, or the current and previous keys of a rotation. */
  constructor(
    private readonly publicBaseUrl: string,
    private readonly readSecret: () => Promise<string>,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The keys, read again once they are older than `maxAgeMs`; a failed read is tried again on the next call. */
  private getKeys(maxAgeMs = KEY_REFRESH_MS): Promise<SigningKeys> {
    if (!this.keys || this.clock() - this.readAt >= maxAgeMs) {
      this.readAt = this.clock();
      this.keys = this.readSecret()
        .then(parseSigningKeys)
        .catch((error: unknown) => {
          this.keys = undefined;
          throw error;
        });
    }
    return this.keys;
  }

  async linksFor(caseId: string, now: Date) {
    const token = signSurveyToken(caseId, new Date(now.getTime() + LINK_VALIDITY_MS), await this.getKeys());
    const base = this.publicBaseUrl.replace(/\/$/, '');
    return SURVEY_SCORES.map((score) => ({ score, url: `${base}/csat/${token}?score=${score}` }));
  }

  async verify(token: string, now: Date) {
    let keys = await this.getKeys();
    // Signed with a key this container has not seen: the secret was rotated since it read it.
    const kid = tokenKeyId(token);
    if (kid !== undefined && kid !== keys.current.id && kid !== keys.previous?.id) keys = await this.getKeys(UNKNOWN_KEY_REFRESH_MS);
    return { caseId: verifySurveyToken(token, now, keys).caseId };
  }
}
