import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration } from '../../../scripts/classify/format-duration.ts';

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
