import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTransient, isTransientText, withRetry } from '../../../scripts/cluster/retry.ts';

test('isTransient: network failures, 5xx and 429 are transient; 4xx and the several-budgets 500 are not', () => {
  const cases: [unknown, boolean][] = [
    [Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }), true],
    [Object.assign(new Error('request to https://x failed, reason: socket hang up'), {}), true],
    [{ code: 'ECONNRESET', message: 'read ECONNRESET' }, true],
    [{ code: 503, body: '{"message":"unavailable"}' }, true],
    [{ code: 500, body: '{"message":"etcdserver: leader changed"}' }, true],
    [{ code: 500, body: '{"message":"This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."}' }, false],
    [{ code: 429, body: '' }, true],
    [{ code: 404, body: '' }, false],
    [{ code: 403, body: '' }, false],
    [{ code: 409, body: '' }, false],
    [new Error('something else'), false],
    [undefined, false],
  ];
  for (const [err, want] of cases) assert.equal(isTransient(err), want, JSON.stringify(err));
  assert.equal(isTransientText('exec into x failed: connect ECONNREFUSED 127.0.0.1:16443'), true);
  assert.equal(isTransientText('exec into x failed: command terminated with exit code 1'), false);
});

test('withRetry retries transient errors until it succeeds, and gives up on the first permanent one', async () => {
  let calls = 0;
  const value = await withRetry(async () => {
    calls++;
    if (calls < 3) throw Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    return 'ok';
  }, { firstDelayMs: 1, maxDelayMs: 2 });
  assert.equal(value, 'ok');
  assert.equal(calls, 3);

  let permanent = 0;
  await assert.rejects(withRetry(async () => {
    permanent++;
    throw { code: 403 };
  }, { firstDelayMs: 1 }), (e: { code?: number }) => e.code === 403);
  assert.equal(permanent, 1);
});

test('withRetry stops at its budget, and honours retryOn', async () => {
  let calls = 0;
  const started = Date.now();
  await assert.rejects(withRetry(async () => {
    calls++;
    throw { code: 503 };
  }, { budgetMs: 60, firstDelayMs: 10, maxDelayMs: 20 }));
  assert.ok(calls >= 2, `retried (${calls} calls)`);
  assert.ok(Date.now() - started < 1000);
  let evictions = 0;
  await assert.rejects(withRetry(async () => {
    evictions++;
    throw { code: 429 };
  }, { firstDelayMs: 1, retryOn: (e) => (e as { code?: number }).code !== 429 }));
  assert.equal(evictions, 1);
});
