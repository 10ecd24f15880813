// The outage itself, decided by Multus's own code: on a node whose multus.kubeconfig token the API server rejects,
// the real Multus binary fails CNI ADD, so a pod that needs a network sandbox hangs in ContainerCreating with
// Multus's `Unauthorized` in a FailedCreatePodSandBox Event — until the rotator restarts the node's Multus pod,
// after which the same pod starts by itself. Pods on healthy nodes, hostNetwork pods, and nodes whose Multus keeps
// its own token fresh (4.x thin with its token watch) are not affected.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { AppsV1Api, CoreV1Api, KubernetesObjectApi, RbacAuthorizationV1Api, type CoreV1Event, type KubernetesObject,
  type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { fileBoundTo, multusBuildDir } from '../../../local-cluster/cluster.ts';
import { nodeCniDir, nodeMarker } from '../../../local-cluster/node-paths.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPodOn, multusPods, restoreNodeFileAfter } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig, readNodeFile, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { ageNodeToken, boundToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS } from '../../../local-cluster/seed/workloads.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);

async function pod(ns: string, name: string, node: string,
  opts: { hostNetwork?: boolean; networks?: boolean } = {}): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name, annotations: opts.networks === false ? {} : NETWORKS },
    spec: { nodeName: node, hostNetwork: opts.hostNetwork, containers: [{ name: 'app', image: `${name}:1` }] },
  } });
}

const nodeMultusConf = (node: string) => path.join(nodeCniDir(env.root, node), '00-multus.conf');
const read = (ns: string, name: string) => core.readNamespacedPod({ name, namespace: ns });

async function sandboxEvents(ns: string, name: string): Promise<CoreV1Event[]> {
  const list = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
  return list.items.filter((e) => e.reason === 'FailedCreatePodSandBox');
}

/** Waits until the pod has failed CNI ADD at least `attempts` times, and returns the Event. */
async function stuck(ns: string, name: string, attempts = 2): Promise<CoreV1Event> {
  let event: CoreV1Event | undefined;
  await waitFor(`${ns}/${name} to fail its sandbox ${attempts} times`, async () => {
    event = (await sandboxEvents(ns, name))[0];
    return (event?.count ?? 0) >= attempts;
  }, 60_000);
  if (!event) throw new Error('unreachable');
  return event;
}

function waiting(p: V1Pod): string | undefined {
  return p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
}

async function readyWithin(ns: string, name: string, ms: number): Promise<V1Pod> {
  let p: V1Pod | undefined;
  await waitFor(`${ns}/${name} Ready`, async () => {
    p = await read(ns, name);
    return isReady(p);
  }, ms, 250);
  if (!p) throw new Error('unreachable');
  return p;
}

async function assertHangs(ns: string, name: string): Promise<void> {
  const event = await stuck(ns, name);
  assert.match(event.message ?? '', /plugin type="multus" .*failed \(add\): .*Unauthorized/, event.message);
  assert.equal(event.source?.component, 'kubelet');
  const p = await read(ns, name);
  assert.equal(p.status?.phase, 'Pending');
  assert.equal(waiting(p), 'ContainerCreating');
  assert.equal(isReady(p), false);
}

/** The rotator, acting, with its lease and summary in the test's namespace. */
async function rotate(ns: string,
  extra: string[] = []): Promise<{ code: number; nodes: { node: string; outcome: string }[] }> {
  const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace',
    ns, '--step-timeout', '30s', ...extra]);
  const out = JSON.parse(run.stdout) as { execution?: { nodes: { node: string; outcome: string }[] } };
  return { code: run.code, nodes: out.execution?.nodes ?? [] };
}

