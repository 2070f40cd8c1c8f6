import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import { DEFAULT_PLAYBOOK } from '../../functions/playbook/defaults';
import { Duration, formatDuration } from '../../functions/playbook/duration';
import { holidayFilesOf, loadPlaybook, parsePlaybook, PlaybookConfigError } from '../../functions/playbook/load';
import { DAY, HOUR, MINUTE } from './fixtures';

/** Runs fn, expects a PlaybookConfigError, returns its message. */
function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlaybookConfigError);
    expect((error as Error).name).toBe('PlaybookConfigError');
    return (error as Error).message;
  }
  throw new Error('expected a PlaybookConfigError, nothing was thrown');
}

describe('default playbook', () => {
  const playbook = parsePlaybook({});

  it('matches the severity matrix of PLAYBOOK.md §2, in milliseconds', () => {
    expect(playbook.severities.critical).toMatchObject({ acknowledgeWithin: 1 * HOUR, updateEvery: 1 * HOUR, resolveWithin: 24 * HOUR });
    expect(playbook.severities.high).toMatchObject({ acknowledgeWithin: 4 * HOUR, updateEvery: 4 * HOUR, resolveWithin: 72 * HOUR });
    expect(playbook.severities.medium).toMatchObject({ acknowledgeWithin: 24 * HOUR, updateEvery: 24 * HOUR, resolveWithin: 7 * DAY });
    expect(playbook.severities.low).toMatchObject({ acknowledgeWithin: 48 * HOUR, updateEvery: 48 * HOUR, resolveWithin: 14 * DAY });
  });

  it('involves the teams named in the severity matrix', () => {
    expect(playbook.severities.critical.involve).toEqual(expect.arrayContaining(['csm', 'support_lead', 'engineering']));
    expect(playbook.severities.high.involve).toEqual(expect.arrayContaining(['csm', 'support']));
    expect(playbook.severities.medium.involve.some((r) => r === 'csm' || r === 'support')).toBe(true);
    expect(playbook.severities.low.involve).toContain('support');
  });

  it('has the default ladder (Support Lead / CSM Manager → VP Customer Success → Executive Sponsor)', () => {
    expect(playbook.ladder).toEqual([['support_lead', 'csm_manager'], ['vp_customer_success'], ['executive_sponsor']]);
  });

  it('follows up 24 h after resolution, recovery call within a week, health check within a month', () => {
    expect(playbook.followUp).toEqual({ after: 24 * HOUR, recoveryCallAfter: 7 * DAY, healthCheckAfter: 30 * DAY });
  });

  it('has an unresolved-within-24h rule routing to the CSM manager', () => {
    const rule = playbook.routing.find((r) => r.when.unresolvedFor !== undefined);
    expect(rule).toBeDefined();
    expect(rule!.when.unresolvedFor).toBe(24 * HOUR);
    expect(rule!.routeTo).toEqual(['csm_manager']);
  });

  it('gives every role it uses a contact', () => {
    const roles = [
      ...SEVERITIES.flatMap((s) => playbook.severities[s].involve),
      ...playbook.routing.flatMap((r) => r.routeTo),
      ...playbook.ladder.flat(),
    ];
    for (const role of roles) expect(playbook.contacts[role]?.length, role).toBeGreaterThan(0);
  });

  it('treats undefined / null overrides and loadPlaybook(undefined) as the defaults alone', () => {
    expect(parsePlaybook(undefined)).toEqual(playbook);
    expect(parsePlaybook(null)).toEqual(playbook);
    expect(loadPlaybook(undefined)).toEqual(playbook);
  });

  it('does not mutate DEFAULT_PLAYBOOK when overrides are applied', () => {
    const before = JSON.stringify(DEFAULT_PLAYBOOK);
    parsePlaybook({ severities: { high: { acknowledgeWithin: '2h' } }, contacts: { extra: ['x@example.com'] } });
    expect(JSON.stringify(DEFAULT_PLAYBOOK)).toBe(before);
  });
});

