import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_PLAYBOOK } from './defaults';
import { parseIcsHolidays } from './ics';
import type { Playbook } from '../domain/playbook';
import { PlaybookSchema } from './schema';

export class PlaybookConfigError extends Error {
  override name = 'PlaybookConfigError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Objects merge key by key; anything else (lists included) is replaced whole. */
function overlay(base: Json, override: Json): Json {
  if (isObject(base) && isObject(override)) {
    const merged: Record<string, Json> = { ...base };
    for (const [key, value] of Object.entries(override)) merged[key] = key in base ? overlay(base[key]!, value) : value;
    return merged;
  }
  return override;
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Builds the playbook from the defaults with a team's overrides on top.
 * Throws a PlaybookConfigError naming every bad key, so a wrong file stops start-up.
 * A calendar's holidaysIcs is read relative to `baseDir` (the playbook file's folder).
 */
export function parsePlaybook(overrides: unknown, source = 'playbook', { baseDir = process.cwd() }: { baseDir?: string } = {}): Playbook {
  const merged = overlay(DEFAULT_PLAYBOOK as unknown as Json, (overrides ?? {}) as Json);
  const result = PlaybookSchema.safeParse(merged);
  const fail = (issues: { path: PropertyKey[]; message: string }[]) => {
    const lines = issues.map((issue) => `  - ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    return new PlaybookConfigError(`${source} is invalid:\n${lines.join('\n')}`);
  };
  if (!result.success) throw fail(result.error.issues);
  const playbook = result.data;
  const problems: { path: PropertyKey[]; message: string }[] = [];
  for (const [name, calendar] of Object.entries(playbook.calendars)) {
    if (!calendar.holidaysIcs) continue;
    const path = ['calendars', name, 'holidaysIcs'];
    const file = resolve(baseDir, calendar.holidaysIcs);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      problems.push({ path, message: `cannot read ${file}: ${(error as Error).message}` });
      continue;
    }
    const ics = parseIcsHolidays(text);
    if (ics.problems.length) problems.push(...ics.problems.map((problem) => ({ path, message: `${file}: ${problem}` })));
    else calendar.holidays = [...new Set([...calendar.holidays, ...ics.dates])].sort();
  }
  if (problems.length) throw fail(problems);
  return playbook;
}

/** Reads a playbook file (JSON). No path means the defaults alone. */
export function loadPlaybook(path: string | undefined): Playbook {
  if (!path) return parsePlaybook({}, 'default playbook');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PlaybookConfigError(`cannot read playbook file ${path}`, { cause });
  }
  let overrides: unknown;
  try {
    overrides = JSON.parse(text);
  } catch (cause) {
    throw new PlaybookConfigError(`playbook file ${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return parsePlaybook(overrides, `playbook file ${path}`, { baseDir: dirname(resolve(path)) });
}

/**
 * The files a playbook reads besides itself (its calendars' holidaysIcs), as written: relative
 * to the playbook file. Whatever ships the playbook (the Lambda bundle) must ship these beside it.
 */
export function holidayFilesOf(playbook: Playbook): string[] {
  return [...new Set(Object.values(playbook.calendars).flatMap((calendar) => (calendar.holidaysIcs ? [calendar.holidaysIcs] : [])))];
}
