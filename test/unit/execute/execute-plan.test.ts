// The executor on the in-memory cluster: what one run may break (issue 10 items 1-3). Each test differs from the
// passing case by the one thing it is about: a replacement that never becomes Ready, a DaemonSet mid-rollout, …
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executePlan } from '../../../scripts/execute/execute-plan.ts';
import { judgeMultusRestart } from '../../../scripts/execute/multus-guard.ts';
import { parseMaintenanceWindow } from '../../../scripts/config/maintenance-window.ts';
import type { RestartPlan } from '../../../scripts/model.ts';
import { FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';

const plan = (c: FakeCluster, ...nodes: string[]): RestartPlan => ({ createdAt: c.now(),
  steps: nodes.map((n) => c.step(n)), deferred: [], skipped: [], advisories: [] });
const far = (c: FakeCluster) => ({ deadline: c.now() + 10 * HOUR });
const readyOf = (c: FakeCluster, name: string) =>
  c.podsOf('ReplicaSet', name)
    .filter((p) =>
      !p.metadata?.deletionTimestamp && p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')
    ).length;

// ── item 1: stop on the first replacement that does not come back ──

test('a replacement that never becomes Ready: nothing more is evicted on the node, the node fails, the run stops', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 3, readyAfterMs: 'never' });
  c.addReplicaSet('apps', 'api', { node: 'node-b', replicas: 1 });
  const deps = await c.stepDeps({ config: { stepTimeoutMs: 2 * MINUTE } });
  const report = await executePlan(plan(c, 'node-a', 'node-b'), deps, far(c));

  assert.equal(c.calls.filter((x) => x.startsWith('evict apps/web')).length, 1, c.calls.join('\n'));
  assert.equal(readyOf(c, 'web'), 2, 'at most one pod of web is ever missing');
  const [a, b] = report.nodes;
  assert.equal(a?.outcome, 'failed', a?.reason);
  assert.deepEqual(a?.pods.map((p) => p.outcome), ['failed', 'not-started', 'not-started']);
  assert.match(a?.pods[1]?.reason ?? '', /nothing more is evicted on this node/);
  assert.match(report.stoppedBecause ?? '', /node-a failed and --on-failure is stop/);
  assert.ok(!c.calls.includes(`evict apps/${b?.pods[0]?.name}`), "node b's pods are not evicted");
});

test('a controller already short of Ready pods loses none of its Ready pods; its unready pod may go', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const [first, second] = c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2 });
  c.setReady(second?.metadata?.uid ?? '', false); // web: 1 of 2 Ready
  // Running but not Ready (a Pending pod has not started: the plan skips it, it starts by itself after the repair).
  const unready = c.pods.get(second?.metadata?.uid ?? '');
  if (unready?.status) unready.status.phase = 'Running';
  const step = c.step('node-a');
  const deps = await c.stepDeps({ config: { onFailure: 'continue' } });
  const report = await executePlan({ ...plan(c), steps: [step] }, deps, far(c));
  const byName = new Map(report.nodes[0]?.pods.map((p) => [p.name, p]));
  assert.equal(byName.get(first?.metadata?.name ?? '')?.outcome, 'blocked');
  assert.match(byName.get(first?.metadata?.name ?? '')?.reason ?? '',
    /already short of Ready pods \(1 Ready of 2 desired/);
  assert.equal(byName.get(second?.metadata?.name ?? '')?.outcome, 'evicted', 'the unready pod itself may be restarted');
  assert.ok(!c.calls.includes(`evict apps/${first?.metadata?.name}`));
});

// ── item 2: replacements must be able to land ──

test('two broken nodes sharing a Deployment: every Multus pod is restarted, each token fresh, before the first eviction', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 1 });
  c.addReplicaSet('apps', 'web-b', { node: 'node-b', replicas: 1, labels: { app: 'web' } });
  const deps = await c.stepDeps();
  const report = await executePlan(plan(c, 'node-a', 'node-b'), deps, far(c));
  assert.deepEqual(report.nodes.map((n) => n.outcome), ['rotated', 'rotated'],
    report.nodes.map((n) => n.reason).join('\n'));
  const firstEvict = c.calls.findIndex((x) => x.startsWith('evict '));
  const lastDelete = c.calls.findLastIndex((x) => x.startsWith('delete kube-system/'));
  assert.ok(firstEvict > lastDelete, `Multus restarts before evictions:\n${c.calls.join('\n')}`);
  const fresh = deps.emitted.findLastIndex((e) => e.type === 'token-fresh');
  const evicted = deps.emitted.findIndex((e) => e.type === 'pod-evicted');
  assert.ok(fresh < evicted, 'both tokens proven fresh before the first eviction');
});

