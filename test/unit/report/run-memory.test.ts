// The memory between runs (report/run-memory.ts), through whole runs on the in-memory cluster: what one run measured
// and left is what the next one plans with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pacingNodeTime } from '../../../scripts/report/run-memory.ts';
import { runOnce } from '../../../scripts/run-once.ts';
import { FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';
import { fakeRunDeps } from '../support/run-deps.ts';

const runDeps = fakeRunDeps;

test("pacing's node time is what earlier runs measured, not the --step-timeout", async () => {
  const c = new FakeCluster();
  for (const n of ['node-a', 'node-b']) {
    c.addNode(n, { tokenExpiresInMs: 2 * HOUR }); // expiring: rotated one after the other
    c.addReplicaSet('apps', `web-${n}`, { node: n }); // each replacement Ready 3 s after its eviction
  }
  const config = { dependents: 'secondary-networks', scheduleIntervalMs: 5 * MINUTE } as const;
  const first = await runOnce(runDeps(c, config));
  assert.equal(first.exitCode, 0, first.outcome);
  assert.equal(first.plan.pacing?.nodeTimeMs, 5 * MINUTE, 'nothing measured yet: the --step-timeout');
  // Each node's own time: its Multus pod Ready in 2 s with its token, its dependent in 3 s; not the other node's.
  assert.deepEqual(first.execution?.nodes.map((n) => [n.node, n.workMs]), [['node-a', 5 * SECOND], ['node-b',
    5 * SECOND]]);
  assert.match(c.summary?.['node-times.yaml'] ?? '', /node: node-b\n\s+ms: 5000/);

  const second = await runOnce(runDeps(c, { ...config, mode: 'dry-run' }));
  assert.equal(second.plan.pacing?.nodeTimeMs, 5 * SECOND);
  assert.match(second.plan.pacing?.nodeTimeFrom ?? '', /^measured: the 90th percentile of the last 2 node\(s\)/);
  // A run of 10 nodes takes 50 s, not 50 min: runs that act come every 5 min, not every 50.
  assert.equal(second.plan.pacing?.intervalMs, 5 * MINUTE);
  assert.match(c.summary?.['summary.yaml'] ?? '', /nodeTimeFrom: "?measured/);
});

test('--node-time, when given, is what pacing uses, whatever was measured', () => {
  const samples = [{ node: 'a', ms: 4000, at: 0 }];
  assert.deepEqual(pacingNodeTime({ nodeTimeMs: 90_000, stepTimeoutMs: 300_000 }, samples), { nodeTimeMs: 90_000,
    nodeTimeFrom: '--node-time' });
  assert.equal(pacingNodeTime({ stepTimeoutMs: 300_000 }, samples).nodeTimeMs, 4000);
  assert.equal(pacingNodeTime({ stepTimeoutMs: 300_000 }, []).nodeTimeMs, 300_000);
});
