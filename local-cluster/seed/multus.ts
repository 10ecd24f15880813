// Test helpers around the simulated Multus pods.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Cleanup } from './cleanup.ts';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { fileBoundTo, nodeKubeconfigFile } from '../cluster.ts';
import { waitFor } from '../processes.ts';
import type { ClusterEnv } from './cluster-env.ts';
import { forgetRotatorFacts } from './node-files.ts';

export async function multusPods(env: ClusterEnv, namespace = 'kube-system',
  selector = 'app=multus'): Promise<V1Pod[]> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

export function isReady(p: V1Pod | undefined): boolean {
  return p?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/**
 * Saves the node's kubeconfig file now and puts it back when the test ends — unless the node's Multus pod was
 * replaced meanwhile (a rotation): the saved token is then bound to a pod that is gone, and the new pod's file is
 * the right one to keep.
 */
export function restoreNodeFileAfter(t: Cleanup, env: ClusterEnv, node: string): void {
  const file = nodeKubeconfigFile(env.root, node);
  const before = existsSync(file) ? readFileSync(file) : undefined;
  const boundBefore = fileBoundTo(env.root, node);
  t.after(async () => {
    const current = (await multusPods(env)).filter((p) => p.spec?.nodeName === node && isReady(p))
      .map((p) => p.metadata?.uid);
    if (before && boundBefore && current.includes(boundBefore)) {
      writeFileSync(file, before, { mode: 0o600 });
      forgetRotatorFacts(env.root);
      return;
    }
    const bound = fileBoundTo(env.root, node);
    if (bound && current.includes(bound)) return;
    // The file is stale (a test put an old token back after the pod changed, or held the entrypoint): have the
    // entrypoint write it again.
    rmSync(path.join(env.root, 'nodes', node, 'hold-entrypoint'), { force: true });
    writeFileSync(path.join(env.root, 'nodes', node, 'rewrite-entrypoint'), '');
    await waitFor(`a fresh kubeconfig on ${node} after the test`, () => {
      const now = fileBoundTo(env.root, node);
      return now !== undefined && current.includes(now);
    }, 15_000);
  });
}

/** Holds the simulated Multus entrypoint on a node (a stuck start) until the returned function is called. */
export function holdEntrypoint(t: Cleanup, env: ClusterEnv, node: string): () => void {
  const marker = path.join(env.root, 'nodes', node, 'hold-entrypoint');
  writeFileSync(marker, '');
  const release = () => rmSync(marker, { force: true });
  t.after(release);
  return release;
}

/**
 * Starts, in `namespace`, a Multus pod of the distroless 4.x thin image on `node` (no shell, no cat: every exec
 * fails) and waits until the simulated entrypoint has written the node's file with its token. The node's previous
 * file comes back when the test ends.
 */
export async function startDistrolessMultus(t: Cleanup, env: ClusterEnv, namespace: string, node: string,
  labels: Record<string, string> = { app: 'multus' }): Promise<V1Pod> {
  const core = env.kc.makeApiClient(CoreV1Api);
  restoreNodeFileAfter(t, env, node);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'multus' } } })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  const name = `multus-thin-${node}`;
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name, labels, annotations: { 'sim.mtr.local/image': 'distroless' } },
      spec: {
        nodeName: node,
        serviceAccountName: 'multus',
        hostNetwork: true,
        containers: [{
          name: 'kube-multus',
          image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2-thin',
          command: ['/thin_entrypoint'],
          volumeMounts: [{ name: 'cni', mountPath: '/host/etc/cni/net.d' }],
        }],
        volumes: [{ name: 'cni', hostPath: { path: '/etc/cni/net.d' } }],
      },
    },
  });
  let pod: V1Pod | undefined;
  await waitFor(`distroless Multus pod ${namespace}/${name} Ready with its token in ${node}'s file`, async () => {
    pod = await core.readNamespacedPod({ name, namespace });
    return isReady(pod) && fileBoundTo(env.root, node) === pod.metadata?.uid;
  }, 60_000);
  if (!pod) throw new Error('unreachable: waitFor returned without a pod');
  return pod;
}

/** The node's current Multus pod (not terminating), or an error naming the node. */
export async function multusPodOn(env: ClusterEnv, node: string): Promise<V1Pod> {
  const p = (await multusPods(env)).find((x) => x.spec?.nodeName === node);
  if (!p) throw new Error(`no Multus pod on ${node}`);
  return p;
}