// ── item 3: guard the Multus restart ──

test('a Multus DaemonSet mid-rollout: its pod is not deleted, the node is reported not started, with why', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.rollOutMultus();
  const report = await executePlan(plan(c, 'node-a'), await c.stepDeps(), far(c));
  assert.equal(c.calls.filter((x) => x.startsWith('delete')).length, 0);
  assert.equal(report.nodes[0]?.outcome, 'not-started');
  assert.match(report.nodes[0]?.reason ?? '', /refused .*middle of a rollout/);
});

test('OnDelete: a pod of an old revision is not deleted (that would roll out); a current pod is', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.rollOutMultus({ strategy: 'OnDelete' });
  const refused = await executePlan(plan(c, 'node-a'), await c.stepDeps(), far(c));
  assert.match(refused.nodes[0]?.reason ?? '', /not its current revision rev2.*OnDelete/);
  assert.equal(c.calls.length, 0);
  c.finishMultusRollout();
  const done = await executePlan(plan(c, 'node-a'), await c.stepDeps(), far(c));
  assert.equal(done.nodes[0]?.outcome, 'rotated', done.nodes[0]?.reason);
});

test('a new Multus pod not Ready in time stops the run, even with --on-failure continue', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.multusDaemonSet.readyAfterMs = 'never';
  const report = await executePlan(plan(c, 'node-a', 'node-b'),
    await c.stepDeps({ config: { onFailure: 'continue', stepTimeoutMs: 30 * SECOND } }), far(c));
  assert.equal(report.nodes[0]?.outcome, 'failed');
  assert.equal(report.nodes[1]?.outcome, 'not-started');
  assert.match(report.stoppedBecause ?? '', /new Multus pod on node node-a was not Ready/);
  assert.deepEqual(c.calls.filter((x) => x.startsWith('delete')).length, 1);
});

test('the guard, pure: a missing DaemonSet, an unknown strategy, an unobserved change', () => {
  const c = new FakeCluster();
  const pod = c.addNode('node-a');
  const ds = c.daemonSetObject();
  const revs = c.controllerRevisions('kube-system');
  assert.equal(judgeMultusRestart(pod, ds, revs), undefined);
  assert.match(judgeMultusRestart(pod, undefined, revs) ?? '', /no longer exists/);
  assert.match(judgeMultusRestart(pod, { ...ds, spec: { ...ds.spec!, updateStrategy: { type: 'Surge' } } }, revs) ?? '',
    /update strategy Surge/);
  assert.match(judgeMultusRestart(pod, { ...ds, metadata: { ...ds.metadata, generation: 5 } }, revs) ?? '',
    /not yet observed/);
  assert.match(judgeMultusRestart(pod, ds, []) ?? '', /current revision .* could not be found/);
});

// ── item 14: the maintenance window is checked before each eviction ──

test('the window closes during a node: the evictions after it are left for the next run', async () => {
  const c = new FakeCluster(); // 2026-11-27 00:00 UTC, a Friday
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 3, readyAfterMs: 40 * SECOND });
  const w = parseMaintenanceWindow('Fri 00:00-00:01 Etc/UTC');
  assert.ok(w.ok);
  const report = await executePlan(plan(c, 'node-a'),
    await c.stepDeps({ config: { window: w.ok ? w.window : undefined } }), far(c));
  const pods = report.nodes[0]?.pods ?? [];
  assert.deepEqual(pods.map((p) => p.outcome), ['evicted', 'evicted', 'not-started'],
    pods.map((p) => p.reason).join('\n'));
  assert.match(pods[2]?.reason ?? '', /outside the maintenance window \(Fri 00:00-00:01 Etc\/UTC\)/);
  assert.deepEqual(pods.map((p) => p.cause), [undefined, undefined, 'window'], 'the cause beside the words');
  assert.equal(c.calls.filter((x) => x.startsWith('evict ')).length, 2);
});

