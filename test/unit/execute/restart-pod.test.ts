// restartPod on the in-memory cluster: each test is the passing case (one ReplicaSet pod on node-a, its replacement
// Ready 3 s after the eviction) with one thing changed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import type { PdbFacts, PodVerdict } from '../../../scripts/model.ts';
import { restartPod } from '../../../scripts/execute/restart-pod.ts';
import { toPdbFacts } from '../../../scripts/scan/to-facts.ts';
import { FakeCluster, HOUR, MINUTE, SECOND, type ReadyAfter } from '../support/fake-cluster.ts';

function verdict(pod: V1Pod): PodVerdict {
  return { namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, uid: pod.metadata!.uid!, action: 'restart',
    reason: 'attaches secondary networks through Multus' };
}

/** node-a with Multus, and a ReplicaSet `web` of `replicas` pods there (the first one is the pod under test). */
function cluster(opts: { readyAfterMs?: ReadyAfter } = {}) {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -1 });
  const pods = c.addReplicaSet('demo', 'web', { node: 'node-a', replicas: 2, ...opts });
  return { c, pod: pods[0]! };
}

async function restart(c: FakeCluster, pod: V1Pod, opts: Parameters<FakeCluster['stepDeps']>[0] = {},
  pdbs?: PdbFacts[]) {
  const deps = await c.stepDeps(opts);
  const facts = pdbs ?? (await c.reader.listPdbs()).map(toPdbFacts);
  return { result: await restartPod(verdict(pod), facts, deps, c.now() + 5 * MINUTE), deps };
}

test('evicts the pod and names its replacement once the ReplicaSet has as many Ready pods as before', async () => {
  const { c, pod } = cluster();
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'evicted');
  assert.equal(result.attempts, 1);
  assert.equal(result.replacementReadyMs, 3 * SECOND);
  assert.ok(result.replacement && result.replacement.uid !== pod.metadata!.uid);
  assert.equal(c.pods.has(pod.metadata!.uid!), false);
  assert.deepEqual(c.calls, ['evict demo/' + pod.metadata!.name]);
  assert.ok(c.events.some((e) => e.reason === 'MultusTokenEvicted'));
});

test('a 429 with Retry-After is retried after that many seconds', async () => {
  const { c, pod } = cluster();
  c.fail('evict', { code: 429, retryAfterSeconds: 7,
    message: "Cannot evict pod as it would violate the pod's disruption budget." });
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'evicted');
  assert.equal(result.attempts, 2);
  assert.equal(result.evictMs, 7 * SECOND); // random() = 0.5: no jitter
});

test("a 429 that lasts past the pod's deadline leaves the pod blocked and running", async () => {
  const { c, pod } = cluster();
  c.fail('evict', { code: 429, retryAfterSeconds: 60,
    message: "Cannot evict pod as it would violate the pod's disruption budget." }, { times: 100 });
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'blocked');
  assert.match(result.reason, /disruption budget.*--step-timeout/);
  assert.ok(c.pods.has(pod.metadata!.uid!));
  assert.ok(c.events.some((e) => e.reason === 'MultusTokenEvictionBlocked'));
});

test('a budget that allows no disruption now blocks the pod at the re-check, before any eviction', async () => {
  const { c, pod } = cluster();
  c.addPdb('demo', 'web', { matchLabels: { app: 'web' }, minAvailable: 2 });
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'blocked');
  assert.match(result.reason, /^re-checked: .*demo\/web/);
  assert.deepEqual(c.calls, []);
});

test('a pod that two budgets cover is blocked at once, without a second attempt', async () => {
  const { c, pod } = cluster();
  const one = c.addPdb('demo', 'web-a', { matchLabels: { app: 'web' }, minAvailable: 1 });
  // The plan's budgets saw only one of them; the Eviction API sees both (500, "more than one").
  const pdbs = [toPdbFacts(c.pdbObject(one))];
  c.addPdb('demo', 'web-b', { matchLabels: { app: 'web' }, minAvailable: 1 });
  const { result } = await restart(c, pod, {}, pdbs);
  assert.equal(result.outcome, 'blocked');
  assert.equal(result.attempts, 1);
  assert.match(result.reason, /several PodDisruptionBudgets/);
});

test('a 404 from the Eviction API reports the pod already gone', async () => {
  const { c, pod } = cluster();
  c.fail('evict', { code: 404 });
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'already-gone');
});

test('a pod replaced since the scan (same name, new UID) is not evicted', async () => {
  const { c, pod } = cluster();
  const stale = { ...verdict(pod), uid: 'uid-from-the-scan' };
  const deps = await c.stepDeps();
  const result = await restartPod(stale, [], deps, c.now() + 5 * MINUTE);
  assert.equal(result.outcome, 'already-gone');
  assert.deepEqual(c.calls, []);
});

