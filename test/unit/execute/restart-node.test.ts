// One node on the in-memory cluster, in its two phases: restartMultus (delete the Multus pod, wait for the new one,
// prove a fresh token) and restartDependents (evict each dependent, each replacement Ready before the next). The
// passing case: node-a's token expired, its new Multus pod Ready 2 s after the delete and writing a fresh token then;
// each test changes one thing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartDependents, restartMultus, type MultusPhase } from '../../../scripts/execute/restart-node.ts';
import type { NodeStep } from '../../../scripts/model.ts';
import { FakeCluster, HOUR, MINUTE, SECOND, type ReadyAfter } from '../support/fake-cluster.ts';

function cluster(opts: { tokenExpiresInMs?: number } = {}) {
  const c = new FakeCluster();
  const multus = c.addNode('node-a', { tokenExpiresInMs: opts.tokenExpiresInMs ?? -HOUR });
  return { c, multus };
}

const deletes = (c: FakeCluster) => c.calls.filter((x) => x.startsWith('delete'));

function fresh(phase: MultusPhase): Extract<MultusPhase, { kind: 'fresh' }> {
  assert.equal(phase.kind, 'fresh', phase.kind === 'done' ? phase.execution.reason : '');
  return phase as Extract<MultusPhase, { kind: 'fresh' }>;
}

function done(phase: MultusPhase): Extract<MultusPhase, { kind: 'done' }> {
  assert.equal(phase.kind, 'done');
  return phase as Extract<MultusPhase, { kind: 'done' }>;
}

// ── restartMultus ──

test('deletes the Multus pod, waits for its replacement to be Ready and proves a fresh token bound to it', async () => {
  const { c, multus } = cluster();
  const phase = fresh(await restartMultus(c.step('node-a'), await c.stepDeps()));
  assert.deepEqual(deletes(c), [`delete kube-system/${multus.metadata!.name}`]);
  assert.equal(phase.multus?.readyMs, 2 * SECOND);
  assert.equal(phase.multus?.newUid, c.multusPod('node-a').metadata!.uid);
  assert.ok(phase.tokenAfter?.fingerprint && phase.tokenAfter.fingerprint !== phase.tokenBefore.fingerprint);
  assert.deepEqual(c.events.map((e) => `${e.regarding.kind} ${e.reason}`), ['Pod MultusTokenRotation',
    'Node MultusTokenRotation']);
});

test('a token written a while after the new pod is Ready is waited for, re-reading the file', async () => {
  const { c } = cluster();
  c.multus.writesToken = () => false;
  c.after(5 * SECOND, (x) => x.writeMultusToken('node-a')); // 3 s after the new pod is Ready
  const phase = fresh(await restartMultus(c.step('node-a'), await c.stepDeps()));
  assert.ok((phase.multus?.tokenMs ?? 0) >= 3 * SECOND && (phase.multus?.tokenMs ?? 0) < 3.5 * SECOND);
});

test('a new Multus pod that never writes a fresh token fails the node and leaves its dependents alone', async () => {
  const { c } = cluster();
  c.addReplicaSet('apps', 'web', { node: 'node-a' });
  c.multus.writesToken = () => false;
  const { execution } = done(
    await restartMultus(c.step('node-a'), await c.stepDeps({ config: { stepTimeoutMs: 20 * SECOND } })),
  );
  assert.equal(execution.outcome, 'failed');
  assert.match(execution.reason, /does not hold a fresh token bound to it after 18 s.*dependents left alone/);
  assert.deepEqual(execution.pods.map((p) => p.outcome), ['not-started']);
  assert.equal(c.calls.filter((x) => x.startsWith('evict')).length, 0);
});

test('a new Multus pod not Ready within the step timeout fails the node and stops the run', async () => {
  const { c } = cluster();
  c.multusDaemonSet.readyAfterMs = 'never';
  const phase = done(
    await restartMultus(c.step('node-a'), await c.stepDeps({ config: { stepTimeoutMs: 20 * SECOND } })),
  );
  assert.equal(phase.execution.outcome, 'failed');
  assert.equal(phase.stopRun?.cause, 'failure');
  assert.match(phase.stopRun?.reason ?? '', /new Multus pod on node node-a was not Ready within --step-timeout/);
});

