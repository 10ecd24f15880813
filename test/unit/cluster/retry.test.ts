import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusCode } from '../../../scripts/cluster/api-errors.ts';
import { withRetry } from '../../../scripts/cluster/retry.ts';

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
  }, { firstDelayMs: 1 }), (e) => statusCode(e) === 403);
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
  }, { firstDelayMs: 1, retryOn: (e) => statusCode(e) !== 429 }));
  assert.equal(evictions, 1);
});

test('withRetry stops waiting when its signal fires, with the error that made it wait', async () => {
  const stop = new AbortController();
  const started = Date.now();
  const failing = withRetry(async () => {
    setTimeout(() => stop.abort(), 10);
    throw { code: 503 };
  }, { firstDelayMs: 60_000, maxDelayMs: 60_000, budgetMs: 600_000, signal: stop.signal });
  await assert.rejects(failing, (e) => statusCode(e) === 503);
  assert.ok(Date.now() - started < 5000);
});
