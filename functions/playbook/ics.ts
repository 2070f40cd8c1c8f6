// Holidays from an iCalendar file (RFC 5545): the all-day events of its VEVENTs.
// Deliberately small: a holiday is a date, so only all-day events are accepted, and a
// recurring event (RRULE) is refused rather than silently read as one day.

export interface IcsHolidays {
  dates: string[];
  problems: string[];
}

const DATE_VALUE = /^(\d{4})(\d{2})(\d{2})$/;

/** Unfolds continuation lines (a line starting with a space or tab continues the previous one). */
function unfold(text: string): string[] {
  const lines: string[] = [];
  for (const raw of text.replace(/\r\n?/g, '\n').split('\n')) {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && lines.length) lines[lines.length - 1] += raw.slice(1);
    else lines.push(raw);
  }
  return lines;
}

/** "DTSTART;VALUE=DATE:20261225" → { name: 'DTSTART', params: ['VALUE=DATE'], value: '20261225' } */
function contentLine(line: string) {
  const colon = line.indexOf(':');
  if (colon === -1) return undefined;
  const [name = '', ...params] = line.slice(0, colon).split(';');
  return { name: name.toUpperCase(), params: params.map((param) => param.toUpperCase()), value: line.slice(colon + 1).trim() };
}

function isoDate(value: string): string | undefined {
  const match = DATE_VALUE.exec(value);
  if (!match) return undefined;
  const [, y, m, d] = match;
  const iso = `${y}-${m}-${d}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? undefined : iso;
}

function nextDay(iso: string): string {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** How many days one all-day event may span (a long closure is fine; a typo spanning years is not). */
const MAX_EVENT_DAYS = 366;

export function parseIcsHolidays(text: string): IcsHolidays {
  const dates = new Set<string>();
  const problems: string[] = [];
  let event: { line: number; start?: string; end?: string; recurring?: boolean; invalid?: boolean; summary?: string } | undefined;
  const lines = unfold(text);
  if (!lines.some((line) => line.trim().toUpperCase() === 'BEGIN:VCALENDAR')) problems.push('not an iCalendar file: no BEGIN:VCALENDAR');

  lines.forEach((line, index) => {
    const parsed = contentLine(line.trim());
    if (!parsed) return;
    const lineNo = index + 1;
    const { name, params, value } = parsed;
    if (name === 'BEGIN' && value.toUpperCase() === 'VEVENT') {
      event = { line: lineNo };
      return;
    }
    if (!event) return;
    if (name === 'END' && value.toUpperCase() === 'VEVENT') {
      const what = `event at line ${event.line}${event.summary ? ` ("${event.summary}")` : ''}`;
      if (event.invalid) {
        // already reported
      } else if (event.recurring) problems.push(`${what} recurs (RRULE); list each holiday as its own event`);
      else if (!event.start) problems.push(`${what} has no all-day DTSTART`);
      else {
        // DTEND of an all-day event is exclusive; without it the event is one day.
        const end = event.end ?? nextDay(event.start);
        if (end <= event.start) problems.push(`${what} ends before it starts`);
        else {
          const days: string[] = [];
          for (let day = event.start; day < end && days.length <= MAX_EVENT_DAYS; day = nextDay(day)) days.push(day);
          if (days.length > MAX_EVENT_DAYS) problems.push(`${what} spans more than ${MAX_EVENT_DAYS} days`);
          else days.forEach((day) => dates.add(day));
        }
      }
      event = undefined;
      return;
    }
    if (name === 'SUMMARY') event.summary = value;
    if (name === 'RRULE' || name === 'RDATE') event.recurring = true;
    if (name === 'DTSTART' || name === 'DTEND') {
      const date = isoDate(value);
      const allDay = date !== undefined && (params.includes('VALUE=DATE') || !params.some((param) => param.startsWith('VALUE=')));
      if (!allDay) {
        problems.push(`line ${lineNo}: ${name} ${value} is not an all-day date (expected ${name};VALUE=DATE:YYYYMMDD)`);
        event.invalid = true;
        return;
      }
      if (name === 'DTSTART') event.start = date;
      else event.end = date;
    }
  });
  if (event) problems.push(`event at line ${event.line} has no END:VEVENT`);
  return { dates: [...dates].sort(), problems };
}
