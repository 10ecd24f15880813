// The whole pipeline on the in-memory cluster: an error while acting still leaves a summary of what was done
// (issue 10 item 12), with the exit code that says what went wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterReader } from '../../scripts/cluster/cluster-reader.ts';
import { type LeaseHandle } from '../../scripts/cluster/lease.ts';
import type { RunEvent } from '../../scripts/log/events.ts';
import { EXIT } from '../../scripts/report/exit-codes.ts';
import { runOnce } from '../../scripts/run-once.ts';
import { FakeCluster, HOUR } from './support/fake-cluster.ts';
import { fakeLeaseStore, fakeRunDeps } from './support/run-deps.ts';

const deps = fakeRunDeps;

test('an error thrown half-way through a node: the summary records the pod already evicted, exit 6', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const [first, second] = c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2 })
    .map((p) => p.metadata?.name ?? '').sort();
  c.fail('evict', new TypeError("Cannot read properties of undefined (reading 'status')"), {
    target: `apps/${second}`,
  });
  const result = await runOnce(deps(c, { dependents: 'secondary-networks' }));
  assert.equal(result.exitCode, 6);
  const node = result.execution?.nodes[0];
  assert.equal(node?.outcome, 'failed');
  assert.match(node?.reason ?? '', /unexpected error: Cannot read properties/);
  assert.deepEqual(node?.pods.map((p) => [p.name, p.outcome]), [[first, 'evicted'], [second, 'not-started']]);
  assert.equal(c.summaryWrites, 1);
  assert.equal(c.summary?.['exit-code'], '6');
  assert.match(c.summary?.['summary.yaml'] ?? '', new RegExp(`${first}[\\s\\S]*evicted`));
  assert.equal(c.lease()?.spec?.holderIdentity, undefined, 'the lease was released');
});

test('the lease cannot be read (403): nothing is changed, the summary is written, exit 4', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.fail('lease.read', { code: 403, message: 'leases.coordination.k8s.io is forbidden' }, { times: 5 });
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 4);
  assert.equal(result.soft, undefined, 'never soft: --exit-zero-on deferred must not turn this exit 4 into 0');
  assert.equal(result.execution?.stopCause, 'cannot-act');
  assert.equal(c.calls.filter((x) => x.startsWith('delete') || x.startsWith('evict')).length, 0);
  assert.equal(c.summaryWrites, 1);
  assert.match(c.summary?.['summary.yaml'] ?? '', /acting could not start: .*forbidden/);
});

test("no rbac.yaml namespace for the summary (404): one line saying what to do, and the run's own exit code", async () => {
  const c = new FakeCluster();
  c.addNode('node-a'); // healthy: exit 0
  c.fail('summary.read', { code: 404, message: 'namespaces "multus-token-rotator" not found' });
  const emitted: unknown[] = [];
  const result = await runOnce({ ...deps(c, { mode: 'dry-run' }), emit: (e) => emitted.push(e) });
  assert.equal(result.exitCode, 0);
  const warning = result.warnings.find((w) => w.includes('summary')) ?? '';
  assert.match(warning,
    /namespace multus-token-rotator does not exist: apply rbac\.yaml .* or pass --summary-namespace/);
  assert.doesNotMatch(warning, /HTTP-Code|Unknown API Status|\n/);
});

// ── one pass: scan, classify, select nodes, list their workloads, plan their pods (issue 20 item 1) ──

/** The reader's calls the scan and the workload list make, in the order they are made. */
function logged(c: FakeCluster): { reader: ClusterReader; log: string[] } {
  const log: string[] = [];
  const r = c.reader;
  return { log, reader: { ...r, listPods: (opts, onPage) => {
    log.push(opts.labelSelector !== undefined ? 'multus' : `workloads ${opts.fieldSelector?.split(',')[0] ?? ''}`);
    return r.listPods(opts, onPage);
  }, listPdbs: () => {
    log.push('pdbs');
    return r.listPdbs();
  }, execRead: (o) => {
    log.push(`read ${o.pod}`);
    return r.execRead(o);
  } } };
}

