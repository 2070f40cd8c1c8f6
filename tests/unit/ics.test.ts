import { describe, expect, it } from 'vitest';
import { parseIcsHolidays } from '../../functions/playbook/ics';

const calendar = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...lines, 'END:VCALENDAR'].join('\r\n');
const event = (...lines: string[]) => ['BEGIN:VEVENT', ...lines, 'END:VEVENT'];

describe('parseIcsHolidays', () => {
  it('reads the all-day events (DTSTART;VALUE=DATE) as holidays, sorted and without duplicates', () => {
    const text = calendar(
      ...event('UID:1', 'DTSTART;VALUE=DATE:20261225', 'SUMMARY:Christmas Day'),
      ...event('UID:2', 'DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20260102', 'SUMMARY:New Year'),
      ...event('UID:3', 'DTSTART;VALUE=DATE:20261225', 'SUMMARY:Christmas again'),
    );
    expect(parseIcsHolidays(text)).toEqual({ dates: ['2026-01-01', '2026-12-25'], problems: [] });
  });

  it('expands a multi-day all-day event (DTEND is exclusive)', () => {
    const text = calendar(...event('DTSTART;VALUE=DATE:20261224', 'DTEND;VALUE=DATE:20261227', 'SUMMARY:Office closed'));
    expect(parseIcsHolidays(text).dates).toEqual(['2026-12-24', '2026-12-25', '2026-12-26']);
  });

  it('accepts LF line endings, lower-case names, extra parameters and a bare 8-digit date', () => {
    const text = ['BEGIN:VCALENDAR', 'begin:vevent', 'dtstart;value=date;x-note=holiday:20260501', 'end:vevent', 'BEGIN:VEVENT', 'DTSTART:20260525', 'END:VEVENT', 'END:VCALENDAR'].join('\n');
    expect(parseIcsHolidays(text)).toEqual({ dates: ['2026-05-01', '2026-05-25'], problems: [] });
  });

  it('unfolds continuation lines', () => {
    const text = calendar('BEGIN:VEVENT', 'SUMMARY:A very long', '  holiday name', 'DTSTART;VALUE=DATE:2026', ' 1003', 'END:VEVENT');
    expect(parseIcsHolidays(text)).toEqual({ dates: ['2026-10-03'], problems: [] });
  });

  it('ignores DTSTART lines outside events (time-zone definitions)', () => {
    const text = calendar('BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'END:STANDARD', 'END:VTIMEZONE', ...event('DTSTART;VALUE=DATE:20261003'));
    expect(parseIcsHolidays(text)).toEqual({ dates: ['2026-10-03'], problems: [] });
  });

  it('refuses a timed event, a recurring event, an impossible date and an event without a start, naming each', () => {
    const text = calendar(
      ...event('DTSTART;TZID=Europe/Berlin:20261224T120000', 'SUMMARY:Half day'),
      ...event('DTSTART;VALUE=DATE:20261225', 'RRULE:FREQ=YEARLY', 'SUMMARY:Christmas'),
      ...event('DTSTART;VALUE=DATE:20260230'),
      ...event('SUMMARY:No start'),
      ...event('DTSTART;VALUE=DATE:20261227', 'DTEND;VALUE=DATE:20261226'),
    );
    const { problems } = parseIcsHolidays(text);
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/line 5: DTSTART 20261224T120000 is not an all-day date/);
    expect(problems[1]).toMatch(/"Christmas".*recurs \(RRULE\)/);
    expect(problems[2]).toMatch(/20260230 is not an all-day date/);
    expect(problems[3]).toMatch(/"No start".*no all-day DTSTART/);
    expect(problems[4]).toMatch(/ends before it starts/);
  });

  it('refuses a file that is not iCalendar and an event left open', () => {
    expect(parseIcsHolidays('2026-12-25\n').problems).toEqual(['not an iCalendar file: no BEGIN:VCALENDAR']);
    expect(parseIcsHolidays('BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\n').problems).toEqual(['event at line 2 has no END:VEVENT']);
  });

  it('refuses an event spanning more than a year (a typo, not a closure)', () => {
    const text = calendar(...event('DTSTART;VALUE=DATE:20260101', 'DTEND;VALUE=DATE:20280101'));
    expect(parseIcsHolidays(text).problems[0]).toMatch(/spans more than 366 days/);
  });
});
