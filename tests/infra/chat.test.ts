import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER, type EscalationApiStack } from '../../lib/escalation-api-stack';
import { inspect, synthesize, TEST_CONTEXT } from './synthesized';

// Chat channels' secrets: the two outbox senders may read exactly the secrets the stage's
// playbook names, by the ARN a secret read by name is authorized on (the name, "-" and six
// random characters), and nothing when the playbook names none. No other function reads them.

const CHAT_PLAYBOOK = 'tests/fixtures/playbook-24x7-chat.json';
const SENDERS = [QUEUED_EMAILS_HANDLER, RESEND_OWED_EMAILS_HANDLER];
const secretArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:secret:${name}-??????`]] });

/** Every Resource a function may GetSecretValue on, other than the survey signing key. */
function chatSecretGrants(view: ReturnType<typeof inspect>, handler: string): unknown[] {
  return view
    .statementsWith(handler, 'secretsmanager:')
    .flatMap((statement) => [statement.Resource].flat())
    .filter((resource) => JSON.stringify(resource).includes(':secret:'));
}

describe('chat secrets are granted from the playbook', () => {
  let withChat: { template: Template; stack: EscalationApiStack };
  let without: { template: Template; stack: EscalationApiStack };
  beforeAll(() => {
    withChat = synthesize({ ...TEST_CONTEXT, playbook: CHAT_PLAYBOOK });
    without = synthesize(TEST_CONTEXT);
  }, 180_000);

  it('each outbox sender reads exactly the secrets the playbook names, and learns the API URL its links default to', () => {
    const view = inspect(withChat.template, withChat.stack);
    const named = ['escalation-api/chat/support-lead', 'escalation-api/chat/csm-managers', 'escalation-api/chat/support-team', 'escalation-api/chat/leadership'];
    for (const handler of SENDERS) {
      expect(view.statementsWith(handler, 'secretsmanager:').map((statement) => statement.Action)).toEqual(['secretsmanager:GetSecretValue']);
      expect(chatSecretGrants(view, handler).map((resource) => JSON.stringify(resource)).sort()).toEqual(named.map((name) => JSON.stringify(secretArn(name))).sort());
      expect(view.environmentOf(handler)).toHaveProperty('PUBLIC_API_URL');
    }
  });

  it('no other function reads a chat secret', () => {
    const view = inspect(withChat.template, withChat.stack);
    const readers = view.handlers.filter((handler) => chatSecretGrants(view, handler).some((resource) => JSON.stringify(resource).includes('escalation-api/chat/')));
    expect(readers.sort()).toEqual([...SENDERS].sort());
  });

  it('without chat channels in the playbook the senders read no secret at all', () => {
    const view = inspect(without.template, without.stack);
    for (const handler of SENDERS) {
      expect(view.statementsWith(handler, 'secretsmanager:')).toEqual([]);
      expect(view.environmentOf(handler)).not.toHaveProperty('PUBLIC_API_URL');
    }
  });

  it('refuses a stage whose playbook file does not exist, naming it', () => {
    expect(() => synthesize({ ...TEST_CONTEXT, playbook: 'tests/fixtures/no-such-playbook.json' })).toThrow(/tests\/fixtures\/no-such-playbook\.json does not exist/);
  });
});
