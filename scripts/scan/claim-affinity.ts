// Scan, for pods on cordoned nodes only: the node affinity of the volumes their PersistentVolumeClaims are bound to
// (a local PersistentVolume ties its pod to one node). Elsewhere a pod's replacement may be scheduled anywhere the
// pod fits, and the lookups are not needed.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { NodeFacts, NodeSelectorTermFacts, PodFacts } from '../model.ts';

export async function resolveClaimAffinity(reader: Pick<ClusterReader, 'claimNodeTerms'>, pods: readonly PodFacts[],
  nodes: ReadonlyMap<string, NodeFacts>): Promise<PodFacts[]> {
  const cache = new Map<string, Promise<NodeSelectorTermFacts[] | undefined>>();
  return await Promise.all(pods.map(async (pod) => {
    const claims = pod.placement?.claims;
    if (!claims || !nodes.get(pod.nodeName)?.unschedulable || !reader.claimNodeTerms) return pod;
    const resolved = await Promise.all(claims.map(async (c) => {
      const key = `${pod.namespace}/${c.name}`;
      const lookup = reader.claimNodeTerms;
      let terms = cache.get(key);
      if (!terms && lookup) {
        terms = lookup(pod.namespace, c.name);
        cache.set(key, terms);
      }
      const t = await terms;
      return t === undefined ? { name: c.name } : { name: c.name, terms: t };
    }));
    return { ...pod, placement: { ...pod.placement, claims: resolved } };
  }));
}