async function breakWithGonePod(t: TestContext, node: string, ns: string): Promise<void> {
  // A token bound to a pod that is gone: what a node keeps when the pod that wrote its file is deleted and nothing
  // writes it again. The API server rejects it at once.
  const holder = await core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'token-holder' },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: 'c', image: 'holder:1' }] },
  } });
  const tr = await core.createNamespacedServiceAccountToken({ name: 'default', namespace: ns, body: { spec: {
    audiences: [],
    expirationSeconds: 3607,
    boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'token-holder', uid: holder.metadata?.uid },
  } } });
  await core.deleteNamespacedPod({ name: 'token-holder', namespace: ns, gracePeriodSeconds: 0 });
  await waitFor('the token holder to be gone', () => read(ns, 'token-holder').then(() => false, () => true), 30_000);
  restoreNodeFileAfter(t, env, node);
  writeNodeFile(t, env.root, node, multusKubeconfig(tr.status?.token ?? ''));
}

describe('the outage, decided by the real Multus', () => {
  test(
    'a new pod on a node whose token expired hangs in ContainerCreating with Unauthorized, and starts by itself after --execute rotates the node',
    async (t) => {
      const node = env.nodes[1] ?? '';
      const ns = await withNamespace(t, env);
      await ageNodeToken(t, env, node, -120);
      await pod(ns, 'stuck', node);
      await pod(ns, 'plain', node, { networks: false });
      await assertHangs(ns, 'stuck');
      // Multus serves the default network too: a pod without secondary networks hangs as well.
      await assertHangs(ns, 'plain');
      const uid = (await read(ns, 'stuck')).metadata?.uid;

      const run = await rotate(ns);
      assert.deepEqual(run.nodes.map((n) => [n.node, n.outcome]), [[node, 'rotated']]);
      // Nobody touched the stuck pods: the kubelet's retry through the repaired Multus starts them.
      const started = await readyWithin(ns, 'stuck', 30_000);
      assert.equal(started.metadata?.uid, uid);
      await readyWithin(ns, 'plain', 30_000);
    },
  );

  test('a token bound to a pod that is gone stops pods at once; the rotator repairs the node', async (t) => {
    const node = env.nodes[2] ?? '';
    const ns = await withNamespace(t, env);
    await breakWithGonePod(t, node, ns);
    await pod(ns, 'stuck', node);
    await assertHangs(ns, 'stuck');
    const run = await rotate(ns);
    assert.deepEqual(run.nodes.map((n) => [n.node, n.outcome]), [[node, 'rotated']]);
    await readyWithin(ns, 'stuck', 30_000);
  });

  test('the same pod on a healthy node starts through Multus at once', async (t) => {
    const node = env.nodes[0] ?? '';
    const ns = await withNamespace(t, env);
    await pod(ns, 'fine', node);
    await readyWithin(ns, 'fine', 30_000);
    assert.deepEqual(await sandboxEvents(ns, 'fine'), []);
    // Multus itself attached the secondary network and said so.
    const added = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=fine' }))
      .items.filter((e) => e.reason === 'AddedInterface');
    assert.ok(added.length > 0, 'Multus posted AddedInterface');
  });

  test('a hostNetwork pod on a broken node starts: no CNI is involved', async (t) => {
    const node = env.nodes[1] ?? '';
    const ns = await withNamespace(t, env);
    await ageNodeToken(t, env, node, -120);
    await pod(ns, 'hostnet', node, { hostNetwork: true });
    await pod(ns, 'podnet', node);
    await readyWithin(ns, 'hostnet', 30_000);
    await assertHangs(ns, 'podnet');
  });

  test(
    'when the kubelet refreshes the projected token, 4.x thin with its token watch rewrites the node file; the 3.x entrypoint does not',
    async (t) => {
      const [v3Node, v4Node] = [env.nodes[1] ?? '', env.nodes[2] ?? ''];
      const ns = await withNamespace(t, env);
      // A 4.x thin Multus pod with --cleanup-config-on-exit (its token watch) on one node; its file is written by it.
      restoreNodeFileAfter(t, env, v4Node);
      // In kube-system with the DaemonSet's service account (and so its RBAC), but not selected by the DaemonSet.
      const v4 = await core.createNamespacedPod({ namespace: 'kube-system', body: {
        metadata: { name: 'multus-thin-watch', labels: { app: 'multus-v4' } },
        spec: { nodeName: v4Node, serviceAccountName: 'multus', hostNetwork: true,
          containers: [{ name: 'kube-multus', image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2',
            command: ['/thin_entrypoint'],
            args: ['--multus-conf-file=auto', '--cni-version=0.3.1', '--cleanup-config-on-exit=true'] }] },
      } });
      t.after(async () => {
        // 4.x with --cleanup-config-on-exit removes the node's 00-multus.conf when it stops: have the DaemonSet's
        // Multus write the node's files again, so later tests find the node as it was.
        await core.deleteNamespacedPod({ name: 'multus-thin-watch', namespace: 'kube-system', gracePeriodSeconds: 0 })
          .catch(() => undefined);
        await waitFor('the 4.x pod to be gone',
          () => read('kube-system', 'multus-thin-watch').then(() => false, () => true), 30_000);
        const ds = await multusPodOn(env, v4Node);
        writeFileSync(nodeMarker(env.root, v4Node, 'rewrite-entrypoint'), '');
        await waitFor(`${v4Node}'s files written again by its DaemonSet pod`,
          () => fileBoundTo(env.root, v4Node) === ds.metadata?.uid && existsSync(nodeMultusConf(v4Node)), 30_000);
      });
      await waitFor('the 4.x pod to write the node file', () => fileBoundTo(env.root, v4Node) === v4.metadata?.uid,
        60_000);
      // A year passes on both nodes: their files hold expired tokens (the same for both, bound to each node's pod).
      await ageNodeToken(t, env, v3Node, -120);
      restoreNodeFileAfter(t, env, v4Node);
      const aged = await boundToken(env, v4, -120);
      writeNodeFile(t, env.root, v4Node, multusKubeconfig(aged));
      const v3Before = readNodeFile(env.root, v3Node).toString('utf8');
      // The kubelet refreshes every projected token on both nodes (it does so at 80% of each token's life).
      for (const node of [v3Node, v4Node]) writeFileSync(nodeMarker(env.root, node, 'refresh-token'), '');
      await waitFor('the 4.x token watch to rewrite its node file with a fresh token',
        () =>
          fileBoundTo(env.root, v4Node) === v4.metadata?.uid &&
          !readNodeFile(env.root, v4Node).toString('utf8').includes(aged), 30_000);
      await pod(ns, 'on-v4', v4Node);
      await pod(ns, 'on-v3', v3Node);
      await readyWithin(ns, 'on-v4', 30_000);
      await assertHangs(ns, 'on-v3');
      assert.equal(readNodeFile(env.root, v3Node).toString('utf8'), v3Before, 'the 3.x file was never rewritten');
      assert.ok((await multusPodOn(env, v3Node)).metadata?.uid, 'the 3.x Multus pod still runs');
    },
  );

  test(
    'a node running the thick plugin has no outage: its daemon uses its own credentials, and the rotator leaves it alone',
    async (t) => {
      const node = env.nodes[4] ?? '';
      const ns = await withNamespace(t, env);
      const flavour = 'sim.mtr.local/multus-flavour';
      // The DaemonSet's 3.x pod leaves the node; a thick daemon pod takes its place, with upstream's thick RBAC
      // (its pod informer lists and watches pods).
      // (No restoreNodeFileAfter: the DaemonSet's new pod writes the node's files again, awaited below.)
      const ds = await multusPodOn(env, node);
      const rbac = env.kc.makeApiClient(RbacAuthorizationV1Api);
      const thickName = `multus-thick-${ns}`;
      await core.createNamespacedServiceAccount({ namespace: 'kube-system', body: { metadata: { name: thickName } } });
      await rbac.createClusterRole({ body: { metadata: { name: thickName }, rules: [
        { apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*'] },
        { apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'list', 'update', 'watch'] },
        { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
      ] } });
      await rbac.createClusterRoleBinding({
        body: { metadata: { name: thickName },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: thickName },
          subjects: [{ kind: 'ServiceAccount', name: thickName, namespace: 'kube-system' }] },
      });
      t.after(async () => {
        await rbac.deleteClusterRoleBinding({ name: thickName }).catch(() => undefined);
        await rbac.deleteClusterRole({ name: thickName }).catch(() => undefined);
        await core.deleteNamespacedServiceAccount({ name: thickName, namespace: 'kube-system' }).catch(() => undefined);
      });
      await core.patchNode({ name: node,
        body: [{ op: 'add', path: `/metadata/labels/${flavour.replace('/', '~1')}`, value: 'thick' }] });
      t.after(async () => {
        await core.deleteNamespacedPod({ name: `multus-thick-${node}`, namespace: 'kube-system',
          gracePeriodSeconds: 0 })
          .catch(() => undefined);
        await core.patchNode({ name: node,
          body: [{ op: 'remove', path: `/metadata/labels/${flavour.replace('/', '~1')}` }] });
        await waitFor(`the DaemonSet's Multus back on ${node} with its files`, async () => {
          const p = await multusPodOn(env, node).catch(() => undefined);
          return isReady(p) && fileBoundTo(env.root, node) === p?.metadata?.uid &&
            readFileSync(nodeMultusConf(node), 'utf8').includes('"type": "multus"');
        }, 60_000);
      });
      await waitFor(`the DaemonSet's pod to leave ${node}`, () =>
        read('kube-system', ds.metadata?.name ?? '')
          .then(() => false, () => true), 30_000);
      const thick = await core.createNamespacedPod({ namespace: 'kube-system', body: {
        metadata: { name: `multus-thick-${node}`, labels: { app: 'multus-thick' } },
        spec: { nodeName: node, serviceAccountName: thickName, hostNetwork: true,
          containers: [{ name: 'kube-multus', image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2-thick',
            command: ['/usr/src/multus-cni/bin/multus-daemon'] }] },
      } });
      await waitFor('the thick daemon to write its 00-multus.conf (type multus-shim)',
        () => existsSync(nodeMultusConf(node)) && readFileSync(nodeMultusConf(node), 'utf8').includes('multus-shim'),
        60_000);
      // The node still holds the file a thin Multus left years ago, long expired: thick never reads it.
      writeNodeFile(t, env.root, node, multusKubeconfig(await boundToken(env, thick, -120)));
      await pod(ns, 'on-thick', node);
      await readyWithin(ns, 'on-thick', 30_000);
      assert.deepEqual(await sandboxEvents(ns, 'on-thick'), []);
      // The rotator judges the node by its Multus pod: self-refreshing, never planned.
      const run = await runLocal(env, ['-o', 'json', '--selector', 'app=multus-thick', '--summary-namespace', ns,
        '--lease-namespace', ns]);
      const out = JSON.parse(run.stdout) as { findings: { node: string; class: string }[];
        plan: { steps: { node: string }[] } };
      assert.equal(out.findings.find((f) => f.node === node)?.class, 'self-refreshing', run.stdout);
      assert.ok(!out.plan.steps.some((s) => s.node === node));
    },
  );
  test(
    "Multus 3.9's thick-plugin (upstream's v3.9.3 manifest) is thin in effect: its expired kubeconfig stops pods, the rotator judges the file and a restart (init containers again) repairs the node",
    async (t) => {
      const node = env.nodes[5] ?? '';
      const ns = await withNamespace(t, env);
      const flavour = 'sim.mtr.local/multus-flavour';
      // Upstream's manifest, from the v3.9.3 module source (build-multus.sh copies it next to the binaries).
      const docs = parseAllDocuments(
        readFileSync(path.join(multusBuildDir(), 'multus-v3', 'multus-daemonset-thick-plugin.yml'), 'utf8'),
      ).map((d) => d.toJS() as KubernetesObject & { spec?: Record<string, unknown> });
      const ds = docs.find((d) => d.kind === 'DaemonSet') as V1DaemonSet | undefined;
      assert.ok(ds?.spec, 'the manifest has its DaemonSet');
      // What the local cluster must change: the name (kube-multus-ds, the 3.x DaemonSet, exists) and one node only.
      // Image, command, args, init containers, volumes, service account: upstream's.
      const name = 'kube-multus-ds-thick-plugin';
      ds.metadata = { ...ds.metadata, name };
      ds.spec.template.spec = { ...ds.spec.template.spec, containers: ds.spec.template.spec?.containers ?? [],
        nodeSelector: { [flavour]: 'v3.9-thick-plugin' } };
      const objects = KubernetesObjectApi.makeApiClient(env.kc);
      // The CRD, ClusterRole, ClusterRoleBinding and ServiceAccount of the same names already exist (the 3.x install);
      // whatever did not is created, and removed after the test.
      for (const d of docs.filter((x) => x.kind !== 'DaemonSet')) {
        const created = await objects.create(d).then(() => true, (e: { code?: number }) => {
          if (e.code !== 409) throw e;
          return false;
        });
        if (created) t.after(() => objects.delete(d).then(() => undefined, () => undefined));
      }
      const apps = env.kc.makeApiClient(AppsV1Api);
      const old = await multusPodOn(env, node);
      await apps.createNamespacedDaemonSet({ namespace: 'kube-system', body: ds });
      const label = `/metadata/labels/${flavour.replace('/', '~1')}`;
      await core.patchNode({ name: node, body: [{ op: 'add', path: label, value: 'v3.9-thick-plugin' }] });
      t.after(async () => {
        await apps.deleteNamespacedDaemonSet({ name, namespace: 'kube-system' }).catch(() => undefined);
        await core.patchNode({ name: node, body: [{ op: 'remove', path: label }] });
        await waitFor(`the 3.x DaemonSet's Multus back on ${node} with its files`, async () => {
          const p = await multusPodOn(env, node).catch(() => undefined);
          return isReady(p) && p?.metadata?.labels?.['name'] === 'multus' &&
            p.metadata.ownerReferences?.[0]?.name === 'kube-multus-ds' &&
            fileBoundTo(env.root, node) === p.metadata.uid;
        }, 90_000);
      });
      // The 3.9 pod replaces the 3.x one; its init containers copy the thin binary and write the kubeconfig.
      let thick: V1Pod | undefined;
      await waitFor(`the 3.9 thick-plugin pod on ${node}, its kubeconfig written by generate-kubeconfig`, async () => {
        thick = (await multusPods(env)).find((p) => p.spec?.nodeName === node && p.metadata?.uid !== old.metadata?.uid);
        return isReady(thick) && fileBoundTo(env.root, node) === thick?.metadata?.uid &&
          existsSync(nodeMultusConf(node)) && /"type":\s*"multus"/.test(readFileSync(nodeMultusConf(node), 'utf8'));
      }, 90_000);
      assert.equal(thick?.spec?.containers[0]?.command?.[0], '/usr/src/multus-cni/bin/multus-daemon');
      await pod(ns, 'at-first', node);
      await readyWithin(ns, 'at-first', 30_000);

      // The kubeconfig is never rewritten while the pod lives: once its token is expired, CNI ADD fails.
      await ageNodeToken(t, env, node, -120);
      await pod(ns, 'stuck', node);
      await assertHangs(ns, 'stuck');

      // The renamed DaemonSet is one the job may read and restart only once it is listed (--daemonsets, issue 18).
      const daemonsets = ['--daemonsets', `kube-multus-ds,${name}`];
      const dry = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
        ...daemonsets]);
      const finding = (JSON.parse(dry.stdout) as { findings: { node: string; class: string; reason: string }[] })
        .findings.find((f) => f.node === node);
      assert.equal(finding?.class, 'expired', `judged like thin, not self-refreshing: ${finding?.reason}`);

      const { nodes } = await rotate(ns, daemonsets);
      assert.equal(nodes.find((n) => n.node === node)?.outcome, 'rotated', JSON.stringify(nodes));
      const fresh = await multusPodOn(env, node);
      assert.notEqual(fresh.metadata?.uid, thick?.metadata?.uid, 'a new 3.9 pod');
      assert.equal(fileBoundTo(env.root, node), fresh.metadata?.uid, 'whose init container wrote a fresh token');
      await readyWithin(ns, 'stuck', 60_000);
    },
  );
});