test('--max-nodes covers every Multus node: the workload list overlaps the reads, made once, then narrowed', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b');
  c.addReplicaSet('apps', 'web', { node: 'node-a' });
  c.addReplicaSet('apps', 'db', { node: 'node-b' });
  const { reader, log } = logged(c);
  const emitted: RunEvent[] = [];
  const result = await runOnce({ ...deps(c, { mode: 'dry-run', dependents: 'secondary-networks', maxNodes: 2 }), reader,
    emit: (e) => emitted.push(e) });
  const workloads = log.filter((x) => x.startsWith('workloads'));
  assert.deepEqual(workloads, ['workloads status.phase!=Succeeded'], 'one list of the whole cluster');
  assert.equal(log.filter((x) => x === 'pdbs').length, 1);
  const firstRead = log.findIndex((x) => x.startsWith('read'));
  assert.ok(firstRead > 0 && log.indexOf('workloads status.phase!=Succeeded') < firstRead,
    `listed before the first file is read: ${log.join(' ')}`);
  assert.deepEqual(result.plan.steps.map((s) => [s.node, s.pods.map((p) => p.name.split('-')[0])]), [['node-a', [
    'web',
  ]]], 'only the planned node keeps its pods');
  assert.deepEqual(emitted.filter((e) => e.type === 'workloads-listed'), [
    { type: 'workloads-listed', pods: 1, pdbs: 0, nodes: 1 },
  ]);
});

test("more Multus nodes than --max-nodes: only the planned nodes' pods are listed, once the files are read", async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addNode('node-b');
  c.addNode('node-c');
  c.addReplicaSet('apps', 'web', { node: 'node-a' });
  c.addReplicaSet('apps', 'db', { node: 'node-b' });
  const { reader, log } = logged(c);
  const result = await runOnce({ ...deps(c, { mode: 'dry-run', dependents: 'secondary-networks', maxNodes: 1 }),
    reader });
  assert.deepEqual(log.filter((x) => x.startsWith('workloads')), ['workloads spec.nodeName=node-a']);
  assert.ok(log.indexOf('workloads spec.nodeName=node-a') > log.findLastIndex((x) => x.startsWith('read')),
    `listed after the files are read: ${log.join(' ')}`);
  assert.deepEqual(result.plan.steps.map((s) => s.node), ['node-a']);
});

test("the events of one run come in the pipeline's order, each step once", async () => {
  const c = expiredNode();
  const emitted: RunEvent[] = [];
  await runOnce({ ...deps(c, { mode: 'dry-run' }), emit: (e) => emitted.push(e) });
  const steps = new Set(['run-started', 'multus-pods-found', 'node-read', 'node-classified', 'workloads-listed',
    'plan-built', 'summary-written', 'run-finished']);
  assert.deepEqual(emitted.map((e) => e.type).filter((t) => steps.has(t)), [...steps]);
});

// ── the run end to end: modes, the lease, stops (issue 13 item 5) ──

const changes = (c: FakeCluster) => c.calls.filter((x) => x.startsWith('delete') || x.startsWith('evict'));

/** node-a expired, with one ReplicaSet pod that attaches a secondary network. */
function expiredNode(): FakeCluster {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addReplicaSet('apps', 'web', { node: 'node-a' });
  return c;
}

test('a dry run changes nothing and takes no lease, writes the summary, and exits 3 when a node needs rotation', async () => {
  const c = expiredNode();
  const result = await runOnce(deps(c, { mode: 'dry-run' }));
  assert.equal(result.exitCode, 3);
  assert.equal(result.plan.steps[0]?.node, 'node-a');
  assert.deepEqual(c.calls, []);
  assert.equal(c.summaryWrites, 1);
});

test('--execute rotates the node and its dependents (--dependents secondary-networks), writes the summary, releases the lease: exit 0', async () => {
  const c = expiredNode();
  const result = await runOnce(deps(c, { dependents: 'secondary-networks' }));
  assert.equal(result.exitCode, 0, result.outcome);
  assert.equal(result.execution?.nodes[0]?.outcome, 'rotated');
  assert.deepEqual(changes(c).map((x) => x.split(' ')[0]), ['delete', 'evict']);
  assert.equal(c.summary?.['exit-code'], '0');
  assert.equal(c.lease()?.spec?.holderIdentity, undefined, 'released');
});

