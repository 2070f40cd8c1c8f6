import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { StageConfigError, parseStageConfig } from '../../lib/stage-config';
import { TEST_CONTEXT } from './synthesized';

const REQUIRED = { jwtIssuer: TEST_CONTEXT.jwtIssuer, jwtAudience: TEST_CONTEXT.jwtAudience, senderEmail: TEST_CONTEXT.senderEmail };
const dir = mkdtempSync(path.join(tmpdir(), 'stage-config-'));
const configFile = (name: string, content: string) => {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
};

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

  it('reads optional inbound domain and alarm email, unset by default', () => {
    const config = parseStageConfig(REQUIRED);
    expect(config.stage).toBe('dev');
    expect(config.inboundDomain).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
    expect(parseStageConfig({ ...REQUIRED, inboundDomain: 'support.example.com', alarmEmail: 'ops@example.com' })).toMatchObject({
      inboundDomain: 'support.example.com',
      alarmEmail: 'ops@example.com',
    });
  });

  it('reads the SES sandbox setting as a boolean from a flag or a file (off by default), and a sender identity ARN', () => {
    expect(parseStageConfig(REQUIRED).sesSandbox).toBe(false);
    expect(parseStageConfig({ ...REQUIRED, sesSandbox: 'true' }).sesSandbox).toBe(true);
    expect(parseStageConfig({ ...REQUIRED, sesSandbox: false }).sesSandbox).toBe(false);
    expect(() => parseStageConfig({ ...REQUIRED, sesSandbox: 'yes' })).toThrow(/sesSandbox: must be true or false/);
    expect(parseStageConfig({ ...REQUIRED, senderIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com' }).senderIdentityArn).toBe('arn:aws:ses:eu-west-1:123456789012:identity/example.com');
    expect(() => parseStageConfig({ ...REQUIRED, senderIdentityArn: 'example.com' })).toThrow(/senderIdentityArn: must be an SES identity ARN/);
  });

  it('treats an empty flag as not set', () => {
    const config = parseStageConfig({ ...REQUIRED, inboundDomain: '', alarmEmail: '' });
    expect(config.inboundDomain).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('refuses an inbound domain that is not a domain name, saying what to pass', () => {
    expect(() => parseStageConfig({ ...REQUIRED, inboundDomain: 'https://support.example.com' })).toThrow(/inboundDomain: must be a lower-case domain name/);
    expect(() => parseStageConfig({ ...REQUIRED, inboundDomain: 'escalations@example.com' })).toThrow(/inboundDomain/);
  });

  it('refuses an alarm email that is not an address', () => {
    expect(() => parseStageConfig({ ...REQUIRED, alarmEmail: 'oncall' })).toThrow(/alarmEmail: must be an email address/);
  });

  it('lists every problem at once, each with what to set', () => {
    let message = '';
    try {
      parseStageConfig({});
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/jwtIssuer: missing: pass -c jwtIssuer=/);
    expect(message).toMatch(/jwtAudience: missing: pass -c jwtAudience=/);
    expect(message).toMatch(/senderEmail: missing: pass -c senderEmail=/);
    expect(message).toMatch(/for example:\n {2}cdk synth -c stage=dev/);
  });

  describe('from a file (-c configFile=...)', () => {
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads the same keys from JSON; a -c flag beats the file', () => {
      const file = configFile('stage.prod.json', JSON.stringify({ ...REQUIRED, stage: 'prod', inboundDomain: 'support.example.com' }));
      expect(parseStageConfig({ configFile: file })).toMatchObject({ stage: 'prod', inboundDomain: 'support.example.com', jwtAudience: ['escalation-api'] });
      expect(parseStageConfig({ configFile: file, stage: 'staging' }).stage).toBe('staging');
      expect(buildApp({ 'aws:cdk:bundling-stacks': [], configFile: file }).stack.stackName).toBe('EscalationApi-prod');
    });

    it('accepts several audiences as a JSON list', () => {
      const file = configFile('list.json', JSON.stringify({ ...REQUIRED, jwtAudience: ['web', 'cli'] }));
      expect(parseStageConfig({ configFile: file }).jwtAudience).toEqual(['web', 'cli']);
    });

    it('names a missing file', () => {
      expect(() => parseStageConfig({ configFile: path.join(dir, 'nope.json') })).toThrow(/cannot read the stage configuration file .*nope\.json/);
    });

    it('names a file that is not JSON', () => {
      const file = configFile('broken.json', '{ stage: ');
      expect(() => parseStageConfig({ configFile: file })).toThrow(StageConfigError);
      expect(() => parseStageConfig({ configFile: file })).toThrow(/broken\.json is not valid JSON/);
    });

    it('names an unknown key (a typo would otherwise be ignored)', () => {
      const file = configFile('typo.json', JSON.stringify({ ...REQUIRED, sender: 'x@example.com' }));
      expect(() => parseStageConfig({ configFile: file })).toThrow(/sender: unknown key in .*typo\.json; the keys are stage, jwtIssuer/);
    });

    it('validates the file\'s values like flags', () => {
      const file = configFile('bad.json', JSON.stringify({ ...REQUIRED, senderEmail: 'nobody' }));
      expect(() => parseStageConfig({ configFile: file })).toThrow(/senderEmail: must be the email address/);
    });
  });
});