test('a pod recreated under the same name between the check and the eviction is not evicted (UID precondition)',
  async () => {
    const c = new FakeCluster();
    c.addNode('node-a', { tokenExpiresInMs: -1 });
    const [pod] = c.addStatefulSet('demo', 'db', { node: 'node-a', replicas: 1 });
    const judged = pod!.metadata!.uid!;
    // After the re-check, right before the eviction: someone deletes db-0 and its StatefulSet recreates it.
    c.before('evict', (x) => x.removePod(judged));
    const deps = await c.stepDeps();
    const result = await restartPod(verdict(pod!), [], deps, c.now() + HOUR);
    const now = c.pod('demo', 'db-0');
    assert.ok(now && now.metadata!.uid !== judged, 'db-0 was recreated with a new UID');
    assert.equal(now.metadata!.deletionTimestamp, undefined, 'the newer db-0 is not evicted');
    assert.equal(result.outcome, 'already-gone');
    assert.match(result.reason, /replaced under the same name since the check.*UID precondition/);
    assert.deepEqual(c.calls, ['evict-refused-uid demo/db-0']);
  });

test('a replacement that never becomes Ready fails the pod at its deadline', async () => {
  const { c, pod } = cluster({ readyAfterMs: 'never' });
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'failed');
  assert.match(result.reason, /evicted, but timed out .*Ready replacement/);
});

test('a StatefulSet pod is waited for until it is gone, then replaced under the same name', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -1 });
  const [pod] = c.addStatefulSet('demo', 'db', { node: 'node-a', terminationMs: 4 * SECOND });
  const deps = await c.stepDeps();
  const result = await restartPod(verdict(pod!), [], deps, c.now() + HOUR);
  assert.equal(result.outcome, 'evicted');
  assert.equal(result.goneMs, 4 * SECOND);
  assert.equal(result.replacementReadyMs, 7 * SECOND);
  assert.equal(result.replacement?.name, 'db-0');
  assert.notEqual(result.replacement?.uid, pod!.metadata!.uid);
});

test('a stop while waiting for the replacement ends the pod as failed: evicted, not confirmed', async () => {
  const { c, pod } = cluster();
  const stop = new AbortController();
  c.after(1 * SECOND, () => stop.abort('interrupted by SIGTERM'));
  const { result } = await restart(c, pod, { signal: stop.signal });
  assert.equal(result.outcome, 'failed');
  assert.match(result.reason, /stopped before its replacement was Ready \(interrupted by SIGTERM\)/);
});

test('a controller already short of Ready pods is not evicted from', async () => {
  const { c, pod } = cluster();
  c.setReady(c.podsOf('ReplicaSet', 'web')[1]!.metadata!.uid!, false);
  const { result } = await restart(c, pod);
  assert.equal(result.outcome, 'blocked');
  assert.match(result.reason, /already short of Ready pods/);
  assert.deepEqual(c.calls, []);
});

test('--server-dry-run asks the Eviction API with dryRun and waits for no replacement', async () => {
  const { c, pod } = cluster();
  const { result } = await restart(c, pod, { config: { mode: 'server-dry-run' } });
  assert.equal(result.outcome, 'dry-run');
  assert.deepEqual(c.calls, ['evict-dry-run demo/' + pod.metadata!.name]);
  assert.ok(c.pods.has(pod.metadata!.uid!));
});

// ── slow-terminating dependents: each pod's own wait budget (issue 17 item 5) ──

test('a ReplicaSet pod counts as replaced once its replacement is Ready, while it is still terminating (10 min grace)',
  async () => {
    const c = new FakeCluster();
    c.addNode('node-a', { tokenExpiresInMs: -1 });
    const [pod] = c.addReplicaSet('demo', 'web', { node: 'node-a', replicas: 2, terminationMs: 10 * MINUTE });
    const { result } = await restart(c, pod!);
    assert.equal(result.outcome, 'evicted', result.reason);
    assert.equal(result.replacementReadyMs, 3 * SECOND);
    assert.equal(result.oldTerminating, true);
    assert.equal(result.goneMs, undefined);
    assert.match(result.reason, /the old pod is still terminating \(grace period 600 s\)/);
    assert.ok(c.pods.get(pod!.metadata!.uid!)?.metadata?.deletionTimestamp, 'the old pod is still there, terminating');
  });

test('a sibling terminating and no longer Ready, its replacement Ready, does not make the ReplicaSet look short',
  async () => {
    const c = new FakeCluster();
    c.addNode('node-a', { tokenExpiresInMs: -1 });
    const [other, pod] = c.addReplicaSet('demo', 'web', { node: 'node-a', replicas: 2, terminationMs: 10 * MINUTE });
    c.removePod(other!.metadata!.uid!); // deleted by someone: terminating for 10 min, its replacement created at once
    c.setReady(other!.metadata!.uid!, false); // its containers are being stopped
    const deps = await c.stepDeps();
    await deps.sleep(5 * SECOND); // the replacement is Ready
    const result = await restartPod(verdict(pod!), [], deps, c.now() + HOUR);
    assert.equal(result.outcome, 'evicted', result.reason);
  });

test("a pod whose wait budget does not fit before the run's deadline is not evicted, saying so", async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -1 });
  const [pod] = c.addStatefulSet('demo', 'db', { node: 'node-a', terminationMs: 10 * MINUTE });
  const deps = await c.stepDeps({ config: { stepTimeoutMs: 5 * MINUTE } });
  const result = await restartPod(verdict(pod!), [], deps, c.now() + 8 * MINUTE);
  assert.equal(result.outcome, 'not-started');
  assert.equal(result.cause, 'deadline');
  assert.match(result.reason, /the run's deadline \(--deadline\) leaves no room for its wait budget of 15m .*grace/);
  assert.deepEqual(c.calls, []);
});
