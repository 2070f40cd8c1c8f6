import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaybookConfigError } from '../../functions/playbook/load';
import { playbookBundle } from '../../lib/playbook-bundle';

describe('the playbook file in the Lambda bundle', () => {
  let projectRoot: string;

  beforeEach(() => {
    projectRoot = mkdtempSync(path.join(tmpdir(), 'playbook-bundle-'));
  });
  afterEach(() => rmSync(projectRoot, { recursive: true, force: true }));

  it('is left out when the repo has none: the handlers use the built-in defaults', () => {
    expect(playbookBundle(projectRoot)).toEqual({ environment: {} });
  });

  it('is copied next to the handler and pointed to by PLAYBOOK_PATH when present and valid', () => {
    writeFileSync(path.join(projectRoot, 'playbook.json'), JSON.stringify({ contacts: { support: ['help@acme.test'] } }));
    const bundle = playbookBundle(projectRoot);
    expect(bundle.environment).toEqual({ PLAYBOOK_PATH: '/var/task/playbook.json' });
    expect(bundle.commandHooks!.afterBundling('/in', '/out')).toEqual(['cp "/in/playbook.json" "/out/playbook.json"']);
  });

  it('stops synth when the file breaks the playbook schema', () => {
    writeFileSync(path.join(projectRoot, 'playbook.json'), JSON.stringify({ contacts: { support: ['not-an-email'] } }));
    expect(() => playbookBundle(projectRoot)).toThrow(PlaybookConfigError);
  });

  it('stops synth when the file is not JSON', () => {
    writeFileSync(path.join(projectRoot, 'playbook.json'), '{ contacts: ');
    expect(() => playbookBundle(projectRoot)).toThrow(/not valid JSON/);
  });
});