test('a stop before the fresh token is confirmed leaves the dependents alone and says so', async () => {
  const { c } = cluster();
  c.multus.writesToken = () => false;
  const stop = new AbortController();
  c.after(3 * SECOND, () => stop.abort('the lease was lost'));
  const { execution } = done(await restartMultus(c.step('node-a'), await c.stepDeps({ signal: stop.signal })));
  assert.equal(execution.outcome, 'failed');
  assert.match(execution.reason, /stopped \(the lease was lost\) before its fresh token was confirmed/);
});

test('a Multus pod replaced since the scan is not deleted: the node is skipped for the next run', async () => {
  const { c, multus } = cluster();
  const step = c.step('node-a');
  c.removePod(multus.metadata!.uid!); // someone else restarted it
  const { execution } = done(await restartMultus(step, await c.stepDeps()));
  assert.equal(execution.outcome, 'skipped');
  assert.match(execution.reason, /changed since the scan/);
  assert.deepEqual(deletes(c), []);
});

test('a node whose token is healthy when looked at again is skipped, nothing deleted', async () => {
  const { c } = cluster({ tokenExpiresInMs: 200 * 24 * HOUR });
  const { execution } = done(await restartMultus(c.step('node-a'), await c.stepDeps()));
  assert.equal(execution.outcome, 'skipped');
  assert.match(execution.reason, /^re-checked: now healthy/);
  assert.deepEqual(deletes(c), []);
});

test('a DaemonSet that cannot be read refuses the delete: nothing is deleted on a guess', async () => {
  const { c } = cluster();
  c.fail('readDaemonSet', { code: 403, message: 'daemonsets.apps "kube-multus-ds" is forbidden' });
  const { execution } = done(await restartMultus(c.step('node-a'), await c.stepDeps()));
  assert.equal(execution.outcome, 'not-started');
  assert.match(execution.reason, /could not be read .*grant get on daemonsets/);
  assert.deepEqual(deletes(c), []);
});

test('--server-dry-run sends the delete with dryRun and waits for no new pod', async () => {
  const { c, multus } = cluster();
  const phase = fresh(await restartMultus(c.step('node-a'), await c.stepDeps({ config: { mode: 'server-dry-run' } })));
  assert.match(phase.dryRun ?? '', /would delete the Multus pod/);
  assert.deepEqual(deletes(c), [`delete-dry-run kube-system/${multus.metadata!.name}`]);
  assert.equal(c.multusPod('node-a').metadata!.uid, multus.metadata!.uid);
});

// ── restartDependents ──

/** node-a rotated, with ReplicaSets `web` and `api` (one pod each, in that plan order). */
async function rotated(opts: { web?: ReadyAfter; stepTimeoutMs?: number; webReplicas?: number } = {}) {
  const { c } = cluster();
  c.addReplicaSet('apps', 'web', { node: 'node-a', readyAfterMs: opts.web ?? 3 * SECOND,
    replicas: opts.webReplicas ?? 1 });
  c.addReplicaSet('apps', 'api', { node: 'node-a' });
  const deps = await c.stepDeps({ config: opts.stepTimeoutMs ? { stepTimeoutMs: opts.stepTimeoutMs } : {} });
  const step = c.step('node-a');
  const phase = fresh(await restartMultus(step, deps));
  return { c, deps, step, phase };
}

const evictions = (c: FakeCluster) => c.calls.filter((x) => x.startsWith('evict')).map((x) => x.replace(/-[^-]+$/, ''));

test('evicts the dependents one at a time in plan order, each replacement Ready before the next: rotated', async () => {
  const { c, deps, step, phase } = await rotated();
  const node = await restartDependents(step, phase, deps);
  assert.equal(node.outcome, 'rotated', node.reason);
  assert.deepEqual(evictions(c), ['evict apps/web', 'evict apps/api']);
  assert.deepEqual(node.pods.map((p) => p.replacementReadyMs), [3 * SECOND, 3 * SECOND]);
  assert.ok(c.events.some((e) => e.reason === 'MultusTokenRotated'));
});

test('stops evicting on the node after a replacement is not Ready in time', async () => {
  const { c, deps, step, phase } = await rotated({ web: 'never' });
  const node = await restartDependents(step, phase, deps);
  assert.equal(node.outcome, 'failed');
  assert.deepEqual(node.pods.map((p) => p.outcome), ['failed', 'not-started']);
  assert.match(node.pods[1]?.reason ?? '', /apps\/web-\w+ failed; nothing more is evicted on this node/);
  assert.deepEqual(evictions(c), ['evict apps/web']);
});