describe('overrides merge over the defaults', () => {
  const defaults = parsePlaybook({});

  it('changing only severities.high.acknowledgeWithin leaves everything else as default', () => {
    const playbook = parsePlaybook({ severities: { high: { acknowledgeWithin: '2h' } } });
    expect(playbook.severities.high).toEqual({ ...defaults.severities.high, acknowledgeWithin: 2 * HOUR });
    expect(playbook.severities.critical).toEqual(defaults.severities.critical);
    expect(playbook.severities.medium).toEqual(defaults.severities.medium);
    expect(playbook.severities.low).toEqual(defaults.severities.low);
    expect({ ...playbook, severities: undefined }).toEqual({ ...defaults, severities: undefined });
  });

  it('adds contacts key by key, keeping the default ones', () => {
    const playbook = parsePlaybook({ contacts: { support: ['helpdesk@acme.example'], qa: ['qa@acme.example'] } });
    expect(playbook.contacts.support).toEqual(['helpdesk@acme.example']);
    expect(playbook.contacts.qa).toEqual(['qa@acme.example']);
    expect(playbook.contacts.csm).toEqual(defaults.contacts.csm);
  });

  it('replaces lists whole (the ladder) rather than merging them index by index', () => {
    const playbook = parsePlaybook({ ladder: [['vp_customer_success']] });
    expect(playbook.ladder).toEqual([['vp_customer_success']]);
  });

  it('accepts minutes and days', () => {
    const playbook = parsePlaybook({ severities: { critical: { acknowledgeWithin: '30m', resolveWithin: '2d' } } });
    expect(playbook.severities.critical.acknowledgeWithin).toBe(30 * MINUTE);
    expect(playbook.severities.critical.resolveWithin).toBe(2 * DAY);
  });

  it('accepts a follow-up anywhere in 24–48 h', () => {
    expect(parsePlaybook({ followUp: { after: '24h' } }).followUp.after).toBe(24 * HOUR);
    expect(parsePlaybook({ followUp: { after: '36h' } }).followUp.after).toBe(36 * HOUR);
    expect(parsePlaybook({ followUp: { after: '2d' } }).followUp.after).toBe(48 * HOUR);
  });
});

describe('invalid playbooks fail with a PlaybookConfigError naming the key', () => {
  it.each(['2 hours', '0h', '-1h', '1.5h', 'h', '4', '4w', ''])('rejects severities.high.acknowledgeWithin = %j', (value) => {
    const message = configError(() => parsePlaybook({ severities: { high: { acknowledgeWithin: value } } }));
    expect(message).toContain('severities.high.acknowledgeWithin');
  });

  it('rejects a duration of the wrong type', () => {
    expect(configError(() => parsePlaybook({ severities: { low: { resolveWithin: 48 } } }))).toContain('severities.low.resolveWithin');
  });

  it('rejects a ladder role that has no contacts entry, naming ladder.0', () => {
    const message = configError(() => parsePlaybook({ ladder: [['support_lead', 'head_of_support']] }));
    expect(message).toContain('ladder.0');
    expect(message).toContain('head_of_support');
  });

  it('rejects a routing role or involve role without contacts, naming its path', () => {
    const routing = configError(() =>
      parsePlaybook({ routing: [{ name: 'x', when: { anyCategory: ['technical'] }, routeTo: ['sre'] }] }),
    );
    expect(routing).toContain('routing.0.routeTo');
    const involve = configError(() => parsePlaybook({ severities: { low: { involve: ['nobody'] } } }));
    expect(involve).toContain('severities.low.involve');
  });

  it.each(['23h', '49h', '1h', '3d', '1439m'])('rejects followUp.after = %s (outside 24–48 h)', (after) => {
    expect(configError(() => parsePlaybook({ followUp: { after } }))).toContain('followUp.after');
  });

  it('rejects an unknown top-level key, naming it', () => {
    expect(configError(() => parsePlaybook({ escalationMatrix: {} }))).toContain('escalationMatrix');
  });

  it('rejects an unknown nested key and an unknown severity', () => {
    expect(configError(() => parsePlaybook({ severities: { high: { ackWithin: '1h' } } }))).toContain('ackWithin');
    expect(configError(() => parsePlaybook({ severities: { urgent: { acknowledgeWithin: '1h' } } }))).toContain('urgent');
  });

  it('rejects a contact that is not an email and a malformed role name', () => {
    expect(configError(() => parsePlaybook({ contacts: { support: ['not-an-email'] } }))).toContain('contacts.support.0');
    expect(configError(() => parsePlaybook({ contacts: { 'Support Team': ['a@example.com'] } }))).toContain('contacts');
  });

  it('rejects an empty ladder, an empty routing condition and an unknown trigger in a rule', () => {
    expect(configError(() => parsePlaybook({ ladder: [] }))).toContain('ladder');
    expect(configError(() => parsePlaybook({ routing: [{ name: 'r', when: {}, routeTo: ['csm'] }] }))).toContain('routing.0.when');
    expect(
      configError(() => parsePlaybook({ routing: [{ name: 'r', when: { anyTrigger: ['meteor_strike'] }, routeTo: ['csm'] }] })),
    ).toContain('routing.0.when.anyTrigger');
  });

  it('names every bad key, not just the first', () => {
    const message = configError(() =>
      parsePlaybook({ severities: { high: { acknowledgeWithin: 'soon' } }, followUp: { after: '72h' }, idempotencyWindow: 'x' }),
    );
    expect(message).toContain('severities.high.acknowledgeWithin');
    expect(message).toContain('followUp.after');
    expect(message).toContain('idempotencyWindow');
  });

  it('names the source in the message', () => {
    expect(configError(() => parsePlaybook({ idempotencyWindow: '0m' }, 'team.json'))).toContain('team.json');
  });
});

