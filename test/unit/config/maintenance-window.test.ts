import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMaintenanceWindow } from '../../../scripts/config/maintenance-window.ts';
import type { MaintenanceWindowConfig } from '../../../scripts/config/config.ts';

function win(text: string): MaintenanceWindowConfig {
  const r = parseMaintenanceWindow(text);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.message}`);
  return r.window;
}

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
