// Slow-terminating dependents (issue 17 item 5), with the real ReplicaSet controller: a Deployment pod with a
// 10-minute terminationGracePeriodSeconds counts as replaced once its replacement is Ready, while it is still
// terminating; waiting for it to be gone would fail the node after --step-timeout. kwok, which plays the kubelet,
// removes a deleted pod at once (its CNI DEL done): a finalizer holds the pod Terminating here as a container that
// takes its whole grace period to stop would. The test removes it at the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);
const SLOW_STOP = 'e2e.multus-token-rotator.io/slow-stop';

interface Result {
  execution?: {
    nodes: { node: string; outcome: string; reason: string;
      pods: { name: string; uid: string; outcome: string; reason: string }[] }[];
  };
}

describe('slow-terminating dependents', () => {
  test('a Deployment pod with a 10-minute grace period is replaced while it still terminates: the node is rotated',
    async (t) => {
      const node = env.nodes[4] ?? '';
      const ns = await withNamespace(t, env);
      t.after(async () => { // let the held pods go, so that the namespace can be deleted
        for (const p of (await core.listNamespacedPod({ namespace: ns })).items) {
          if (!p.metadata?.finalizers?.includes(SLOW_STOP)) continue;
          await core.patchNamespacedPod({ namespace: ns, name: p.metadata.name ?? '',
            body: [{ op: 'remove', path: '/metadata/finalizers' }] }).catch(() => undefined);
        }
      });
      await apps.createNamespacedDeployment({ namespace: ns, body: {
        metadata: { name: 'slow' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'slow' } },
          template: { metadata: { labels: { app: 'slow' }, annotations: NETWORKS, finalizers: [SLOW_STOP] },
            spec: { nodeName: node, terminationGracePeriodSeconds: 600,
              containers: [{ name: 'app', image: 'slow:1' }] } } },
      } });
      const [before] = await settled(env, ns, 1);
      await ageNodeToken(t, env, node, -60);

      const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
        '--lease-namespace', ns, '--dependents', 'secondary-networks', '--step-timeout', '30s']);
      const n = (JSON.parse(run.stdout) as Result).execution?.nodes.find((x) => x.node === node);
      const pod = n?.pods.find((p) => p.uid === before?.metadata?.uid);
      assert.equal(pod?.outcome, 'evicted', run.stderr.slice(-3000));
      assert.match(pod?.reason ?? '', /^replaced by slow-\S+, Ready after \d+ ms; the old pod is still terminating/);
      assert.equal(n?.outcome, 'rotated', n?.reason);
      assert.equal(run.code, 0, run.stderr.slice(-2000));
      // The old pod is still there, Terminating, after the run: it was not waited for.
      const old = await core.readNamespacedPod({ namespace: ns, name: before?.metadata?.name ?? '' });
      assert.equal(old.metadata?.uid, before?.metadata?.uid);
      assert.ok(old.metadata?.deletionTimestamp, 'the old pod is terminating');
    });
});