describe('calendars', () => {
  const defaults = parsePlaybook({});

  it('by default critical runs 24×7 and the others Mon–Fri 09:00–17:00 in the account\'s zone (team zone UTC)', () => {
    expect(defaults.severityCalendars).toEqual({ critical: '24x7', high: 'business', medium: 'business', low: 'business' });
    expect(defaults.calendars['24x7']).toEqual({ alwaysOpen: true, holidays: [] });
    const business = defaults.calendars.business!;
    expect(business.timeZone).toBeUndefined();
    expect(business.week).toEqual({ mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']] });
    expect(defaults.teamTimeZone).toBe('UTC');
    expect(defaults.accountCalendars).toEqual({});
  });

  it('merges a team\'s calendar over the default one day by day, and adds new calendars', () => {
    const playbook = parsePlaybook({
      teamTimeZone: 'Europe/Berlin',
      calendars: {
        business: { week: { mon: [['08:00', '12:00'], ['13:00', '17:00']], fri: [] }, holidays: ['2026-12-25'] },
        'support-extended': { timeZone: 'America/New_York', week: { sat: [['10:00', '14:00']], sun: [['00:00', '24:00']] } },
      },
      severityCalendars: { high: 'support-extended' },
      accountCalendars: { 'acct-42': { medium: '24x7' } },
    });
    expect(playbook.calendars.business!.week!.mon).toEqual([['08:00', '12:00'], ['13:00', '17:00']]);
    expect(playbook.calendars.business!.week!.tue).toEqual([['09:00', '17:00']]);
    expect(playbook.calendars.business!.week!.fri).toEqual([]);
    expect(playbook.calendars.business!.holidays).toEqual(['2026-12-25']);
    expect(playbook.severityCalendars).toEqual({ critical: '24x7', high: 'support-extended', medium: 'business', low: 'business' });
    expect(playbook.accountCalendars['acct-42']).toEqual({ medium: '24x7' });
  });

  it.each([
    [{ calendars: { business: { week: { mon: [['9:00', '17:00']] } } } }, 'calendars.business.week.mon.0.0'],
    [{ calendars: { business: { week: { mon: [['09:00', '25:00']] } } } }, 'calendars.business.week.mon.0.1'],
    [{ calendars: { business: { week: { mon: [['24:00', '24:00']] } } } }, 'calendars.business.week.mon.0.0'],
    [{ calendars: { business: { week: { mon: [['17:00', '09:00']] } } } }, 'calendars.business.week.mon.0'],
    [{ calendars: { business: { week: { mon: [['09:00', '13:00'], ['12:00', '17:00']] } } } }, 'calendars.business.week.mon.1'],
    [{ calendars: { business: { week: { mon: [['13:00', '17:00'], ['09:00', '12:00']] } } } }, 'calendars.business.week.mon.1'],
    [{ calendars: { business: { week: { monday: [['09:00', '17:00']] } } } }, 'monday'],
    [{ calendars: { business: { timeZone: 'Europe/Berln' } } }, 'calendars.business.timeZone'],
    [{ calendars: { business: { holidays: ['2026-02-30'] } } }, 'calendars.business.holidays.0'],
    [{ calendars: { business: { holidays: ['25.12.2026'] } } }, 'calendars.business.holidays.0'],
    [{ calendars: { business: { week: { mon: [], tue: [], wed: [], thu: [], fri: [] } } } }, 'calendars.business.week'],
    [{ calendars: { '24x7': { week: { mon: [['09:00', '17:00']] } } } }, 'calendars.24x7.week'],
    [{ calendars: { '24x7': { holidays: ['2026-12-25'] } } }, 'calendars.24x7.holidays'],
    [{ calendars: { 'bad name': { alwaysOpen: true } } }, 'calendars'],
    [{ teamTimeZone: 'Mars/Olympus' }, 'teamTimeZone'],
    [{ severityCalendars: { high: 'weekdays' } }, 'severityCalendars.high'],
    [{ severityCalendars: { urgent: 'business' } }, 'urgent'],
    [{ accountCalendars: { acme: { low: 'nights' } } }, 'accountCalendars.acme.low'],
    [{ accountCalendars: { acme: { sometimes: 'business' } } }, 'sometimes'],
  ])('rejects %j, naming %s', (overrides, key) => {
    const message = configError(() => parsePlaybook(overrides));
    expect(message).toContain(key);
  });

  it('accepts an interval ending at 24:00 and touching intervals', () => {
    const playbook = parsePlaybook({ calendars: { business: { week: { sat: [['00:00', '12:00'], ['12:00', '24:00']] } } } });
    expect(playbook.calendars.business!.week!.sat).toEqual([['00:00', '12:00'], ['12:00', '24:00']]);
  });
});

describe('holidays from an iCalendar file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'playbook-ics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const ics = (...dates: string[]) =>
    ['BEGIN:VCALENDAR', ...dates.flatMap((date) => ['BEGIN:VEVENT', `DTSTART;VALUE=DATE:${date}`, 'END:VEVENT']), 'END:VCALENDAR'].join('\r\n');

  it('reads holidaysIcs relative to the playbook file and adds its dates to the list', () => {
    writeFileSync(join(dir, 'de.ics'), ics('20261225', '20261226', '20261003'));
    const path = join(dir, 'playbook.json');
    writeFileSync(path, JSON.stringify({ calendars: { business: { holidays: ['2026-12-25', '2026-05-01'], holidaysIcs: 'de.ics' } } }));
    expect(loadPlaybook(path).calendars.business!.holidays).toEqual(['2026-05-01', '2026-10-03', '2026-12-25', '2026-12-26']);
  });

  it('names the key and the file when it is missing or not a holiday calendar', () => {
    const path = join(dir, 'missing.json');
    writeFileSync(path, JSON.stringify({ calendars: { business: { holidaysIcs: 'nowhere.ics' } } }));
    expect(configError(() => loadPlaybook(path))).toMatch(/calendars\.business\.holidaysIcs: cannot read .*nowhere\.ics/);

    writeFileSync(join(dir, 'timed.ics'), ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'DTSTART:20261224T120000', 'END:VEVENT', 'END:VCALENDAR'].join('\n'));
    const timed = join(dir, 'timed.json');
    writeFileSync(timed, JSON.stringify({ calendars: { business: { holidaysIcs: 'timed.ics' } } }));
    const message = configError(() => loadPlaybook(timed));
    expect(message).toContain('calendars.business.holidaysIcs');
    expect(message).toContain('timed.ics');
    expect(message).toContain('not an all-day date');
  });

  it('holidayFilesOf names the files a bundle must carry beside the playbook', () => {
    writeFileSync(join(dir, 'one.ics'), ics('20260101'));
    const playbook = parsePlaybook({ calendars: { business: { holidaysIcs: 'one.ics' }, other: { week: { mon: [['09:00', '12:00']] }, holidaysIcs: 'one.ics' } } }, 'test', { baseDir: dir });
    expect(holidayFilesOf(playbook)).toEqual(['one.ics']);
    expect(holidayFilesOf(parsePlaybook({}))).toEqual([]);
  });

  it('parsePlaybook reads it relative to the given folder', () => {
    writeFileSync(join(dir, 'one.ics'), ics('20260101'));
    expect(parsePlaybook({ calendars: { business: { holidaysIcs: 'one.ics' } } }, 'test', { baseDir: dir }).calendars.business!.holidays).toEqual(['2026-01-01']);
  });
});

