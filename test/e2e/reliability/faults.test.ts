// Faults injected into the real control plane while the rotator runs: the API server restarted or unreachable
// mid-run, connections (exec streams, watches) cut, concurrent summary writes, the lease taken over mid-run, and five
// runs started at once. Each must end in a truthful summary, with no pod left evicted without its replacement.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, V1MicroTime, type V1Pod } from '@kubernetes/client-node';
import { restartProcess } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { holdEntrypoint, multusPodOn } from '../../../local-cluster/seed/multus.ts';
import { logLines } from '../support/run-log.ts';
import { runLocal, startRotator } from '../support/run-rotator.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { deployment, settled } from '../../../local-cluster/seed/workloads.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);

interface PodExec {
  name: string;
  outcome: string;
  reason: string;
  replacement?: { uid: string };
}
interface Result {
  findings: { node: string; class: string }[];
  execution?: { nodes: { node: string; outcome: string; reason: string; pods: PodExec[] }[]; stoppedBecause?: string };
}
const parse = (s: string) => JSON.parse(s) as Result;

const podOn = (node: string): Promise<V1Pod> => multusPodOn(env, node);

const ageToken = (t: TestContext, node: string, seconds: number) => ageNodeToken(t, env, node, seconds);

/** Every Deployment in the namespace has all its replicas Ready: no pod was lost. */
async function noPodLost(ns: string): Promise<void> {
  const until = Date.now() + 60_000;
  for (;;) {
    const ds = (await apps.listNamespacedDeployment({ namespace: ns })).items;
    if (ds.every((d) => (d.status?.readyReplicas ?? 0) === (d.spec?.replicas ?? 1))) return;
    if (Date.now() > until) {
      assert.fail(
        `deployments in ${ns} not back to full strength: ${
          ds.map((d) => `${d.metadata?.name} ${d.status?.readyReplicas}/${d.spec?.replicas}`).join(', ')
        }`,
      );
    }
    await sleep(250);
  }
}

/** The summary's claims agree with the cluster: every pod it says was replaced has a Ready replacement. */
async function summaryIsTruthful(ns: string, result: Result): Promise<void> {
  for (const n of result.execution?.nodes ?? []) {
    for (const p of n.pods) {
      if (p.outcome !== 'evicted' || !p.replacement) continue;
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      const rep = pods.find((x) => x.metadata?.uid === p.replacement?.uid);
      assert.ok(rep, `the replacement of ${p.name} exists`);
    }
  }
}

