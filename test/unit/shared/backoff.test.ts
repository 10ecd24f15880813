import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withRetry } from '../../../scripts/cluster/retry.ts';
import { backoffMs, type BackoffClock, startBackoff } from '../../../scripts/shared/backoff.ts';

/** A fake clock: sleep advances it and records the wait; `stopAfter` sleeps, it reports being stopped. */
function fakeClock(random = 0.5, stopAfter = Number.POSITIVE_INFINITY) {
  const slept: number[] = [];
  let now = 1_000_000;
  const clock: BackoffClock = {
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
      return slept.length < stopAfter;
    },
    random: () => random,
  };
  return { clock, slept };
}

test('backoffMs: exponential up to the cap, Retry-After instead when asked, ±20 % jitter either way', () => {
  const policy = { firstMs: 250, maxMs: 5_000 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(policy, n, () => 0.5)), [250, 500, 1000, 2000, 4000, 5000,
    5000]);
  assert.equal(backoffMs(policy, 3, () => 0), 800);
  assert.equal(backoffMs(policy, 3, () => 1), 1200);
  assert.equal(backoffMs(policy, 1, () => 0.5, 7_000), 7_000);
  assert.equal(backoffMs(policy, 1, () => 0, 7_000), 5_600);
});

test('startBackoff: no wait once it would pass the budget, counted from the start on the given clock', async () => {
  const { clock } = fakeClock();
  const b = startBackoff({ firstMs: 1000, maxMs: 10_000 }, 5_000, clock);
  assert.equal(b.next(1), 1000);
  await clock.sleep(1000);
  assert.equal(b.next(2), 2000);
  await clock.sleep(2000);
  assert.equal(b.elapsedMs(), 3000);
  assert.equal(b.next(3), undefined, '3 s + 4 s passes the 5 s budget');
  assert.equal(b.next(1, 2000), 2000, 'a Retry-After that still fits is honoured');
});

test('withRetry on a fake clock: waits the backoff between tries, and stops within its budget', async () => {
  const { clock, slept } = fakeClock();
  let calls = 0;
  await assert.rejects(withRetry(async () => {
    calls++;
    throw { code: 503 };
  }, { budgetMs: 2_000, firstDelayMs: 250, maxDelayMs: 5_000, clock }));
  assert.deepEqual(slept, [250, 500, 1000], 'the next wait (2 s) would pass the 2 s budget');
  assert.equal(calls, 4);
});

test('withRetry on a fake clock: stopped while waiting, it throws the error that made it wait', async () => {
  const { clock, slept } = fakeClock(0.5, 1);
  const failing = withRetry(async () => {
    throw { code: 503, marker: 'first' };
  }, { clock });
  await assert.rejects(failing, (e) => (e as { marker?: string }).marker === 'first');
  assert.deepEqual(slept, [250]);
});
