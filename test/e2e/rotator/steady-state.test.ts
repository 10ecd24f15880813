// Detection within minutes, at almost no cost (issue 16 item 5), on the real cluster with the real Multus: a run reads
// a node's file again only when something its token depends on changed — the DaemonSet replaced the node's Multus
// pod, the service account was recreated — and judges the other nodes from the facts of their last read (the
// ConfigMap <summary>-facts). Nodes whose token is not healthy are read every run: they are the ones to act on.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { fileBoundTo } from '../../../local-cluster/cluster.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPods } from '../../../local-cluster/seed/multus.ts';
import { dryRunExit } from '../support/dry-run-exit.ts';
import { logLines } from '../support/run-log.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);

interface Finding {
  node: string;
  class: string;
  reason: string;
}

/** A dry run into the test's own summary namespace (and so its own facts): the nodes it read, and what it found. */
async function dryRun(ns: string) {
  const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns]);
  const lines = logLines(run.stderr);
  const read = lines.filter((l) => l.event === 'node-read').map((l) => String(l.node)).sort();
  const reasons = (lines.find((l) => l.event === 'nodes-reused')?.reasons ?? {}) as Record<string, number>;
  assert.equal(run.code, dryRunExit(run.stdout), `exit ${run.code}: ${run.stderr.slice(-2000)}`);
  const findings = (JSON.parse(run.stdout) as { findings: Finding[] }).findings;
  return { read, reasons, findings, byNode: new Map(findings.map((f) => [f.node, f])) };
}

/** Nodes whose finding is not healthy: read again by every run. */
const notHealthy = (r: Awaited<ReturnType<typeof dryRun>>, nodes: string[]) =>
  nodes.filter((n) => r.byNode.get(n)?.class !== 'healthy').sort();

/** Waits until `node` has a Ready Multus pod other than `old` and the node's file holds that pod's token. */
async function freshMultus(node: string, old: string | undefined, ms = 90_000): Promise<V1Pod> {
  let fresh: V1Pod | undefined;
  await waitFor(`a new Multus pod on ${node} with its own token in the file`, async () => {
    fresh = (await multusPods(env)).find((p) => p.spec?.nodeName === node && p.metadata?.uid !== old && isReady(p));
    return fresh !== undefined && fileBoundTo(env.root, node) === fresh.metadata?.uid;
  }, ms, 250);
  if (!fresh) throw new Error('unreachable');
  return fresh;
}

/** The first run reads every thin-plugin node; the second, with nothing changed, only those not healthy. */
async function steadyState(t: TestContext) {
  const ns = await withNamespace(t, env);
  const first = await dryRun(ns);
  const all = first.read;
  const healthy = all.filter((n) => first.byNode.get(n)?.class === 'healthy');
  assert.ok(healthy.length >= 2, `at least two healthy thin Multus nodes: ${JSON.stringify(first.findings)}`);
  const second = await dryRun(ns);
  const unhealthy = notHealthy(first, all);
  assert.deepEqual(second.read, unhealthy, 'nothing changed: no healthy node is read again');
  for (const n of all) {
    assert.equal(second.byNode.get(n)?.class, first.byNode.get(n)?.class, `${n} judged alike from its facts`);
  }
  return { ns, all, healthy, unhealthy };
}

describe('issue 16 item 5: a steady-state run reads only the nodes whose inputs changed', () => {
  test("nothing changed: no node is read; one node's Multus pod replaced: exactly that node", async (t) => {
    const { ns, healthy, unhealthy } = await steadyState(t);
    const node = healthy[0] ?? '';
    const old = (await multusPods(env)).find((p) => p.spec?.nodeName === node);
    await core.deleteNamespacedPod({ name: old?.metadata?.name ?? '', namespace: 'kube-system' });
    await freshMultus(node, old?.metadata?.uid);

    const third = await dryRun(ns);
    assert.deepEqual(third.read, [node, ...unhealthy].sort(), 'exactly the node whose Multus pod was replaced');
    assert.equal(third.reasons['new Multus pod'], 1);
    assert.equal(third.byNode.get(node)?.class, 'healthy', third.byNode.get(node)?.reason);
    const fourth = await dryRun(ns);
    assert.deepEqual(fourth.read, unhealthy, 'and the run after it reads none again');
  });

  test('the Multus service account recreated: every node is read, and found invalid', async (t) => {
    const { ns, all, healthy } = await steadyState(t);
    const sa = await core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
    t.after(async () => {
      // Repair the outage this test made: every Multus pod restarted writes a token of the new service account.
      const before = new Map((await multusPods(env)).map((p) => [p.spec?.nodeName ?? '', p.metadata?.uid]));
      await core.deleteCollectionNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' });
      for (const n of all) await freshMultus(n, before.get(n), 120_000);
    });
    await core.deleteNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
    await waitFor('the old service account gone',
      () =>
        core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' }).then(
          (s) => s.metadata?.uid !== sa.metadata?.uid,
          () => true,
        ), 30_000);
    await core.createNamespacedServiceAccount({ namespace: 'kube-system',
      body: { metadata: { name: 'multus', labels: sa.metadata?.labels } } });

    const third = await dryRun(ns);
    assert.deepEqual(third.read, all, 'every node is read');
    assert.equal(third.reasons['service account recreated'], healthy.length);
    for (const n of healthy) {
      assert.equal(third.byNode.get(n)?.class, 'invalid', third.byNode.get(n)?.reason);
      assert.match(third.byNode.get(n)?.reason ?? '', /recreated|rejects/);
    }
  });
});