test('by default (--dependents none), the node is repaired and no pod is evicted', async () => {
  const c = expiredNode();
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 0, result.outcome);
  assert.equal(result.execution?.nodes[0]?.outcome, 'rotated');
  assert.deepEqual(changes(c).map((x) => x.split(' ')[0]), ['delete']);
});

test('every broken node is repaired in one run whatever --max-nodes says, in parallel waves', async () => {
  const c = new FakeCluster();
  for (const n of ['node-a', 'node-b', 'node-c', 'node-d', 'node-e']) c.addNode(n, { tokenExpiresInMs: -HOUR });
  const emitted: RunEvent[] = [];
  const result = await runOnce({ ...deps(c, { maxNodes: 1, repairWaveSize: 2 }), emit: (e) => emitted.push(e) });
  assert.equal(result.exitCode, 0, result.outcome);
  assert.deepEqual(result.execution?.nodes.map((n) => [n.node, n.outcome, n.wave]), [
    ['node-a', 'rotated', 1],
    ['node-b', 'rotated', 1],
    ['node-c', 'rotated', 2],
    ['node-d', 'rotated', 2],
    ['node-e', 'rotated', 3],
  ]);
  assert.deepEqual(emitted.filter((e) => e.type === 'wave-finished').map((e) => e.type === 'wave-finished' && e.nodes),
    [2, 2, 1]);
});

test('nothing to rotate: --execute takes no lease and exits 0', async () => {
  const c = new FakeCluster();
  c.addNode('node-a');
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 0);
  assert.equal(c.lease(), undefined);
  assert.deepEqual(c.calls, []);
});

test('never deletes the Multus pod when the lease is held by another live holder: exit 5, summary written', async () => {
  const c = expiredNode();
  const renew = () => c.setLease({ holder: 'other-run', renewTime: c.now(), acquireTime: c.now() - HOUR });
  renew();
  for (let s = 2; s <= 600; s += 2) c.after(s * 1000, renew); // it renews every 2 s while this run watches
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 5);
  assert.deepEqual(changes(c), []);
  assert.equal(c.lease()?.spec?.holderIdentity, 'other-run');
  assert.equal(c.summaryWrites, 1);
});

test('not confirmed at the prompt: nothing is changed, judged like a dry run (exit 3)', async () => {
  const c = expiredNode();
  const result = await runOnce({ ...deps(c), confirm: async () => false });
  assert.equal(result.exitCode, 3);
  assert.deepEqual(c.calls, []);
  assert.ok(result.warnings.includes('not confirmed: nothing was changed'));
});

test('SIGTERM while acting: the next node is not started, the lease is released, the summary written, exit 130', async () => {
  const c = expiredNode();
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  const sigterm = new AbortController();
  c.after(1000, () => sigterm.abort('interrupted by SIGTERM')); // while node-a's new Multus pod is starting
  // Waves of one: the second broken node would be the next wave.
  const result = await runOnce({ ...deps(c, { repairWaveSize: 1 }), signal: sigterm.signal });
  assert.equal(result.exitCode, 130);
  assert.deepEqual(result.execution?.nodes.map((n) => n.outcome), ['failed', 'not-started']);
  assert.equal(changes(c).length, 1, "only node-a's Multus pod was deleted");
  assert.equal(c.lease()?.spec?.holderIdentity, undefined);
  assert.equal(c.summaryWrites, 1);
});

test('the lease taken over mid-run: acting stops at the next renewal, the next node is untouched', async () => {
  const c = expiredNode();
  c.addNode('node-b', { tokenExpiresInMs: -HOUR });
  let held: LeaseHandle | undefined;
  c.after(1000, (x) => { // another run takes the lease; this run's next renewal finds out
    x.setLease({ holder: 'usurper', renewTime: x.now() });
    void held?.renew();
  });
  const result = await runOnce(deps(c, { repairWaveSize: 1 }, { lease: { acquire: async (o) => {
    const got = await fakeLeaseStore(c).acquire(o);
    if (got.ok) held = got.lease;
    return got;
  } } }));
  // node-a's step is cut while it waits for the new Multus pod: that node failed (6), not a lease held from the start (5).
  assert.equal(result.exitCode, EXIT.FAILED);
  assert.equal(result.execution?.nodes[0]?.outcome, 'failed');
  assert.match(result.execution?.nodes[0]?.reason ?? '',
    /^stopped waiting for a new Ready Multus pod on node-a: .*held by usurper/);
  assert.equal(result.execution?.nodes[1]?.outcome, 'not-started');
  assert.match(result.execution?.nodes[1]?.reason ?? '', /held by usurper/);
  assert.equal(changes(c).length, 1);
  assert.equal(c.lease()?.spec?.holderIdentity, 'usurper', "the new holder's lease is left alone");
});

