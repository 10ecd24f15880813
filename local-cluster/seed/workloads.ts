// Workloads pinned to a node, that use (or not) secondary networks, for the execution tests and the demo.
import { AppsV1Api, CoreV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../processes.ts';
import { ATTACHMENT, type ClusterEnv } from './cluster-env.ts';

export const NETWORKS = { 'k8s.v1.cni.cncf.io/networks': ATTACHMENT };

export async function deployment(env: ClusterEnv, ns: string, name: string, node: string, replicas = 1,
  annotations: Record<string, string> = NETWORKS): Promise<void> {
  await env.kc.makeApiClient(AppsV1Api).createNamespacedDeployment({ namespace: ns, body: {
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations },
        spec: { nodeName: node, containers: [{ name: 'app', image: `${name}:1` }] } } },
  } });
}

export async function statefulSet(env: ClusterEnv, ns: string, name: string, node: string): Promise<void> {
  await env.kc.makeApiClient(AppsV1Api).createNamespacedStatefulSet({ namespace: ns, body: {
    metadata: { name },
    spec: { replicas: 1, serviceName: name, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: NETWORKS },
        spec: { nodeName: node, containers: [{ name: 'app', image: `${name}:1` }] } } },
  } });
}

export async function barePod(env: ClusterEnv, ns: string, name: string, node: string): Promise<void> {
  await env.kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: ns, body: {
    metadata: { name, annotations: NETWORKS },
    spec: { nodeName: node, containers: [{ name: 'app', image: 'bare:1' }] },
  } });
}

export async function budget(env: ClusterEnv, ns: string, name: string, app: string,
  spec: { maxUnavailable?: number; minAvailable?: number }): Promise<void> {
  await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({ namespace: ns, body: {
    metadata: { name },
    spec: { ...spec, selector: { matchLabels: { app } } },
  } });
}

/** Waits until every pod in the namespace is Ready and every budget's status is observed. */
export async function settled(env: ClusterEnv, ns: string, pods: number): Promise<V1Pod[]> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const policy = env.kc.makeApiClient(PolicyV1Api);
  let items: V1Pod[] = [];
  await waitFor(`${pods} Ready pods in ${ns} and observed budgets`, async () => {
    items = (await core.listNamespacedPod({ namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp);
    const ready = items.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const pdbs = (await policy.listNamespacedPodDisruptionBudget({ namespace: ns })).items;
    return ready.length === pods && items.length === pods &&
      pdbs.every((b) =>
        b.status?.observedGeneration === b.metadata?.generation && b.status?.expectedPods !== undefined
      );
  }, 60_000);
  return items;
}
