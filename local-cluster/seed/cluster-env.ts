// What an end-to-end test needs to talk to the local cluster that global-setup.ts started.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cleanup } from './cleanup.ts';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { defaultRoot, nodeKubeconfigFile } from '../cluster.ts';
import { readState } from '../processes.ts';

export interface ClusterEnv {
  root: string;
  kubeconfig: string;
  kc: KubeConfig;
  nodes: string[];
  server: string;
}

export function clusterEnv(): ClusterEnv {
  const root = defaultRoot;
  const state = readState(root);
  if (!state) {
    throw new Error(
      `no local cluster state in ${root}: run the e2e tests through npm test, or npm run cluster:up first`,
    );
  }
  const kubeconfig = path.join(root, 'kubeconfig');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { root, kubeconfig, kc, nodes: state.nodes, server: state.apiserver };
}

/** The secondary network the seeded workloads attach (NETWORKS in workloads.ts). */
export const ATTACHMENT = 'macvlan-conf';

/**
 * The NetworkAttachmentDefinition that Multus looks up for a pod that asks for ATTACHMENT (in the pod's namespace).
 * Named like the upstream examples; its plugin is the nodes' trivial `noop` plugin, so the attachment itself always
 * succeeds and only Multus's access to the API server decides.
 */
export async function createAttachment(env: ClusterEnv, namespace: string): Promise<void> {
  const custom = env.kc.makeApiClient(CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: 'k8s.cni.cncf.io',
    version: 'v1',
    plural: 'network-attachment-definitions',
    namespace,
    body: {
      apiVersion: 'k8s.cni.cncf.io/v1',
      kind: 'NetworkAttachmentDefinition',
      metadata: { name: ATTACHMENT, namespace },
      spec: { config: JSON.stringify({ cniVersion: '0.3.1', name: ATTACHMENT, type: 'noop' }) },
    },
  }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
}

/** A fresh namespace for one test, with the ATTACHMENT network, deleted when the test ends. */
export async function withNamespace(t: Cleanup, env: ClusterEnv, labels: Record<string, string> = {}): Promise<string> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const name = `e2e-${randomBytes(4).toString('hex')}`;
  await core.createNamespace({ body: { metadata: { name, labels } } });
  t.after(async () => {
    await core.deleteNamespace({ name }).catch(() => undefined);
  });
  // The ServiceAccount admission plugin needs the namespace's default service account.
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const ok = await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, () =>
      false);
    if (ok) {
      await createAttachment(env, name);
      return name;
    }
    await sleep(100);
  }
  throw new Error(`namespace ${name}: the default service account did not appear within 30s`);
}

export { nodeKubeconfigFile };