test('Events that cannot be written are warned about once; the run still rotates', async () => {
  const c = expiredNode();
  c.fail('event', { code: 403, message: 'events.events.k8s.io is forbidden' }, { times: 100 });
  const emitted: RunEvent[] = [];
  const result = await runOnce({ ...deps(c), emit: (e) => emitted.push(e) });
  assert.equal(result.execution?.nodes[0]?.outcome, 'rotated');
  assert.equal(emitted.filter((e) => e.type === 'warning' && /could not write Events/.test(e.message)).length, 1);
});

test('a summary the run may not write (403) turns an otherwise clean run into exit 4', async () => {
  const c = new FakeCluster();
  c.addNode('node-a');
  c.fail('summary.write', { code: 403, message: 'configmaps "multus-token-rotator-summary" is forbidden' });
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 4);
  assert.match(result.warnings.join('\n'), /forbidden: grant create\/get\/update on this ConfigMap/);
});

test('guard rails not in force (in-cluster --execute): nothing is changed, no lease, one setup line, exit 4', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2 });
  const events: RunEvent[] = [];
  const probed: string[] = [];
  const result = await runOnce(
    deps(c, { mode: 'execute' }, { emit: (e: RunEvent) => events.push(e),
      guardRails: { jobNamespace: 'platform', probe: async (t) => {
        probed.push(`${t.pod.namespace}/${t.pod.name}@${t.pod.node}`);
        return { hostRootPod: { outcome: 'allowed' }, foreignExec: { outcome: 'allowed' },
          multusDelete: { outcome: 'allowed' }, readerPod: { outcome: 'allowed' }, policies: Object.fromEntries(
            ['multus-token-rotator', 'multus-token-rotator-delete', 'multus-token-rotator-exec'].map((
              n,
            ) => [n, { policy: { state: 'no-api' }, binding: { state: 'no-api' } }]),
          ) as never };
      } } }),
  );
  assert.equal(result.exitCode, 4);
  assert.equal(result.soft, undefined, 'never soft: missing guard rails fail the Job whatever --exit-zero-on says');
  assert.equal(probed.length, 1, 'asked once');
  assert.match(probed[0] ?? '', /^kube-system\/.+@node-a$/);
  assert.equal(c.calls.filter((x) => x.startsWith('delete') || x.startsWith('evict')).length, 0, 'nothing changed');
  assert.equal(c.lease()?.spec?.holderIdentity, undefined, 'no lease taken');
  const g = events.find((e) => e.type === 'guard-rails');
  assert.ok(g?.type === 'guard-rails' && !g.ok);
  assert.match(g.reason, /^guard rails not in force: .*Kubernetes 1\.30 or newer/);
  assert.match(c.summary?.['summary.yaml'] ?? '', /guard rails not in force/);
});

test('guard rails in force: the run acts as before', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const refused = { outcome: 'refused' as const, status: 403, message: "ValidatingAdmissionPolicy 'x' denied" };
  const present = { policy: { state: 'present' as const },
    binding: { state: 'present' as const, paramRef: { name: 'multus-token-rotator-layout', namespace: 'platform' } } };
  const result = await runOnce(deps(c, { mode: 'execute' }, {
    guardRails: { jobNamespace: 'platform',
      probe: async () => ({ hostRootPod: refused, foreignExec: refused, multusDelete: { outcome: 'allowed' },
        readerPod: { outcome: 'allowed' },
        policies: { 'multus-token-rotator': present, 'multus-token-rotator-delete': present,
          'multus-token-rotator-exec': present } }) },
  }));
  assert.equal(result.exitCode, 0);
  assert.equal(result.execution?.nodes[0]?.outcome, 'rotated');
});
