// Work left behind is finished (issue 17 item 6), in the outage world with the real Multus: a run stopped by SIGTERM
// after it restarted a node's Multus pod, before the fresh token was proven, leaves the node's dependents; the next
// run finds the token healthy (the new Multus wrote it by itself) and would plan nothing, but the summary recorded
// the dependents: it evicts them, without restarting Multus again, and says so.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { kubectlPath } from '../../../local-cluster/cluster.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { holdEntrypoint, multusPodOn } from '../../../local-cluster/seed/multus.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { deployment, NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { runLocal, startRotator } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);

interface Result {
  findings: { node: string; class: string }[];
  plan: { steps: { node: string; reason: string; finish?: { since: number } }[];
    leftWork?: { node: string; status: string }[] };
  execution?: {
    nodes: { node: string; outcome: string; reason: string;
      pods: { name: string; uid: string; outcome: string; reason: string }[] }[];
  };
}

const parse = (s: string) => JSON.parse(s) as Result;

/**
 * The test counts what is left on one node: wait until no other test's pods are there (a namespace an earlier file
 * deleted goes on terminating for a while), so the result does not depend on which files ran before.
 */
async function nodeToItself(node: string): Promise<void> {
  await waitFor(`no other test's pods on ${node}`, async () => {
    const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${node}` });
    return !pods.items.some((p) => p.metadata?.namespace?.startsWith('e2e-'));
  }, 120_000, 1000);
}

describe('work left behind', () => {
  test('SIGTERM before the fresh token is proven: the next run finishes the dependents the first one left', async (t) => {
    const node = env.nodes[3] ?? '';
    await nodeToItself(node);
    const ns = await withNamespace(t, env);
    await deployment(env, ns, 'left', node, 1);
    const [pod] = await settled(env, ns, 1);
    await ageNodeToken(t, env, node, -60);
    const args = ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
      '--dependents', 'secondary-networks', '--step-timeout', '60s'];
    // The node's new Multus pod will be slow to write its token: the run is caught waiting for it.
    const release = holdEntrypoint(t, env, node);
    const run = startRotator(['--kubeconfig', env.kubeconfig, ...args]);
    await run.waitForEvent('multus-restarted', (l) => l.node === node);
    await new Promise((r) => setTimeout(r, 500));
    run.kill('SIGTERM');
    const res = await run.done;
    assert.equal(res.code, 130, res.stderr.slice(-2000));
    const cut = parse(res.stdout).execution?.nodes.find((n) => n.node === node);
    assert.equal(cut?.pods.find((p) => p.uid === pod?.metadata?.uid)?.outcome, 'not-started');
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    assert.equal(cm.data?.['left-work'], 'pods=1,nodes=1', cm.data?.['left-work.yaml']);
    assert.match(cm.data?.['left-work.yaml'] ?? '', new RegExp(`${node}:[\\s\\S]*pod: ${ns}/left-`));

    // The held Multus writes its fresh token by itself: the node is healthy, nothing in the token says work is left.
    release();
    await waitFor(`node ${node} healthy`, async () => {
      const dry = parse((await runLocal(env, ['-o', 'json', '--summary-namespace', ns])).stdout);
      return dry.findings.find((f) => f.node === node)?.class === 'healthy';
    }, 60_000, 1000);
    const multus = (await multusPodOn(env, node)).metadata?.uid;

    const next = await runLocal(env, args);
    const result = parse(next.stdout);
    const step = result.plan.steps.find((s) => s.node === node);
    assert.ok(step?.finish, next.stderr.slice(-3000));
    assert.match(step.reason, /^finishes what the run of .* left: 1 dependent pod\(s\) not evicted then/);
    assert.equal(result.plan.leftWork?.find((l) => l.node === node)?.status, 'finishing');
    const done = result.execution?.nodes.find((n) => n.node === node);
    assert.equal(done?.outcome, 'finished', done?.reason);
    assert.equal(done?.pods.find((p) => p.uid === pod?.metadata?.uid)?.outcome, 'evicted');
    assert.equal(next.code, 0, next.stderr.slice(-2000));
    assert.equal((await multusPodOn(env, node)).metadata?.uid, multus, 'Multus was not restarted again');
    const after = await core.listNamespacedPod({ namespace: ns });
    assert.ok(!after.items.some((p) => p.metadata?.uid === pod?.metadata?.uid && !p.metadata?.deletionTimestamp));
    const last = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    assert.equal(last.data?.['left-work'], 'pods=0,nodes=0');
  });

  test('refused on a cordoned node, where it can only run: recorded, and restarted by the run after the uncordon',
    async (t) => {
      const node = env.nodes[2] ?? '';
      await nodeToItself(node);
      const ns = await withNamespace(t, env);
      await env.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: {
        metadata: { name: 'pinned' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'pinned' } },
          template: { metadata: { labels: { app: 'pinned' }, annotations: NETWORKS },
            spec: { nodeSelector: { 'kubernetes.io/hostname': node },
              containers: [{ name: 'app', image: 'pinned:1' }] } } },
      } });
      const [pod] = await settled(env, ns, 1);
      const kubectl = (...a: string[]) =>
        execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, ...a], { stdio: 'pipe' });
      kubectl('cordon', node);
      t.after(() => kubectl('uncordon', node));
      await ageNodeToken(t, env, node, -60);
      const args = ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
        '--dependents', 'secondary-networks', '--step-timeout', '60s'];

      const first = await runLocal(env, args);
      const refused = parse(first.stdout).execution?.nodes.find((n) => n.node === node);
      assert.equal(refused?.outcome, 'rotated', first.stderr.slice(-3000));
      assert.match(refused?.pods.find((p) => p.uid === pod?.metadata?.uid)?.reason ?? '', /which is cordoned/);
      assert.equal(first.code, 3);
      const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
      assert.equal(cm.data?.['left-work'], 'pods=1,nodes=1', cm.data?.['left-work.yaml']);

      kubectl('uncordon', node);
      const next = await runLocal(env, args);
      const done = parse(next.stdout).execution?.nodes.find((n) => n.node === node);
      assert.equal(done?.outcome, 'finished', next.stderr.slice(-3000));
      assert.equal(done?.pods.find((p) => p.uid === pod?.metadata?.uid)?.outcome, 'evicted', done?.reason);
      assert.equal(next.code, 0);
      await settled(env, ns, 1); // its replacement runs on the node again
    });
});