describe('loadPlaybook', () => {
  const dir = mkdtempSync(join(tmpdir(), 'playbook-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a JSON file and merges it over the defaults', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ severities: { critical: { updateEvery: '30m' } } }));
    const playbook = loadPlaybook(path);
    expect(playbook.severities.critical.updateEvery).toBe(30 * MINUTE);
    expect(playbook.severities.critical.acknowledgeWithin).toBe(HOUR);
  });

  it('gives a clear PlaybookConfigError for a missing file', () => {
    const path = join(dir, 'missing.json');
    const message = configError(() => loadPlaybook(path));
    expect(message).toContain(path);
    expect(message).toMatch(/cannot read/i);
  });

  it('gives a clear PlaybookConfigError for a file that is not JSON', () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, 'severities:\n  high: 4h\n');
    const message = configError(() => loadPlaybook(path));
    expect(message).toContain(path);
    expect(message).toMatch(/not valid JSON/i);
  });

  it('names the file and the bad key for a JSON file with a bad value', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ followUp: { after: '12h' } }));
    const message = configError(() => loadPlaybook(path));
    expect(message).toContain(path);
    expect(message).toContain('followUp.after');
  });
});

describe('Duration', () => {
  it('parses m / h / d to milliseconds', () => {
    expect(Duration.parse('30m')).toBe(30 * MINUTE);
    expect(Duration.parse('4h')).toBe(4 * HOUR);
    expect(Duration.parse('7d')).toBe(7 * DAY);
  });

  it('round-trips through formatDuration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('m', 'h', 'd'), (n, unit) => {
        const ms = Duration.parse(`${n}${unit}`);
        expect(ms).toBeGreaterThan(0);
        expect(Duration.parse(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('formats to the largest whole unit', () => {
    expect(formatDuration(DAY)).toBe('1d');
    expect(formatDuration(36 * HOUR)).toBe('36h');
    expect(formatDuration(90 * MINUTE)).toBe('90m');
  });
});
