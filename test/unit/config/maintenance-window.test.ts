import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  nextWindowStart,
  parseMaintenanceWindow,
  windowContains,
} from '../../../scripts/config/maintenance-window.ts';
import type { MaintenanceWindowConfig } from '../../../scripts/config/config.ts';

function win(text: string): MaintenanceWindowConfig {
  const r = parseMaintenanceWindow(text);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.message}`);
  return r.window;
}
const at = (iso: string): number => Date.parse(iso);

test('parseMaintenanceWindow reads days, times and the time zone', () => {
  assert.deepEqual(win('Mon-Fri 22:00-06:00 Europe/Berlin'), {
    days: [1, 2, 3, 4, 5],
    startMinute: 1320,
    endMinute: 360,
    timeZone: 'Europe/Berlin',
    text: 'Mon-Fri 22:00-06:00 Europe/Berlin',
  });
  assert.deepEqual(win('Sat,Sun 00:00-24:00 UTC').days, [0, 6]);
  assert.equal(win('Sat,Sun 00:00-24:00 UTC').endMinute, 1440);
  assert.deepEqual(win('daily 01:00-05:00 America/New_York').days, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(win('Fri-Mon 1:05-2:00 UTC').days, [0, 1, 5, 6]);
  assert.equal(win('Fri-Mon 1:05-2:00 UTC').startMinute, 65);
  assert.deepEqual(win('monday,WED,friday 10:00-11:00 utc').days, [1, 3, 5]);
  assert.equal(win('  Sun 10:00-11:00   UTC ').text, 'Sun 10:00-11:00   UTC');
});

test('parseMaintenanceWindow names what is wrong', () => {
  const cases: [string, RegExp, RegExp?][] = [
    ['', /empty/],
    ['Mon-Fri 22:00-06:00', /no time zone/, /"Mon-Fri 22:00-06:00 UTC"/],
    ['Mon-Fri 22:00-06:00 Europe/Berlin extra', /4 parts/],
    ['Mon-Fry 22:00-06:00 UTC', /"Fry" .* is not a day/],
    ['Mon-Tue-Wed 10:00-12:00 UTC', /not a day or a range/],
    ['Mon,,Tue 10:00-12:00 UTC', /not a day or a range/],
    ['Mon 25:00-06:00 UTC', /start time "25:00"/],
    ['Mon 24:00-06:00 UTC', /start time "24:00"/],
    ['Mon 22:00-24:01 UTC', /end time "24:01"/],
    ['Mon 22:60-23:00 UTC', /start time "22:60"/],
    ['Mon 10-12 UTC', /start time "10"/],
    ['Mon 10:00 UTC', /not a range HH:MM-HH:MM/],
    ['Mon 10:00-10:00 UTC', /starts and ends at the same time/, /00:00-24:00/],
    ['Mon 10:00-12:00 Mars/Olympus', /time zone "Mars\/Olympus" .* is unknown/, /IANA/],
  ];
  for (const [text, message, fix] of cases) {
    const r = parseMaintenanceWindow(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) {
      assert.match(r.message, message, text);
      if (fix !== undefined) assert.match(r.fix, fix, text);
    }
  }
});

test('windowContains: a window crossing midnight belongs to the day it starts on', () => {
  const w = win('Fri 22:00-06:00 Europe/Berlin'); // January: Berlin is UTC+1
  const cases: [string, boolean][] = [
    ['2026-01-10T02:00:00Z', true], // Sat 03:00 Berlin
    ['2026-01-09T02:00:00Z', false], // Fri 03:00 Berlin: belongs to Thursday's night, not listed
    ['2026-01-09T21:00:00Z', true], // Fri 22:00 Berlin: opens
    ['2026-01-09T20:59:00Z', false], // Fri 21:59 Berlin
    ['2026-01-10T04:59:00Z', true], // Sat 05:59 Berlin
    ['2026-01-10T05:00:00Z', false], // Sat 06:00 Berlin: closed
    ['2026-01-10T21:30:00Z', false], // Sat 22:30 Berlin: Saturday is not listed
  ];
  for (const [iso, want] of cases) {
    assert.equal(windowContains(w, at(iso)), want, iso);
  }
});

test('windowContains: whole days, daily windows and time zones', () => {
  const weekend = win('Sat,Sun 00:00-24:00 UTC');
  assert.equal(windowContains(weekend, at('2026-01-10T00:00:00Z')), true);
  assert.equal(windowContains(weekend, at('2026-01-11T23:59:59Z')), true);
  assert.equal(windowContains(weekend, at('2026-01-12T00:00:00Z')), false);
  assert.equal(windowContains(weekend, at('2026-01-09T23:59:59Z')), false);

  const ny = win('daily 01:00-05:00 America/New_York'); // January: UTC-5
  assert.equal(windowContains(ny, at('2026-01-14T06:00:00Z')), true); // 01:00 New York
  assert.equal(windowContains(ny, at('2026-01-14T05:59:00Z')), false); // 00:59
  assert.equal(windowContains(ny, at('2026-01-14T10:00:00Z')), false); // 05:00
  assert.equal(windowContains(ny, at('2026-07-14T05:00:00Z')), true); // July, UTC-4: 01:00
});

test('nextWindowStart finds the next opening, or now when already open', () => {
  const w = win('Mon-Fri 22:00-06:00 Europe/Berlin');
  const cases: [string, string][] = [
    ['2026-01-10T11:00:00Z', '2026-01-12T21:00:00Z'], // Saturday noon → Monday 22:00 Berlin
    ['2026-01-13T11:00:00Z', '2026-01-13T21:00:00Z'], // Tuesday noon → Tuesday 22:00
    ['2026-01-13T21:00:00Z', '2026-01-13T21:00:00Z'], // open → now
    ['2026-01-14T03:00:00Z', '2026-01-14T03:00:00Z'], // Wednesday 04:00, still Tuesday's window
    ['2026-01-10T05:00:00Z', '2026-01-12T21:00:00Z'], // Saturday 06:00, Friday's window just closed
    ['2026-07-11T11:00:00Z', '2026-07-13T20:00:00Z'], // summer time: 22:00 Berlin is 20:00Z
  ];
  for (const [from, want] of cases) {
    assert.equal(new Date(nextWindowStart(w, at(from))).toISOString(), new Date(at(want)).toISOString(), from);
  }
});

test('nextWindowStart across daylight-saving changes', () => {
  // 2026-03-29: Berlin skips 02:00–03:00; a window opening at 02:30 opens when clocks jump to 03:00 (01:00Z).
  const gap = win('Sun 02:30-04:00 Europe/Berlin');
  assert.equal(new Date(nextWindowStart(gap, at('2026-03-28T12:00:00Z'))).toISOString(), '2026-03-29T01:00:00.000Z');
  // 2026-10-25: Berlin repeats 02:00–03:00; the window opens at the first 02:30 (00:30Z).
  const repeat = win('Sun 02:30-02:45 Europe/Berlin');
  assert.equal(new Date(nextWindowStart(repeat, at('2026-10-24T12:00:00Z'))).toISOString(), '2026-10-25T00:30:00.000Z');
  // A window entirely inside the skipped hour does not open that day: the next Sunday.
  const never = win('Sun 02:10-02:20 Europe/Berlin');
  assert.equal(new Date(nextWindowStart(never, at('2026-03-28T12:00:00Z'))).toISOString(), '2026-04-05T00:10:00.000Z');
});

test('nextWindowStart is cheap enough to call for every message', () => {
  const w = win('Sun 03:00-04:00 Asia/Kathmandu');
  const started = performance.now();
  let t = at('2026-01-01T00:00:00Z');
  for (let i = 0; i < 200; i += 1) {
    const next = nextWindowStart(w, t);
    assert.ok(windowContains(w, next));
    assert.ok(next >= t);
    if (next !== t) assert.equal(windowContains(w, next - 60_000), false, 'the window opens exactly then');
    t += 7 * 3600_000;
  }
  assert.ok(performance.now() - started < 2000, 'took too long');
});