describe('faults', () => {
  test('the API server restarts in the middle of a run: the run retries, then completes, and tells the truth',
    async (t) => {
      const [a, b] = [env.nodes[0] ?? '', env.nodes[1] ?? ''];
      const ns = await withNamespace(t, env);
      await deployment(env, ns, 'alpha', a, 2);
      await deployment(env, ns, 'beta', b, 2);
      await settled(env, ns, 4);
      await ageToken(t, a, -60);
      await ageToken(t, b, -30);
      const run = startRotator(['--kubeconfig', env.kubeconfig, '--execute', '--yes', '-o', 'json',
        '--summary-namespace', ns, '--lease-namespace', ns, '--step-timeout', '90s', '--lease-ttl', '60s',
        '--dependents', 'secondary-networks']);
      await run.waitForEvent('pod-evicted');
      // Stop the real kube-apiserver process for 3 s, then start it again with the same flags.
      await restartProcess(env.root, 'kube-apiserver', 3000);
      const res = await run.done;
      const result = parse(res.stdout);
      assert.equal(res.code, 0, res.stderr.slice(-3000));
      assert.deepEqual(result.execution?.nodes.map((n) => n.outcome), ['rotated', 'rotated']);
      await noPodLost(ns);
      await summaryIsTruthful(ns, result);
      const again = parse((await runLocal(env, ['-o', 'json', '--summary-namespace', ns])).stdout);
      for (const n of [a, b]) assert.equal(again.findings.find((f) => f.node === n)?.class, 'healthy');
    });

  test('the API server is unreachable for a while and every connection is cut (exec streams, watches)', async (t) => {
    const node = env.nodes[2] ?? '';
    const ns = await withNamespace(t, env);
    await deployment(env, ns, 'gamma', node, 2);
    await settled(env, ns, 2);
    await ageToken(t, node, -60);
    const proxy = await startFaultProxy(env);
    t.after(() => proxy.close());
    const run = startRotator(['--kubeconfig', proxy.kubeconfig, '--execute', '--yes', '-o', 'json',
      '--summary-namespace', ns, '--lease-namespace', ns, '--step-timeout', '90s', '--lease-ttl', '60s', '--dependents',
      'secondary-networks']);
    await run.waitForEvent('multus-restarted');
    proxy.outage(2000); // cuts the open watch and refuses connections for 2 s
    await run.waitForEvent('pod-evicted');
    proxy.cut();
    const res = await run.done;
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    const result = parse(res.stdout);
    assert.equal(result.execution?.nodes[0]?.outcome, 'rotated');
    await noPodLost(ns);
    await summaryIsTruthful(ns, result);
  });

  test('exec streams cut during the scan are read again; classification is unchanged', async (t) => {
    const ns = await withNamespace(t, env);
    const proxy = await startFaultProxy(env);
    t.after(() => proxy.close());
    const run = startRotator(['--kubeconfig', proxy.kubeconfig, '-o', 'json', '--summary-namespace', ns]);
    // Cut every connection every 100 ms for the first 1.5 s: exec streams and lists die mid-flight, and are retried.
    const cutter = setInterval(() => proxy.cut(), 100);
    setTimeout(() => clearInterval(cutter), 1500);
    const res = await run.done;
    clearInterval(cutter);
    assert.equal(res.code, 0, res.stderr.slice(-3000));
    assert.ok(parse(res.stdout).findings.every((f) => f.class === 'healthy'));
    assert.equal(parse(res.stdout).findings.length, env.nodes.length);
  });

  test('concurrent summary writes: five runs at once, no history entry lost', async (t) => {
    const ns = await withNamespace(t, env);
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => runLocal(env, ['-o', 'json', '--summary-namespace', ns])),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    const entries = (cm.data?.['history.yaml'] ?? '').match(/startedAt:/g) ?? [];
    assert.equal(entries.length, 5);
  });

  test('five runs started at once: exactly one acts, the others say who holds the lease', async (t) => {
    const node = env.nodes[3] ?? '';
    const ns = await withNamespace(t, env);
    await ageToken(t, node, -60);
    const release = holdEntrypoint(t, env, node); // keeps the acting run busy while the others try
    setTimeout(release, 8000);
    const args = ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
      '--step-timeout', '30s'];
    const runs = await Promise.all(Array.from({ length: 5 }, () => runLocal(env, args)));
    // Exactly one run restarted the Multus pod. Each other run either found the lease held (exit 5, naming the
    // holder), or — started late on this loaded 2-core machine — came after it and found the node changed or healthy.
    const restarters = runs.filter((r) => logLines(r.stderr).some((l) => l.event === 'multus-restarted'));
    assert.equal(restarters.length, 1, runs.map((r) => `${r.code}`).join(','));
    assert.equal(restarters[0]?.code, 0, restarters[0]?.stderr.slice(-2000));
    const others = runs.filter((r) => r !== restarters[0]);
    for (const r of others.filter((x) => x.code === 5)) {
      assert.match(r.stderr, /"event":"lease-held".*"heldBy":"[^"]+"/);
    }
    for (const r of others) assert.ok(r.code === 5 || r.code === 0, r.stderr.slice(-1000));
    assert.ok(others.some((r) => r.code === 5), 'at least one run found the lease held');
    // No two runs held the lease at the same time: each holder acquired it after the previous one released it.
    const spans = runs.map((r) => logLines(r.stderr)).filter((l) => l.some((x) => x.event === 'lease-acquired'))
      .map((l) =>
        [Date.parse(l.find((x) => x.event === 'lease-acquired')?.time ?? ''), Date.parse(l.find((x) =>
          x.event === 'lease-released'
        )?.time ?? '')] as const
      )
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) assert.ok((spans[i]?.[0] ?? 0) >= (spans[i - 1]?.[1] ?? 0) - 500);
  });

  test('the lease is taken over mid-run: the run notices and stops acting', async (t) => {
    const [a, b] = [env.nodes[4] ?? '', env.nodes[5] ?? ''];
    const ns = await withNamespace(t, env);
    await ageToken(t, a, -60);
    await ageToken(t, b, -30);
    const bUid = (await podOn(b)).metadata?.uid;
    holdEntrypoint(t, env, a);
    const run = startRotator(['--kubeconfig', env.kubeconfig, '--execute', '--yes', '-o', 'json', '--summary-namespace',
      ns, '--lease-namespace', ns, '--step-timeout', '60s', '--lease-ttl', '3s', '--repair-wave-size', '1']);
    await run.waitForEvent('multus-restarted');
    const coord = env.kc.makeApiClient(CoordinationV1Api);
    const lease = await coord.readNamespacedLease({ name: 'multus-token-rotator', namespace: ns });
    await coord.replaceNamespacedLease({ name: 'multus-token-rotator', namespace: ns, body: {
      ...lease,
      spec: { ...lease.spec, holderIdentity: 'an-operator-took-it', renewTime: new V1MicroTime(),
        acquireTime: new V1MicroTime() },
    } });
    const res = await run.done;
    const result = parse(res.stdout);
    // Node a's step is cut while it waits for its new Multus pod: that node failed (6), which outranks the lease (5).
    assert.equal(res.code, 6, res.stderr.slice(-2000));
    assert.match(result.execution?.nodes.find((n) => n.node === a)?.reason ?? '', /held by an-operator-took-it/);
    assert.match(result.execution?.stoppedBecause ?? '', /lease|held/i, res.stderr.slice(-2000));
    assert.equal(result.execution?.nodes.find((n) => n.node === b)?.outcome, 'not-started');
    assert.equal((await podOn(b)).metadata?.uid, bUid, 'node b untouched after the lease was lost');
    const after = await coord.readNamespacedLease({ name: 'multus-token-rotator', namespace: ns });
    assert.equal(after.spec?.holderIdentity, 'an-operator-took-it', 'the run did not take the lease back');
  });
});
