import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../../scripts/config/parse-duration.ts';

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
