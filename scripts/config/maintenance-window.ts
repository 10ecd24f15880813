// Maintenance windows, read from what a person writes: "Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00 UTC",
// "daily 01:00-05:00 UTC". Only the parsing: whether an instant falls inside is shared/time-window.ts.
import type { MaintenanceWindowConfig } from './config.ts';

export type WindowParseResult = { ok: true; window: MaintenanceWindowConfig } | { ok: false; message: string;
  fix: string };

const FORMAT_FIX =
  'write "DAYS HH:MM-HH:MM TIME_ZONE", e.g. "Mon-Fri 22:00-06:00 Europe/Berlin", "Sat,Sun 00:00-24:00 UTC" or "daily 01:00-05:00 America/New_York"';

const DAY_NAMES: readonly (readonly string[])[] = [
  ['sun', 'sunday'],
  ['mon', 'monday'],
  ['tue', 'tuesday', 'tues'],
  ['wed', 'wednesday'],
  ['thu', 'thursday', 'thur', 'thurs'],
  ['fri', 'friday'],
  ['sat', 'saturday'],
];

function dayIndex(name: string): number | undefined {
  const lower = name.toLowerCase();
  const i = DAY_NAMES.findIndex((names) => names.includes(lower));
  return i === -1 ? undefined : i;
}

function parseDays(text: string): { ok: true; days: number[] } | { ok: false; message: string } {
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === 'everyday' || lower === '*') {
    return { ok: true, days: [0, 1, 2, 3, 4, 5, 6] };
  }
  if (lower === 'weekdays') {
    return { ok: true, days: [1, 2, 3, 4, 5] };
  }
  if (lower === 'weekends') {
    return { ok: true, days: [0, 6] };
  }
  const days = new Set<number>();
  for (const part of text.split(',')) {
    const ends = part.split('-');
    if (ends.length > 2 || part === '') {
      return { ok: false, message: `the day range "${part}" in "${text}" is not a day or a range of two days` };
    }
    const indexes: number[] = [];
    for (const end of ends) {
      const i = dayIndex(end);
      if (i === undefined) {
        return { ok: false,
          message: `"${end}" in "${text}" is not a day (use Mon, Tue, Wed, Thu, Fri, Sat, Sun or daily)` };
      }
      indexes.push(i);
    }
    const [from = 0, to = from] = indexes;
    // A range may wrap around the week: "Fri-Mon" is Fri, Sat, Sun, Mon.
    for (let d = from;; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) {
        break;
      }
    }
  }
  return { ok: true, days: [...days].sort((a, b) => a - b) };
}

function parseClock(text: string, allow24: boolean): number | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (m === null) {
    return undefined;
  }
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (allow24 && hours === 24 && minutes === 0) {
    return 1440;
  }
  if (hours > 23 || minutes > 59) {
    return undefined;
  }
  return hours * 60 + minutes;
}

/** The canonical name of a time zone, or undefined when Intl does not know it. */
export function canonicalTimeZone(name: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function parseMaintenanceWindow(text: string): WindowParseResult {
  const parts = text.trim().split(/\s+/).filter((p) => p !== '');
  const fail = (message: string, fix: string = FORMAT_FIX): WindowParseResult => ({ ok: false, message, fix });
  if (parts.length === 0) {
    return fail('the maintenance window is empty');
  }
  if (parts.length === 2 && /^\d/.test(parts[1] ?? '')) {
    return fail(`the maintenance window "${text}" has no time zone`,
      `add a time zone at the end, e.g. "${text.trim()} UTC"`);
  }
  if (parts.length !== 3) {
    return fail(`the maintenance window "${text}" has ${parts.length} parts instead of 3 (days, times, time zone)`);
  }
  const [daysText = '', timesText = '', zoneText = ''] = parts;
  const days = parseDays(daysText);
  if (!days.ok) {
    return fail(`the maintenance window "${text}" is invalid: ${days.message}`);
  }
  const times = timesText.split('-');
  if (times.length !== 2) {
    return fail(`the times "${timesText}" of the maintenance window "${text}" are not a range HH:MM-HH:MM`);
  }
  const [startText = '', endText = ''] = times;
  const startMinute = parseClock(startText, false);
  if (startMinute === undefined) {
    return fail(`the start time "${startText}" of the maintenance window "${text}" is not a time from 00:00 to 23:59`);
  }
  const endMinute = parseClock(endText, true);
  if (endMinute === undefined) {
    return fail(`the end time "${endText}" of the maintenance window "${text}" is not a time from 00:00 to 24:00`);
  }
  if (startMinute === endMinute) {
    return fail(
      `the maintenance window "${text}" starts and ends at the same time`,
      'for a whole day write 00:00-24:00; otherwise give an end time different from the start',
    );
  }
  const timeZone = canonicalTimeZone(zoneText);
  if (timeZone === undefined) {
    return fail(
      `the time zone "${zoneText}" of the maintenance window "${text}" is unknown`,
      'use an IANA time zone such as UTC, Europe/Berlin or America/New_York',
    );
  }
  return { ok: true, window: { days: days.days, startMinute, endMinute, timeZone, text: text.trim() } };
}
