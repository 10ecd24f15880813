// Guard the Multus restart (issue 10 item 3), with the real DaemonSet controller and its ControllerRevisions: with
// updateStrategy OnDelete and a new template, deleting a Multus pod would roll the new template out on that node, so
// the rotator refuses — and restarts it again once the pods run the current revision.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1DaemonSet } from '@kubernetes/client-node';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { multusPodOn } from '../../../local-cluster/seed/multus.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const apps = env.kc.makeApiClient(AppsV1Api);
const core = env.kc.makeApiClient(CoreV1Api);
const DS = { namespace: 'kube-system', name: 'kube-multus-ds' };
const MARK = 'multus-token-rotator.test/template';

interface Result {
  execution?: { nodes: { node: string; outcome: string; reason: string }[] };
}

async function change(edit: (ds: V1DaemonSet) => void): Promise<void> {
  await waitFor('the DaemonSet updated', async () => {
    const ds = await apps.readNamespacedDaemonSet(DS);
    edit(ds);
    return apps.replaceNamespacedDaemonSet({ ...DS, body: ds }).then(() => true, () => false); // 409: read again
  }, 30_000);
  await waitFor('the DaemonSet observed', async () => {
    const ds = await apps.readNamespacedDaemonSet(DS);
    return ds.status?.observedGeneration === ds.metadata?.generation;
  }, 30_000);
}

describe('the Multus restart guard', () => {
  test('OnDelete with a new template: the pod of the old revision is not deleted, with why; once current, it is',
    async (t) => {
      const node = env.nodes[5] ?? '';
      const ns = await withNamespace(t, env);
      await ageNodeToken(t, env, node, -60);
      const before = (await multusPodOn(env, node)).metadata?.uid;
      await change((ds) => {
        ds.spec!.updateStrategy = { type: 'OnDelete' };
        ds.spec!.template.metadata = { ...ds.spec!.template.metadata,
          annotations: { ...ds.spec!.template.metadata?.annotations, [MARK]: 'new' } };
      });
      t.after(() =>
        change((ds) => {
          delete ds.spec!.template.metadata?.annotations?.[MARK];
          ds.spec!.updateStrategy = { type: 'RollingUpdate' };
        })
      );

      const args = ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
        '--max-nodes', '1', '--step-timeout', '30s'];
      const refused = await runLocal(env, args);
      const n = (JSON.parse(refused.stdout) as Result).execution?.nodes[0];
      assert.equal(n?.node, node, refused.stderr.slice(-2000));
      assert.equal(n?.outcome, 'not-started');
      assert.match(n?.reason ?? '', /refused to restart the Multus pod .*not its current revision .*OnDelete/);
      assert.equal((await multusPodOn(env, node)).metadata?.uid, before, 'the Multus pod was not deleted');
      assert.equal(refused.code, 3);

      // The template back as it was: the pods run the current revision again, and the node is rotated.
      await change((ds) => {
        delete ds.spec!.template.metadata?.annotations?.[MARK];
      });
      const rotated = await runLocal(env, args);
      const m = (JSON.parse(rotated.stdout) as Result).execution?.nodes[0];
      assert.equal(m?.outcome, 'rotated', `${m?.reason}\n${rotated.stderr.slice(-2000)}`);
      assert.notEqual((await multusPodOn(env, node)).metadata?.uid, before);
      const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' });
      assert.ok(pods.items.length >= env.nodes.length);
    });
});
