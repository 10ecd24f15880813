import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatInstant } from '../../../scripts/shared/time-format.ts';

test('formatInstant: each style cuts the same ISO instant, as every caller printed it before', () => {
  const whole = Date.UTC(2025, 0, 31, 12, 34, 56);
  assert.equal(formatInstant(whole), '2025-01-31T12:34:56.000Z');
  assert.equal(formatInstant(whole, 'seconds'), '2025-01-31T12:34:56Z');
  assert.equal(formatInstant(whole, 'minutes'), '2025-01-31T12:34Z');
  assert.equal(formatInstant(whole, 'table'), '2025-01-31 12:34:56Z');
  const odd = whole + 789;
  assert.equal(formatInstant(odd), '2025-01-31T12:34:56.789Z');
  assert.equal(formatInstant(odd, 'seconds'), '2025-01-31T12:34:56.789Z', 'only whole seconds lose their fraction');
  assert.equal(formatInstant(odd, 'minutes'), '2025-01-31T12:34Z');
  assert.equal(formatInstant(odd, 'table'), '2025-01-31 12:34:56Z');
});
