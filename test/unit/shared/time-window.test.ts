import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMaintenanceWindow } from '../../../scripts/config/maintenance-window.ts';
import { type TimeWindow, windowContains } from '../../../scripts/shared/time-window.ts';

function win(text: string): TimeWindow {
  const r = parseMaintenanceWindow(text);
  assert.ok(r.ok, `expected "${text}" to parse: ${r.ok ? '' : r.message}`);
  return r.window;
}
const at = (iso: string): number => Date.parse(iso);

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
