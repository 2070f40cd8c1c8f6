import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PlaybookConfigError, loadPlaybook } from '../../functions/playbook/load';
import { playbookBundle } from '../../lib/playbook-bundle';

describe('the playbook file in the Lambda bundle', () => {
  let projectRoot: string;

  beforeEach(() => {
    projectRoot = mkdtempSync(path.join(tmpdir(), 'playbook-bundle-'));
  });
  afterEach(() => rmSync(projectRoot, { recursive: true, force: true }));

  it('is left out when the repo has none: the handlers use the built-in defaults', () => {
    const bundle = playbookBundle(projectRoot);
    expect(bundle.environment).toEqual({});
    expect(bundle.commandHooks).toBeUndefined();
    expect(bundle.playbook).toEqual(loadPlaybook(undefined));
  });

  it('is copied next to the handler and pointed to by PLAYBOOK_PATH when present and valid', () => {
    writeFileSync(path.join(projectRoot, 'playbook.json'), JSON.stringify({ contacts: { support: ['help@acme.test'] } }));
    const bundle = playbookBundle(projectRoot);
    expect(bundle.environment).toEqual({ PLAYBOOK_PATH: '/var/task/playbook.json' });
    // The dashboard draws the targets of this playbook, not the defaults'.
    expect(bundle.playbook.contacts.support).toEqual(['help@acme.test']);
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

  describe('with a holiday calendar file', () => {
    const ICS = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'SUMMARY:New Year', 'DTSTART;VALUE=DATE:20270101', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');
    const withIcs = (holidaysIcs: string) =>
      JSON.stringify({ calendars: { business: { week: { mon: [['09:00', '17:00']] }, holidaysIcs } } });

    it('ships the .ics next to playbook.json, at the path the playbook names', () => {
      mkdirSync(path.join(projectRoot, 'calendars'));
      writeFileSync(path.join(projectRoot, 'calendars', 'de.ics'), ICS);
      writeFileSync(path.join(projectRoot, 'playbook.json'), withIcs('calendars/de.ics'));
      const bundle = playbookBundle(projectRoot);
      expect(bundle.playbook.calendars.business!.holidays).toContain('2027-01-01');
      expect(bundle.commandHooks!.afterBundling('/in', '/out')).toEqual([
        'cp "/in/playbook.json" "/out/playbook.json"',
        'mkdir -p "/out/calendars" && cp "/in/calendars/de.ics" "/out/calendars/de.ics"',
      ]);
    });

    it('stops synth when the .ics lies outside the repository (it could not ship)', () => {
      const outside = mkdtempSync(path.join(tmpdir(), 'outside-'));
      try {
        writeFileSync(path.join(outside, 'x.ics'), ICS);
        const relative = path.relative(projectRoot, path.join(outside, 'x.ics'));
        writeFileSync(path.join(projectRoot, 'playbook.json'), withIcs(relative));
        expect(() => playbookBundle(projectRoot)).toThrow(/must be a path inside the repository/);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });
  });

  describe('a stage\'s own playbook file (stage key playbook)', () => {
    const ICS = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'SUMMARY:New Year', 'DTSTART;VALUE=DATE:20270101', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n');

    it('ships from its folder, with the calendars it names beside it, and is what PLAYBOOK_PATH points at', () => {
      mkdirSync(path.join(projectRoot, 'stages', 'calendars'), { recursive: true });
      writeFileSync(path.join(projectRoot, 'stages', 'calendars', 'de.ics'), ICS);
      writeFileSync(path.join(projectRoot, 'stages', 'staging.json'), JSON.stringify({ calendars: { business: { week: { mon: [['09:00', '17:00']] }, holidaysIcs: 'calendars/de.ics' } }, chat: { support: { kind: 'slack', secret: 'staging/chat/support' } } }));
      const bundle = playbookBundle(projectRoot, 'stages/staging.json');
      expect(bundle.environment).toEqual({ PLAYBOOK_PATH: '/var/task/stages/staging.json' });
      expect(bundle.playbook.chat.support).toEqual({ kind: 'slack', secret: 'staging/chat/support' });
      expect(bundle.commandHooks!.afterBundling('/in', '/out')).toEqual([
        'mkdir -p "/out/stages" && cp "/in/stages/staging.json" "/out/stages/staging.json"',
        'mkdir -p "/out/stages/calendars" && cp "/in/stages/calendars/de.ics" "/out/stages/calendars/de.ics"',
      ]);
    });

    it('stops synth when the stage names a file that does not exist (no silent fall-back to the defaults)', () => {
      expect(() => playbookBundle(projectRoot, 'stages/prod.json')).toThrow(/stages\/prod\.json does not exist/);
    });

    it('may lie outside the repository only when nothing is bundled (the local stack synthesizes from any PLAYBOOK_PATH)', () => {
      const outside = mkdtempSync(path.join(tmpdir(), 'outside-'));
      try {
        writeFileSync(path.join(outside, 'mine.json'), JSON.stringify({}));
        const relative = path.relative(projectRoot, path.join(outside, 'mine.json'));
        expect(() => playbookBundle(projectRoot, relative)).toThrow(/must be a path inside the repository/);
        expect(playbookBundle(projectRoot, relative, { bundling: false }).playbook).toEqual(loadPlaybook(undefined));
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });
  });
});
