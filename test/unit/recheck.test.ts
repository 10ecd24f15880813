// The executor's re-check port built on the scan's context (scripts/recheck.ts), on the in-memory cluster: a node is
// read and judged again as the scan and classifier do, a pod as the plan does, against the budgets listed now.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeCluster, HOUR } from './support/fake-cluster.ts';

test('refindMultus reads the node through its Multus pod as it is now, and judges the token', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: 200 * 24 * HOUR });
  const { recheck } = await c.stepDeps();
  assert.equal((await recheck.refindMultus(c.multusPod('node-a'))).class, 'expired');
  assert.equal((await recheck.refindMultus(c.multusPod('node-b'))).class, 'healthy');
});

test('reverdictPod judges a pod as the plan does, against the budgets listed now', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const [pod] = c.addReplicaSet('demo', 'web', { node: 'node-a', replicas: 2 });
  assert.ok(pod);
  const { recheck } = await c.stepDeps();
  assert.equal((await recheck.reverdictPod(pod, await recheck.listPdbs())).action, 'restart');
  c.addPdb('demo', 'web', { matchLabels: { app: 'web' }, minAvailable: 2 });
  const pdbs = await recheck.listPdbs();
  assert.deepEqual(pdbs.map((p) => p.name), ['web']);
  const blocked = await recheck.reverdictPod(pod, pdbs);
  assert.equal(blocked.action, 'blocked');
  assert.match(blocked.reason, /demo\/web/);
});
