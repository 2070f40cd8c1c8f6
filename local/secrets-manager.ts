import { randomUUID } from 'node:crypto';
import { jsonOf, serveAwsJson } from './aws-json-server';

// Secrets Manager has no local engine in npm, so the local stack answers GetSecretValue itself,
// on the JSON protocol the SDK speaks (as local/eventbridge.ts answers PutEvents): the real chat
// adapter (functions/adapters/chat-webhooks.ts) runs unchanged, and its client passes the local
// IAM check (local/iam-enforcement.ts) like any other. The values are given to it locally: the
// chat webhook URLs (`npm start -- --chat-secrets FILE`, tests through startTestApi options).

/**
 * The ARN a secret read by name is authorized on. On AWS it ends in "-" and six random
 * characters; locally they are fixed, so a grant on `<name>-??????` matches as it does on AWS.
 */
export const localSecretArn = (region: string, account: string, name: string) => `arn:aws:secretsmanager:${region}:${account}:secret:${name}-AbCdEf`;

/** A SecretId as the SDK sends it: a name, or an ARN (whose name ends before the random suffix). */
export const secretNameOf = (secretId: string) => (secretId.startsWith('arn:') ? secretId.split(':').slice(6).join(':').replace(/-[A-Za-z0-9]{6}$/, '') : secretId);

export interface LocalSecretsManager {
  url: string;
  /** Sets (or replaces: a rotation) a secret's value. */
  put(name: string, value: string): void;
  stop(): Promise<void>;
}

export async function startLocalSecretsManager(region: string, account: string, values: Record<string, string> = {}, port = 0): Promise<LocalSecretsManager> {
  const secrets = new Map(Object.entries(values).map(([name, value]) => [name, { value, versionId: randomUUID(), createdAt: Date.now() / 1000 }]));
  const server = await serveAwsJson(port, ({ url, target, text }) => {
    if (target !== 'secretsmanager.GetSecretValue') {
      return { status: 400, body: { __type: 'InvalidRequestException', Message: `the local Secrets Manager answers GetSecretValue only, not ${target ?? url}` } };
    }
    const body = jsonOf(text);
    if (!body) return { status: 400, body: { __type: 'SerializationException', Message: 'the body is not JSON' } };
    const secretId = body.SecretId;
    if (typeof secretId !== 'string') return { status: 400, body: { __type: 'InvalidParameterException', Message: 'SecretId is required' } };
    const name = secretNameOf(secretId);
    const secret = secrets.get(name);
    if (!secret) return { status: 400, body: { __type: 'ResourceNotFoundException', Message: `Secrets Manager can't find the specified secret (${name}): give it a value locally (npm start -- --chat-secrets FILE)` } };
    return { status: 200, body: { ARN: localSecretArn(region, account, name), Name: name, SecretString: secret.value, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'], CreatedDate: secret.createdAt } };
  });
  return {
    ...server,
    put: (name, value) => void secrets.set(name, { value, versionId: randomUUID(), createdAt: Date.now() / 1000 }),
  };
}
