import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EvictAnswer } from '../../../scripts/cluster/cluster-writer.ts';
import { EVICT_BACKOFF, evictWithRetry } from '../../../scripts/execute/evict-with-retry.ts';
import { backoffMs } from '../../../scripts/shared/backoff.ts';

/** A fake clock: sleep advances it; answers are consumed in order (the last one repeats). */
function harness(answers: EvictAnswer[], opts: { abortAfterSleeps?: number } = {}) {
  let now = 0;
  let sleeps = 0;
  const slept: number[] = [];
  let i = 0;
  return {
    slept,
    calls: () => i,
    deps: {
      evict: async () => answers[Math.min(i++, answers.length - 1)] as EvictAnswer,
      now: () => now,
      sleep: async (ms: number) => {
        slept.push(ms);
        now += ms;
        sleeps++;
        return !(opts.abortAfterSleeps !== undefined && sleeps >= opts.abortAfterSleeps);
      },
      random: () => 0.5,
      aborted: () => false,
    },
  };
}

const tooMany = (retryAfterMs?: number): EvictAnswer => ({ kind: 'too-many-requests',
  message: "Cannot evict pod as it would violate the pod's disruption budget.",
  ...(retryAfterMs ? { retryAfterMs } : {}) });

test('accepted at once', async () => {
  const h = harness([{ kind: 'accepted' }]);
  assert.deepEqual(await evictWithRetry(h.deps, 10_000), { kind: 'accepted', attempts: 1, ms: 0 });
});

test('429 then accepted: waits as Retry-After says, with jitter around it', async () => {
  const h = harness([tooMany(10_000), tooMany(10_000), { kind: 'accepted' }]);
  const r = await evictWithRetry(h.deps, 60_000);
  assert.equal(r.kind, 'accepted');
  assert.equal(r.attempts, 3);
  assert.deepEqual(h.slept, [10_000, 10_000]); // random 0.5 → exactly the base
});

test('429 without Retry-After backs off exponentially up to the cap', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffMs(EVICT_BACKOFF, n, () => 0.5)), [1000, 2000, 4000, 8000,
    10000, 10000]);
  assert.equal(backoffMs(EVICT_BACKOFF, 1, () => 0), 800);
  assert.equal(backoffMs(EVICT_BACKOFF, 1, () => 1), 1200);
});

test('429 until the per-pod timeout: blocked, naming the refusal and the flag', async () => {
  const h = harness([tooMany()]);
  const r = await evictWithRetry(h.deps, 20_000);
  assert.equal(r.kind, 'blocked');
  assert.match(r.kind === 'blocked' ? r.reason : '', /disruption budget.*--step-timeout/);
  assert.ok(h.slept.reduce((a, b) => a + b, 0) <= 20_000);
});

test('500 for several budgets: blocked at once, no retry; 404: already gone; other errors: failed', async () => {
  const several = harness([{ kind: 'several-budgets', message: 'more than one PodDisruptionBudget' }, {
    kind: 'accepted',
  }]);
  assert.equal((await evictWithRetry(several.deps, 60_000)).kind, 'blocked');
  assert.equal(several.calls(), 1);
  assert.equal((await evictWithRetry(harness([{ kind: 'not-found' }]).deps, 1000)).kind, 'already-gone');
  const failed = await evictWithRetry(harness([{ kind: 'error', code: 403, message: 'forbidden' }]).deps, 1000);
  assert.equal(failed.kind, 'failed');
  assert.match(failed.kind === 'failed' ? failed.reason : '', /403.*forbidden/);
});

test('a stop signal during the back-off ends the eviction as aborted', async () => {
  const h = harness([tooMany(1000)], { abortAfterSleeps: 1 });
  assert.equal((await evictWithRetry(h.deps, 60_000)).kind, 'aborted');
});

test('409 on the UID precondition: the pod of that name is another one now; already gone, never retried', async () => {
  const h = harness([{ kind: 'replaced',
    message: 'Precondition failed: UID in precondition: a, UID in object meta: b' }]);
  const r = await evictWithRetry(h.deps, 60_000);
  assert.equal(r.kind, 'already-gone');
  assert.equal(h.calls(), 1);
  assert.match(r.kind === 'already-gone' ? r.reason ?? '' : '', /UID precondition/);
});
