import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, formatSeconds, parseDuration } from '../../../scripts/shared/durations.ts';

test('parseDuration reads the units and their combinations', () => {
  const cases: [string, number][] = [
    ['90s', 90_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1d2h3m4s5ms', 93_784_005],
    [' 5m ', 300_000],
    ['0s', 0],
  ];
  for (const [text, ms] of cases) {
    assert.deepEqual(parseDuration(text), { ok: true, value: ms }, text);
  }
});

test('parseDuration refuses what is not a duration, naming the value and the fix', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['10', /no unit/],
    ['-5m', /negative/],
    ['1y', /unknown unit "y"/],
    ['abc', /cannot be read at "abc"/],
    ['5m10', /cannot be read at "10"/],
    ['1.5h', /cannot be read/],
    ['30s1m', /out of order/],
    ['1m1m', /repeats a unit/],
    ['m', /cannot be read/],
    ['99999999999999999d', /too large/],
  ];
  for (const [text, message] of cases) {
    const r = parseDuration(text);
    assert.equal(r.ok, false, text);
    if (!r.ok) {
      assert.match(r.message, message, text);
      if (text.trim() !== '') assert.ok(r.message.includes(`"${text}"`), `message names the value: ${r.message}`);
      assert.match(r.fix, /e\.g\. "90s"/);
    }
  }
});

test('formatDuration shows the two largest units', () => {
  const cases: [number, string][] = [
    [0, '0ms'],
    [500, '500ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [45_000, '45s'],
    [200_000, '3m 20s'],
    [3_600_000, '1h'],
    [3_607_000, '1h'],
    [5_400_000, '1h 30m'],
    [86_400_000, '1d'],
    [31_535_999_000, '364d 23h'],
    [90_061_000, '1d 1h'],
    [-7_200_000, '-2h'],
    [-1_500, '-1s'],
    [Number.POSITIVE_INFINITY, 'forever'],
  ];
  for (const [ms, want] of cases) {
    assert.equal(formatDuration(ms), want, String(ms));
  }
});

test('formatSeconds: whole seconds rounded, or with decimals, as log lines and reasons wrote them', () => {
  assert.equal(formatSeconds(12_345), '12 s');
  assert.equal(formatSeconds(12_500), '13 s');
  assert.equal(formatSeconds(400), '0 s');
  assert.equal(formatSeconds(12_345, 1), '12.3 s');
  assert.equal(formatSeconds(50, 1), '0.1 s');
  assert.equal(formatSeconds(0, 1), '0.0 s');
});
