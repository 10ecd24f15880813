import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paged, type Page } from '../../../scripts/cluster/paged-list.ts';

function pages(n: number): Map<string | undefined, Page<number>> {
  const m = new Map<string | undefined, Page<number>>();
  for (let i = 0; i < n; i++) {
    m.set(i === 0 ? undefined : `c${i}`, { items: [i * 10, i * 10 + 1],
      metadata: { _continue: i < n - 1 ? `c${i + 1}` : '' } });
  }
  return m;
}

test('paged follows continue tokens to the end', async () => {
  const p = pages(3);
  const all = await paged(async (cont) => p.get(cont) ?? { items: [] });
  assert.deepEqual(all, [0, 1, 10, 11, 20, 21]);
});

test('a 410 (expired continue token) restarts the list, and onPage is told so', async () => {
  const p = pages(3);
  let expired = false;
  const seen: number[] = [];
  const restarts: boolean[] = [];
  await paged(async (cont) => {
    if (cont === 'c2' && !expired) {
      expired = true;
      throw { code: 410, body: '{"reason":"Expired"}' };
    }
    return p.get(cont) ?? { items: [] };
  }, (items, restarted) => {
    if (restarted) seen.length = 0;
    restarts.push(restarted);
    seen.push(...items);
  });
  assert.deepEqual(seen, [0, 1, 10, 11, 20, 21], 'no page counted twice');
  assert.deepEqual(restarts, [false, false, true, false, false]);
});

test('a 410 that keeps coming is given up after three restarts; other errors are not retried', async () => {
  let calls = 0;
  await assert.rejects(paged(async () => {
    calls++;
    throw { code: 410 };
  }), (e: { code?: number }) => e.code === 410);
  assert.equal(calls, 4);
  let forbidden = 0;
  await assert.rejects(paged(async () => {
    forbidden++;
    throw { code: 403 };
  }));
  assert.equal(forbidden, 1);
});
