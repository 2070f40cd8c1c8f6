import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { parseSigningKeys } from '../../functions/domain/survey-token';
import { describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import { oauthScope, ROUTES, SCOPES_IN_USE } from '../../functions/http/routes';
import { buildApp } from '../../lib/app';
import { LAMBDA_RUNTIME } from '../../lib/handler-function';
import { API_5XX_THRESHOLD, DEADLINE_BREACH_THRESHOLDS } from '../../lib/monitoring';
import { STAGE_KEYS } from '../../lib/stage-config';
import { INBOUND_CONTEXT, TEST_CONTEXT, resourcesOf } from './synthesized';

const DOC = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');

describe('docs/deploy.md', () => {
  it.each([
    ['prerequisites', /## 1\. Prerequisites/],
    ['bootstrap', /npm run cdk -- bootstrap aws:\/\//],
    ['the SES sandbox', /sandbox/i],
    ['production access', /Request production access[\s\S]*put-account-details --production-access-enabled/],
    ['verifying a sender', /aws sesv2 create-email-identity --email-identity/],
    ['the MX record', /MX record[\s\S]*inbound-smtp\.<region>\.amazonaws\.com/],
    ['activating the receipt rule set', /aws ses set-active-receipt-rule-set --rule-set-name/],
    ['the first deploy', /npm run cdk -- deploy/],
    ['a smoke test with curl', /## 8\. Smoke test with curl[\s\S]*curl -s \$API\/health/],
    ['teardown', /npm run cdk -- destroy[\s\S]*--no-deletion-protection-enabled/],
    ['the cost at 100 and 10,000 escalations', /\| Escalations a month \| 100 \| 10,000 \|/],
  ])('covers %s', (_, pattern) => {
    expect(DOC).toMatch(pattern);
  });

  it('rotates the survey signing key with commands that produce what the functions read', () => {
    const section = DOC.slice(DOC.indexOf('### Rotating the survey signing key'));
    const scripts = [...section.matchAll(/node -e '([^']+)'/g)].map(([, script]) => script!);
    expect(scripts).toHaveLength(3);
    const run = (script: string, input: string, args: string[] = []) => execFileSync(process.execPath, ['-e', script, ...args], { input, encoding: 'utf8' }).trim();
    const generated = 'A'.repeat(64);
    // Step 1 reads the current key (plain, as first deployed, or from a rotation) and makes it previous.
    expect(run(scripts[0]!, `${generated}\n`)).toBe(generated);
    expect(run(scripts[0]!, JSON.stringify({ current: generated, previous: 'B'.repeat(64) }))).toBe(generated);
    const rotating = parseSigningKeys(run(scripts[1]!, '', [generated]));
    expect(rotating.previous?.secret).toBe(generated);
    expect(rotating.current.secret).toMatch(/^[0-9a-f]{64}$/);
    // Step 2 keeps only the current key.
    const after = parseSigningKeys(run(scripts[2]!, JSON.stringify({ current: rotating.current.secret, previous: generated })));
    expect(after).toEqual({ current: rotating.current });
  });

  it('documents every stage configuration key', () => {
    for (const key of STAGE_KEYS) expect(DOC).toContain(`| \`${key}\` |`);
    expect(DOC).toContain('-c configFile=');
  });

  it('has the token issuer offer every scope the routes use, and the smoke-test client ask for each', () => {
    // The command with its continuation lines.
    const resourceServer = /create-resource-server(?:[^\n]*\\\n)*[^\n]*/.exec(DOC)![0];
    const client = /--allowed-o-auth-scopes ([^\n]*)/.exec(DOC)![1]!;
    const tokenRequest = /grant_type=client_credentials&scope=([^']*)'/.exec(DOC)![1]!;
    expect(SCOPES_IN_USE.length).toBeGreaterThan(2);
    for (const scope of SCOPES_IN_USE) {
      expect(resourceServer).toContain(`ScopeName=${scope},`);
      expect(client.split(' ')).toContain(oauthScope(scope));
      expect(tokenRequest.split(' ')).toContain(oauthScope(scope));
    }
  });

  it('states the alarm thresholds the stack deploys', () => {
    for (const severity of SEVERITIES) expect(DOC).toContain(`${severity} ≥ ${DEADLINE_BREACH_THRESHOLDS[severity]}`);
    expect(DOC).toContain(`${API_5XX_THRESHOLD} or more API 5xx`);
  });

  it('counts the alarms the stack deploys', () => {
    const count = (context: Record<string, unknown>) => buildApp(context).stack.monitoring.alarms.length;
    expect(DOC).toContain(`${count(TEST_CONTEXT)} CloudWatch alarms (${count(INBOUND_CONTEXT)} with inbound email)`);
  }, 60_000);

  it('prices the alarms by the metrics they watch ($0.10 a month per standard-resolution metric)', () => {
    const template = Template.fromStack(buildApp(TEST_CONTEXT).stack);
    const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
    // A single-metric alarm watches one; a metric-math alarm pays for each metric its expression reads.
    const metrics = alarms.reduce((sum, alarm) => sum + (alarm.Properties.MetricName ? 1 : (alarm.Properties.Metrics as { MetricStat?: unknown }[]).filter((m) => m.MetricStat).length), 0);
    expect(DOC).toContain(`| CloudWatch alarms: ${alarms.length} alarms, ${metrics} metrics `);
    expect(DOC).toContain(`| $${(metrics * 0.1).toFixed(2)} |`);
  }, 60_000);

  it('lists the public routes (no token) the stack deploys', () => {
    const publicRoutes = ROUTES.filter((route) => !route.scope).map((route) => `${route.method} ${route.path}`);
    expect(publicRoutes.length).toBeGreaterThan(0);
    for (const route of publicRoutes) expect(DOC).toContain(route);
  });

  it('states the Lambda runtime and the number of functions the stack deploys', () => {
    const count = (context: Record<string, unknown>) => buildApp(context).stack.functions.length;
    const major = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME.name)![1];
    expect(DOC).toContain(`one Lambda function per handler (${count(TEST_CONTEXT)}; ${count(INBOUND_CONTEXT)} with inbound email), arm64, Node.js ${major} (\`${LAMBDA_RUNTIME.name}\`)`);
    expect(DOC).toContain(`| L1 (latest runtime) | each Lambda | \`${LAMBDA_RUNTIME.name}\` is pinned`);
  }, 60_000);

  it('explains every kind of cdk-nag acknowledgement', () => {
    for (const rule of ['IAM5', 'L1', 'APIG4', 'SMG4', 'S1']) expect(DOC).toMatch(new RegExp(`\\| ${rule}[ |]`));
  });
});
