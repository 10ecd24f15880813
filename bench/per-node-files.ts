// Every bench node its own file, with a few kwok processes for thousands of nodes.
//
// A kwok process runs `kubectl exec … -- cat /host/etc/cni/net.d/multus.d/multus.kubeconfig` as a local process in
// its own mount namespace (local-cluster/cluster.ts kwokCommand), which shows one directory at /host/etc/cni/net.d.
// Here that directory holds only a symbolic link `multus.d -> /proc/self/cwd`: the path resolves in the `cat`
// process, to its working directory. And kwok runs each exec in the working directory of the pod's kwok `Exec`
// object (kwok.x-k8s.io/v1alpha1; matched by pod name and namespace before the ClusterExec). So each Multus pod gets
// an Exec whose workDir is its node's multus.d directory, and `cat` reads that node's file — one exec, one process,
// as before, but 1,000 different files. A pod without its Exec falls back to the ClusterExec (workDir /) and the
// read fails (no /multus.kubeconfig), which is why the bench creates the Exec before the pod may be Ready.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { mapLimit } from '../scripts/shared/map-limit.ts';

/** Where each bench kwok sees <cluster root>/nodes (one bind: the nodes' files, live). */
export const KWOK_NODES_DIR = '/mtr-bench-nodes';

/** The working directory, as kwok sees it, of an exec into `node`'s Multus pod: that node's multus.d. */
export function kwokWorkDir(node: string): string {
  return path.posix.join(KWOK_NODES_DIR, node, 'net.d', 'multus.d');
}

const EXEC = { group: 'kwok.x-k8s.io', version: 'v1alpha1', plural: 'execs' } as const;

/** The directory every bench kwok shows at /host/etc/cni/net.d: one link, multus.d → the exec's working directory. */
export function cwdView(root: string): string {
  const dir = path.join(root, 'kwok-cwd-view');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync('/proc/self/cwd', path.join(dir, 'multus.d'));
  return dir;
}

/** The kwok Exec that runs `pod`'s execs in `workDir` (its node's multus.d directory). */
export async function createPodExec(kc: KubeConfig, namespace: string, pod: string, workDir: string): Promise<void> {
  const custom = kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({ ...EXEC, namespace, body: {
    apiVersion: `${EXEC.group}/${EXEC.version}`,
    kind: 'Exec',
    metadata: { name: pod, namespace },
    spec: { execs: [{ local: { workDir } }] },
  } }).catch(async (e: { code?: number }) => {
    if (e.code !== 409) throw e;
    // A pod of the same name on another node (a recreated StatefulSet-like name): point it at the new directory.
    await custom.deleteNamespacedCustomObject({ ...EXEC, namespace, name: pod });
    await createPodExec(kc, namespace, pod, workDir);
  });
}

export async function deletePodExec(kc: KubeConfig, namespace: string, pod: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ ...EXEC, namespace, name: pod })
    .catch((e: { code?: number }) => {
      if (e.code !== 404) throw e;
    });
}

/** Exec objects for many pods at once (the scale bench's bare Multus pods). */
export async function createPodExecs(kc: KubeConfig, namespace: string,
  pods: readonly { pod: string; workDir: string }[], concurrency: number): Promise<void> {
  await mapLimit([...pods], concurrency, (p) => createPodExec(kc, namespace, p.pod, p.workDir));
}
