// Proof the outage is over (issue 16 item 3): the pods a rejected token kept in ContainerCreating are watched after
// their node's repair; each is reported started (with how long after the fresh token) or not started within the bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stuckPodWatcher } from '../../../scripts/execute/stuck-pods.ts';
import type { NodeStep } from '../../../scripts/model.ts';
import { FakeCluster, HOUR, SECOND } from '../support/fake-cluster.ts';

test('a stuck pod that starts is reported with the time since the fresh token; one that does not, after the bound', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const starts = c.addBarePod('apps', 'starts', 'node-a');
  const hangs = c.addBarePod('apps', 'hangs', 'node-a');
  for (const p of [starts, hangs]) c.setReady(p.metadata?.uid ?? '', false); // Pending
  const step: NodeStep = { ...c.step('node-a'), repair: true, outage: [starts, hangs].map((p) => ({
    namespace: 'apps',
    name: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    effect: 'stuck' as const,
    reason: 'stuck',
  })) };
  c.after(5 * SECOND, () => c.setReady(starts.metadata?.uid ?? '', true));
  const watcher = stuckPodWatcher(await c.stepDeps({ config: { stepTimeoutMs: 30 * SECOND } }));
  watcher.add(step, c.now());
  const byNode = await watcher.finish();
  const pods = new Map((byNode.get('node-a') ?? []).map((p) => [p.name, p]));
  assert.equal(pods.get('starts')?.outcome, 'started');
  assert.ok((pods.get('starts')?.startedMs ?? 0) >= 5 * SECOND && (pods.get('starts')?.startedMs ?? 0) <= 7 * SECOND,
    String(pods.get('starts')?.startedMs));
  assert.equal(pods.get('hangs')?.outcome, 'not-started');
  assert.match(pods.get('hangs')?.reason ?? '', /not started 3\d s after the node's token was fresh/);
});
