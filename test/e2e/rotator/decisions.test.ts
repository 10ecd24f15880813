// Issue 17, end to end in the outage world: a StatefulSet pod whose set has a pending revision is left for a person
// (item 2), and an eviction carries the UID of the pod that was judged, so a pod recreated under the same name is never
// evicted (item 4) — against the real StatefulSet controller and the real Eviction API.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { kubeClusterWriter } from '../../../scripts/cluster/cluster-writer.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);

interface Result {
  plan: { steps: { node: string; pods: { name: string; action: string; reason: string }[] }[] };
  execution?: { nodes: { node: string; outcome: string; pods: { name: string; outcome: string; reason: string }[] }[] };
}

const read = (ns: string, name: string): Promise<V1Pod | undefined> =>
  core.readNamespacedPod({ name, namespace: ns }).catch(() => undefined);

async function statefulSet(ns: string, name: string, node: string, updateStrategy: 'OnDelete' | 'RollingUpdate') {
  await apps.createNamespacedStatefulSet({ namespace: ns, body: {
    metadata: { name },
    spec: { replicas: 1, serviceName: name, selector: { matchLabels: { app: name } },
      updateStrategy: { type: updateStrategy },
      template: { metadata: { labels: { app: name }, annotations: NETWORKS },
        spec: { nodeName: node, containers: [{ name: 'app', image: `${name}:1` }] } } },
  } });
}

describe('issue 17 item 2: a StatefulSet with a pending revision', () => {
  test('OnDelete with a new template: its pod is manual with why and keeps running; a set with none is restarted',
    async (t) => {
      const node = env.nodes[1] ?? '';
      const ns = await withNamespace(t, env);
      await statefulSet(ns, 'held', node, 'OnDelete');
      await statefulSet(ns, 'db', node, 'RollingUpdate');
      await settled(env, ns, 2);
      // A change nobody has rolled out yet: with OnDelete the controller waits for someone to delete the pod.
      await apps.patchNamespacedStatefulSet({ name: 'held', namespace: ns,
        body: [{ op: 'add', path: '/spec/template/spec/containers/0/image', value: 'held:2' }] });
      await waitFor('the new revision of held observed', async () => {
        const s = await apps.readNamespacedStatefulSet({ name: 'held', namespace: ns });
        return s.status?.observedGeneration === s.metadata?.generation &&
          s.status?.updateRevision !== undefined && s.status.updateRevision !== s.status.currentRevision;
      }, 30_000);
      const held = await read(ns, 'held-0');
      const db = await read(ns, 'db-0');
      const heldRevision = held?.metadata?.labels?.['controller-revision-hash'];
      await ageNodeToken(t, env, node, -120);

      const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
        '--lease-namespace', ns, '--step-timeout', '60s', '--dependents', 'secondary-networks']);
      const result = JSON.parse(run.stdout) as Result;
      const step = result.plan.steps.find((s) => s.node === node);
      const verdict = step?.pods.find((p) => p.name === 'held-0');
      assert.equal(verdict?.action, 'manual', run.stdout);
      assert.match(verdict?.reason ?? '',
        /OnDelete and a pending revision: the pod runs revision held-\w+, and an evicted pod would come back from the update revision held-\w+; evicting it would roll out a change nobody released/);
      assert.equal(step?.pods.find((p) => p.name === 'db-0')?.action, 'restart');
      const executed = result.execution?.nodes.find((n) => n.node === node);
      assert.equal(executed?.pods.find((p) => p.name === 'db-0')?.outcome, 'evicted', run.stderr);

      const heldAfter = await read(ns, 'held-0');
      assert.equal(heldAfter?.metadata?.uid, held?.metadata?.uid, 'held-0 was not evicted');
      assert.equal(heldAfter?.metadata?.labels?.['controller-revision-hash'], heldRevision, 'nor rolled out');
      assert.notEqual((await read(ns, 'db-0'))?.metadata?.uid, db?.metadata?.uid, 'db-0 was restarted');
    });
});

describe('issue 17 item 4: evictions carry a UID precondition', () => {
  test('a StatefulSet pod recreated under the same name is not evicted by an eviction meant for the old one',
    async (t) => {
      const node = env.nodes[1] ?? '';
      const ns = await withNamespace(t, env);
      await statefulSet(ns, 'db', node, 'RollingUpdate');
      const [judged] = await settled(env, ns, 1);
      const judgedUid = judged?.metadata?.uid ?? '';
      // Between the check and the eviction: db-0 is deleted and its StatefulSet recreates it under the same name.
      await core.deleteNamespacedPod({ name: 'db-0', namespace: ns, gracePeriodSeconds: 0 });
      await waitFor('db-0 recreated', async () => {
        const p = await read(ns, 'db-0');
        return p !== undefined && p.metadata?.uid !== judgedUid && !p.metadata?.deletionTimestamp;
      }, 30_000);
      const newer = await read(ns, 'db-0');

      const writer = kubeClusterWriter(env.kc, 'e2e');
      const answer = await writer.evict(ns, 'db-0', judgedUid, false);
      assert.equal(answer.kind, 'replaced', JSON.stringify(answer));
      const after = await read(ns, 'db-0');
      assert.equal(after?.metadata?.uid, newer?.metadata?.uid, 'the newer db-0 is still there');
      assert.equal(after?.metadata?.deletionTimestamp, undefined, 'and not terminating');

      // The same call with the UID of the pod that is there evicts it.
      assert.equal((await writer.evict(ns, 'db-0', newer?.metadata?.uid ?? '', false)).kind, 'accepted');
      await waitFor('the newer db-0 evicted',
        async () => (await read(ns, 'db-0'))?.metadata?.uid !== newer?.metadata?.uid, 30_000);
    });
});