// ── the walk: gates between nodes, failures, errors (issue 13 item 5) ──

test('--on-failure stop: after a node fails, the next node is not started and its Multus pod not deleted', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.multus.writesToken = (node) => node !== 'node-a'; // node-a's new Multus never writes a fresh token
  const p = plan(c, 'node-a', 'node-b');
  const report = await executePlan(p, await c.stepDeps({ config: { stepTimeoutMs: 20 * SECOND } }), far(c));
  assert.deepEqual(report.nodes.map((n) => n.outcome), ['failed', 'not-started']);
  assert.match(report.stoppedBecause ?? '', /node node-a failed and --on-failure is stop/);
  assert.deepEqual(report.nodes.map((n) => n.cause), ['failure', 'on-failure']);
  assert.equal(report.stopCause, 'on-failure');
  assert.deepEqual(c.calls.filter((x) => x.startsWith('delete')), [`delete kube-system/${p.steps[0]?.multusPod.name}`]);
});

test('--on-failure continue: after a node fails, the next node is still rotated', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.multus.writesToken = (node) => node !== 'node-a';
  const report = await executePlan(plan(c, 'node-a', 'node-b'),
    await c.stepDeps({ config: { stepTimeoutMs: 20 * SECOND, onFailure: 'continue' } }), far(c));
  assert.deepEqual(report.nodes.map((n) => n.outcome), ['failed', 'rotated']);
  assert.equal(report.stoppedBecause, undefined);
});

test("a stop signal (lease lost) during a node: the next node is not started, with the signal's reason", async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  const lost = new AbortController();
  c.after(1 * SECOND, () => lost.abort('lease multus-token-rotator/multus-token-rotator is now held by other, not me'));
  const report = await executePlan(plan(c, 'node-a', 'node-b'), await c.stepDeps({ signal: lost.signal }), far(c));
  assert.equal(report.nodes[1]?.outcome, 'not-started');
  assert.match(report.nodes[1]?.reason ?? '', /now held by other/);
  assert.equal(report.nodes[1]?.cause, 'signal');
  assert.equal(report.stopCause, 'signal');
  assert.equal(c.calls.filter((x) => x.startsWith('delete')).length, 1);
});

test("no node is started when its --step-timeout does not fit before the run's deadline", async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const report = await executePlan(plan(c, 'node-a'), await c.stepDeps({ config: { stepTimeoutMs: 5 * MINUTE } }), {
    deadline: c.now() + 5 * MINUTE - 1,
  });
  assert.equal(report.nodes[0]?.outcome, 'not-started');
  assert.match(report.stoppedBecause ?? '', /--deadline.*--step-timeout/);
  assert.equal(report.stopCause, 'deadline');
  assert.deepEqual(report.nodes[0]?.pods.map((p) => p.cause), report.nodes[0]?.pods.map(() => 'deadline'));
  assert.deepEqual(c.calls, []);
});

test('an error thrown while restarting a Multus pod fails that node, stops the run, and keeps the nodes before it', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  c.addNode('node-c', { tokenExpiresInMs: -HOUR });
  const p = plan(c, 'node-a', 'node-b', 'node-c');
  c.fail('deletePod', new Error('socket hang up'), { target: `kube-system/${p.steps[1]?.multusPod.name}` });
  const report = await executePlan(p, await c.stepDeps({ config: { onFailure: 'continue' } }), far(c));
  assert.deepEqual(report.nodes.map((n) => n.outcome), ['rotated', 'failed', 'not-started']);
  assert.match(report.nodes[1]?.reason ?? '', /unexpected error: socket hang up/);
  assert.match(report.stoppedBecause ?? '', /node node-b: unexpected error/);
  assert.deepEqual(report.nodes.map((n) => n.cause), [undefined, 'error', 'error']);
});

test('a StatefulSet with every pod Ready is not taken for short (its pods are counted across the namespace)', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addStatefulSet('apps', 'db', { node: 'node-a', replicas: 3 });
  const report = await executePlan(plan(c, 'node-a'), await c.stepDeps(), far(c));
  assert.deepEqual(report.nodes[0]?.pods.map((p) => p.outcome), ['evicted', 'evicted', 'evicted'],
    report.nodes[0]?.pods.map((p) => p.reason).join('\n'));
});
