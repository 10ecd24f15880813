import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortableSleep } from '../../../scripts/execute/step-deps.ts';

test('abortableSleep resolves true when the time has passed', async () => {
  assert.equal(await abortableSleep(new AbortController().signal)(1), true);
});

test('abortableSleep resolves false as soon as the signal fires, and at once when it already had', async () => {
  const stop = new AbortController();
  const started = Date.now();
  const slept = abortableSleep(stop.signal)(60_000);
  stop.abort('SIGTERM');
  assert.equal(await slept, false);
  assert.ok(Date.now() - started < 1000);
  assert.equal(await abortableSleep(stop.signal)(60_000), false);
});
