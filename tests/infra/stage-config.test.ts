import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { StageConfigError } from '../../lib/stage-config';
import { TEST_CONTEXT } from './synthesized';

const without = (key: keyof typeof TEST_CONTEXT) => Object.fromEntries(Object.entries(TEST_CONTEXT).filter(([name]) => name !== key));

describe('stage configuration from CDK context', () => {
  it('names the stack after the stage, "dev" by default', () => {
    expect(buildApp(TEST_CONTEXT).stack.stackName).toBe('EscalationApi-dev');
    expect(buildApp({ ...TEST_CONTEXT, stage: 'prod' }).stack.stackName).toBe('EscalationApi-prod');
  });

  it('refuses to build without a JWT issuer, saying how to pass one', () => {
    expect(() => buildApp(without('jwtIssuer'))).toThrow(StageConfigError);
    expect(() => buildApp(without('jwtIssuer'))).toThrow(/jwtIssuer.*-c jwtIssuer=https:\/\//s);
  });

  it('refuses to build without a JWT audience, saying how to pass one', () => {
    expect(() => buildApp(without('jwtAudience'))).toThrow(/jwtAudience.*-c jwtAudience=/s);
  });

  it('refuses to build without a sender email, saying how to pass one', () => {
    expect(() => buildApp(without('senderEmail'))).toThrow(/senderEmail.*-c senderEmail=/s);
  });

  it('refuses a sender that is not an email address', () => {
    expect(() => buildApp({ ...TEST_CONTEXT, senderEmail: 'escalations' })).toThrow(/senderEmail: must be the email address/);
  });

  it('refuses an issuer that is not an https URL', () => {
    expect(() => buildApp({ ...TEST_CONTEXT, jwtIssuer: 'http://auth.example.test/' })).toThrow(/jwtIssuer: must be the https URL/);
  });

  it('refuses a stage name CloudFormation could not use', () => {
    expect(() => buildApp({ ...TEST_CONTEXT, stage: 'Prod_1' })).toThrow(/stage: use lower-case letters/);
  });

  it('accepts several audiences, comma-separated', () => {
    expect(buildApp({ ...TEST_CONTEXT, jwtAudience: 'web, cli' }).config.jwtAudience).toEqual(['web', 'cli']);
  });
});
