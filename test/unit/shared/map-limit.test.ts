import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../../scripts/shared/map-limit.ts';

test('mapLimit keeps the input order and never runs more than the limit at once', async () => {
  let running = 0;
  let most = 0;
  const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
    running += 1;
    most = Math.max(most, running);
    await sleep(n);
    running -= 1;
    return n * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30]);
  assert.equal(most, 2);
});

test('mapLimit on an empty list, and a limit above the list length', async () => {
  assert.deepEqual(await mapLimit([], 4, async (n: number) => n), []);
  assert.deepEqual(await mapLimit([1, 2], 16, async (n) => n + 1), [2, 3]);
});
