import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SEVERITIES } from '../../functions/domain/vocabulary';
import { DEFAULT_PLAYBOOK } from '../../functions/playbook/defaults';
import { formatTarget } from '../../functions/domain/sla-target';
import { elapsedTime, target } from '../../functions/playbook/duration';

const Target = target();
const ElapsedTime = elapsedTime();
import { holidayFilesOf, loadPlaybook, parsePlaybook, PlaybookConfigError } from '../../functions/playbook/load';
import { HOUR, MINUTE } from './fixtures';

const days = (amount: number) => ({ amount, unit: 'days' });
const hours = (amount: number) => ({ amount, unit: 'hours' });
const minutes = (amount: number) => ({ amount, unit: 'minutes' });

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

  it('matches the severity matrix of PLAYBOOK.md §2, each target in the unit that says what the playbook means', () => {
    // Hours stay working time (part of a day); the table's 24 h, 48 h and 72 h are one, two and three working days.
    expect(playbook.severities.critical).toMatchObject({ acknowledgeWithin: hours(1), updateEvery: hours(1), resolveWithin: days(1) });
    expect(playbook.severities.high).toMatchObject({ acknowledgeWithin: hours(4), updateEvery: hours(4), resolveWithin: days(3) });
    expect(playbook.severities.medium).toMatchObject({ acknowledgeWithin: days(1), updateEvery: days(1), resolveWithin: days(7) });
    expect(playbook.severities.low).toMatchObject({ acknowledgeWithin: days(2), updateEvery: days(2), resolveWithin: days(14) });
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

  it('follows up the next working day, recovery call within a week (5 working days), health check within a month (20)', () => {
    expect(playbook.followUp).toEqual({ after: days(1), recoveryCallAfter: days(5), healthCheckAfter: days(20) });
  });

  it('has a not-resolved-within-a-day rule routing to the CSM manager', () => {
    const rule = playbook.routing.find((r) => r.when.unresolvedFor !== undefined);
    expect(rule).toBeDefined();
    expect(rule!.when.unresolvedFor).toEqual(days(1));
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
    expect(playbook.severities.high).toEqual({ ...defaults.severities.high, acknowledgeWithin: hours(2) });
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

  it('accepts minutes, hours and days, keeping the unit', () => {
    const playbook = parsePlaybook({ severities: { critical: { acknowledgeWithin: '30m', updateEvery: '48h', resolveWithin: '2d' } } });
    expect(playbook.severities.critical).toMatchObject({ acknowledgeWithin: minutes(30), updateEvery: hours(48), resolveWithin: days(2) });
  });

  it('accepts a follow-up one or two working days after resolution', () => {
    expect(parsePlaybook({ followUp: { after: '1d' } }).followUp.after).toEqual(days(1));
    expect(parsePlaybook({ followUp: { after: '2d' } }).followUp.after).toEqual(days(2));
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

  // In hours a follow-up would count working time: "24h" on office hours is three working days, not the next day.
  it.each(['24h', '36h', '48h', '1h', '3d', '1440m'])('rejects followUp.after = %s (not one or two working days)', (after) => {
    const message = configError(() => parsePlaybook({ followUp: { after } }));
    expect(message).toContain('followUp.after');
    expect(message).toContain('"1d" or "2d"');
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
    expect(playbook.severities.critical.updateEvery).toEqual(minutes(30));
    expect(playbook.severities.critical.acknowledgeWithin).toEqual(hours(1));
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

describe('Target and ElapsedTime', () => {
  it('parses m / h / d to an amount with its unit', () => {
    expect(Target.parse('30m')).toEqual(minutes(30));
    expect(Target.parse('4h')).toEqual(hours(4));
    expect(Target.parse('7d')).toEqual(days(7));
  });

  it('round-trips through formatTarget: what the playbook wrote is what the API shows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('m', 'h', 'd'), (n, unit) => {
        const text = `${n}${unit}`;
        expect(formatTarget(Target.parse(text))).toBe(text);
      }),
    );
  });

  it('keeps "24h" and "1d" apart: on a calendar they count differently', () => {
    expect(Target.parse('24h')).not.toEqual(Target.parse('1d'));
  });

  it('reads a plain length of time (the idempotency window) as milliseconds', () => {
    expect(ElapsedTime.parse('90m')).toBe(90 * MINUTE);
    expect(ElapsedTime.parse('24h')).toBe(24 * HOUR);
    expect(ElapsedTime.parse('1d')).toBe(24 * HOUR);
    expect(parsePlaybook({}).idempotencyWindow).toBe(24 * HOUR);
  });
});