test('stops evicting on the node after an eviction fails outright, well within the step timeout', async () => {
  const { c, deps, step, phase } = await rotated();
  c.fail('evict', { code: 500, message: 'etcdserver: leader changed' }, { target: `apps/${step.pods[0]?.name}` });
  const node = await restartDependents(step, phase, deps);
  assert.equal(node.outcome, 'failed');
  assert.deepEqual(node.pods.map((p) => p.outcome), ['failed', 'not-started']);
  assert.match(node.pods[1]?.reason ?? '', /nothing more is evicted on this node/);
  assert.deepEqual(evictions(c), []);
});

test('a pod the plan blocked is reported blocked with an Event, and the node is partial', async () => {
  const { c, deps, phase, step } = await rotated();
  const blocked: NodeStep = { ...step, pods: step.pods.map((p, i) => (i === 0
    ? { ...p, action: 'blocked', reason: 'budget apps/web allows no disruption now' } : p)
  ) };
  const node = await restartDependents(blocked, phase, deps);
  assert.equal(node.outcome, 'partial');
  assert.deepEqual(node.pods.map((p) => p.outcome), ['blocked', 'evicted']);
  assert.ok(c.events.some((e) => e.reason === 'MultusTokenEvictionBlocked' && e.regarding.name === step.pods[0]?.name));
});

test('each dependent has its own wait budget: a slow first one leaves the next its whole --step-timeout', async () => {
  // Each replacement takes 25 s of a 30 s --step-timeout: one budget shared by the node would fail the second.
  const { c, step, phase } = await rotated();
  c.controller('ReplicaSet', 'web').readyAfterMs = 25 * SECOND;
  c.controller('ReplicaSet', 'api').readyAfterMs = 25 * SECOND;
  const deps = await c.stepDeps({ config: { stepTimeoutMs: 30 * SECOND } });
  const node = await restartDependents(step, phase, deps, [], c.now() + HOUR);
  assert.deepEqual(node.pods.map((p) => [p.outcome, p.replacementReadyMs]), [['evicted', 25 * SECOND], ['evicted',
    25 * SECOND]]);
  assert.equal(node.outcome, 'rotated');
});

test("a StatefulSet dependent's budget is --step-timeout plus its grace period: a 6-minute stop does not fail the node",
  async () => {
    const { c } = cluster();
    c.addStatefulSet('apps', 'db', { node: 'node-a', terminationMs: 6 * MINUTE });
    const deps = await c.stepDeps({ config: { stepTimeoutMs: 5 * MINUTE } });
    const step = c.step('node-a');
    const node = await restartDependents(step, fresh(await restartMultus(step, deps)), deps, [], c.now() + HOUR);
    assert.equal(node.outcome, 'rotated', node.reason);
    assert.deepEqual(node.pods.map((p) => [p.outcome, p.goneMs]), [['evicted', 6 * MINUTE]]);
  });

test("a dependent whose budget no longer fits before the run's deadline is not evicted; the node is partial", async () => {
  const { c, deps, step, phase } = await rotated({ web: 30 * SECOND });
  const node = await restartDependents(step, phase, deps, [], c.now() + 5 * MINUTE + 10 * SECOND);
  assert.deepEqual(node.pods.map((p) => p.outcome), ['evicted', 'not-started']);
  assert.match(node.pods[1]?.reason ?? '', /the run's deadline \(--deadline\) leaves no room for its wait budget/);
  assert.equal(node.pods[1]?.cause, 'deadline');
  assert.deepEqual(evictions(c), ['evict apps/web']);
  assert.equal(node.outcome, 'partial');
});

test("a stop signal between evictions leaves the rest not started, with the signal's reason", async () => {
  const { c, step, phase } = await rotated();
  const stop = new AbortController();
  const deps = await c.stepDeps({ signal: stop.signal });
  const emit = deps.emit;
  deps.emit = (e) => { // SIGTERM arrives just as web is done
    emit(e);
    if (e.type === 'pod-done') stop.abort('interrupted by SIGTERM');
  };
  const node = await restartDependents(step, phase, deps);
  assert.deepEqual(node.pods.map((p) => p.outcome), ['evicted', 'not-started']);
  assert.match(node.pods[1]?.reason ?? '', /interrupted by SIGTERM/);
});
