// runDepsFor (scripts/run-deps.ts): each mode is given what it may use and nothing more — a dry run no writer, a
// server-side dry run no lease, only --execute the lease, its holder and the guard rails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunMode } from '../../scripts/model.ts';
import { fakeRunDeps } from './support/run-deps.ts';
import { FakeCluster } from './support/fake-cluster.ts';

function given(mode: RunMode) {
  const guardRails = { jobNamespace: 'platform', probe: async () => ({}) as never };
  const deps = fakeRunDeps(new FakeCluster(), { mode }, { guardRails });
  return { acting: deps.acting, keys: ['writer', 'lease', 'holder', 'guardRails'].filter((k) => k in deps) };
}

test('a dry run is given nothing that changes the cluster', () => {
  assert.deepEqual(given('dry-run'), { acting: 'dry-run', keys: [] });
});

test('--server-dry-run is given the writer, not the lease', () => {
  assert.deepEqual(given('server-dry-run'), { acting: 'server-dry-run', keys: ['writer'] });
});

test('--execute is given the writer, the lease, its holder and the guard rails', () => {
  assert.deepEqual(given('execute'), { acting: 'execute', keys: ['writer', 'lease', 'holder', 'guardRails'] });
});
