import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { instantsOfWall, isKnownTimeZone, isoInZone, offsetMinutesAt, textInZone, upperBoundOfSkipped, wallClockAt } from '../../functions/domain/zoned-time';

// Luxon is the reference here: the calendars used it until its size in every bundle moved
// them to functions/domain/zoned-time.ts, which must answer exactly as it did.

const ZONES = ['UTC', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Sao_Paulo', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'Pacific/Apia', 'America/St_Johns', 'Africa/Casablanca', 'Asia/Tokyo'];
const zone = fc.constantFrom(...ZONES);
// 1990–2060, to the millisecond; DST rules change over these years in several of the zones.
const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) });

describe('zoned time, against Luxon', () => {
  it('reads the wall clock and the offset as Luxon does', () => {
    fc.assert(
      fc.property(instant, zone, (at, name) => {
        const luxon = DateTime.fromMillis(at, { zone: name });
        expect(wallClockAt(at, name)).toEqual({ year: luxon.year, month: luxon.month, day: luxon.day, hour: luxon.hour, minute: luxon.minute, second: luxon.second, millisecond: luxon.millisecond });
        expect(offsetMinutesAt(at, name)).toBe(luxon.offset);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes ISO 8601 and the readable form as Luxon did', () => {
    fc.assert(
      fc.property(instant, zone, fc.boolean(), (at, name, wholeSecond) => {
        const moment = wholeSecond ? at - (at % 1000) : at;
        const luxon = DateTime.fromMillis(moment, { zone: name, locale: 'en-US' });
        expect(isoInZone(moment, name)).toBe(luxon.toISO({ suppressMilliseconds: true }));
        expect(textInZone(moment, name)).toBe(luxon.toFormat('ccc d LLL yyyy HH:mm'));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds every instant of a wall time: one, two when a fall-back repeats it, none when spring-forward skips it', () => {
    fc.assert(
      fc.property(instant, zone, fc.integer({ min: 0, max: 1439 }), (at, name, minutes) => {
        const day = DateTime.fromMillis(at, { zone: name });
        const wall = { year: day.year, month: day.month, day: day.day, hour: Math.floor(minutes / 60), minute: minutes % 60 };
        const luxon = DateTime.fromObject(wall, { zone: name });
        const shown = luxon.hour === wall.hour && luxon.minute === wall.minute && luxon.day === wall.day;
        const expected = shown ? [...new Set([luxon, ...luxon.getPossibleOffsets()].map((dt) => dt.toMillis()))].sort((a, b) => a - b) : [];
        expect(instantsOfWall(wall, name)).toEqual(expected);
        if (!shown) {
          const bound = upperBoundOfSkipped(wall, name);
          const after = DateTime.fromMillis(bound, { zone: name });
          expect(after.toISODate()! > day.toISODate()! || after.hour * 60 + after.minute >= minutes).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('names the transitions of Berlin in 2026 exactly', () => {
    expect(instantsOfWall({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin')).toEqual([]);
    expect(instantsOfWall({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin')).toEqual([Date.parse('2026-10-25T00:30:00Z'), Date.parse('2026-10-25T01:30:00Z')]);
    expect(isoInZone(Date.parse('2026-03-09T11:00:00Z'), 'Europe/Berlin')).toBe('2026-03-09T12:00:00+01:00');
    expect(isoInZone(Date.parse('2026-03-09T11:00:00.250Z'), 'UTC')).toBe('2026-03-09T11:00:00.250Z');
    expect(textInZone(Date.parse('2026-03-09T11:00:00Z'), 'Europe/Berlin')).toBe('Mon 9 Mar 2026 12:00');
  });

  it('knows the zones the runtime knows, and no others', () => {
    for (const name of ZONES) expect(isKnownTimeZone(name)).toBe(true);
    for (const name of ['', 'Mars/Olympus', 'Europe/Berln']) expect(isKnownTimeZone(name)).toBe(false);
  });
});
