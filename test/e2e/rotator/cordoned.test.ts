// Cordoned nodes and pinned pods (issue 10 item 4), with the real scheduler and volume binding: on an unschedulable
// node, a pod that can only run there — its local PersistentVolume, or a nodeSelector to the node — is refused with
// why; a pod that another node would take is restarted as usual.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1PodSpec } from '@kubernetes/client-node';
import { kubectlPath } from '../../../local-cluster/cluster.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);
const HOST = 'kubernetes.io/hostname';

interface Result {
  plan: { steps: { node: string; pods: { name: string; action: string; reason: string }[] }[] };
}

async function deploy(ns: string, name: string, spec: Partial<V1PodSpec>): Promise<void> {
  await apps.createNamespacedDeployment({ namespace: ns, body: {
    metadata: { name },
    spec: { replicas: 1, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: NETWORKS },
        spec: { containers: [{ name: 'app', image: `${name}:1` }], ...spec } } },
  } });
}

describe('cordoned nodes and pinned pods', () => {
  test(
    'on a cordoned node: a pod on a local PersistentVolume or with a nodeSelector to it is refused, with why; a free one is restarted',
    async (t) => {
      const node = env.nodes[0] ?? '';
      const ns = await withNamespace(t, env);
      // A local PersistentVolume on the node, bound to a claim from the start.
      const pv = `${ns}-local`;
      await core.createPersistentVolume({ body: { metadata: { name: pv }, spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: 'local-e2e',
        local: { path: '/mnt/disks/e2e' },
        claimRef: { namespace: ns, name: 'data' },
        nodeAffinity: {
          required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOST, operator: 'In', values: [node] }] }] },
        },
      } } });
      t.after(() => core.deletePersistentVolume({ name: pv }).then(() => undefined, () => undefined));
      await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: { metadata: { name: 'data' }, spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'local-e2e',
        volumeName: pv,
        resources: { requests: { storage: '1Gi' } },
      } } });
      await deploy(ns, 'db', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] });
      await deploy(ns, 'pinned', { nodeSelector: { [HOST]: node } });
      await deploy(ns, 'free', { nodeSelector: { 'kubernetes.io/os': 'linux' }, nodeName: undefined, affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100,
            preference: { matchExpressions: [{ key: HOST, operator: 'In', values: [node] }] } }],
        },
      } });
      const pods = await settled(env, ns, 3);
      assert.ok(pods.every((p) => p.spec?.nodeName === node),
        pods.map((p) => `${p.metadata?.name}@${p.spec?.nodeName}`).join());
      execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'cordon', node], { stdio: 'pipe' });
      t.after(() => execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'uncordon', node], { stdio: 'pipe' }));
      await ageNodeToken(t, env, node, -60);

      const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--dependents', 'secondary-networks']);
      const step = (JSON.parse(run.stdout) as Result).plan.steps.find((s) => s.node === node);
      const verdict = (app: string) => step?.pods.find((p) => p.name.startsWith(`${app}-`));
      assert.equal(verdict('db')?.action, 'refused', run.stderr.slice(-2000));
      assert.match(verdict('db')?.reason ?? '',
        new RegExp(`can only run on node ${node} \\(the local PersistentVolume of claim data\\), which is cordoned`));
      assert.equal(verdict('pinned')?.action, 'refused');
      assert.match(verdict('pinned')?.reason ?? '', /nodeSelector kubernetes\.io\/hostname=.*uncordon the node/);
      assert.equal(verdict('free')?.action, 'restart', verdict('free')?.reason);
    },
  );
});
