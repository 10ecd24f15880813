// Scan, phase 3: the StatefulSets of the dependents on the plan's nodes (a handful of gets, one per set), to judge
// which revision an evicted pod would come back from (scripts/plan/statefulset-revision.ts). A set that cannot be
// read is kept with why: its pods are then not evicted on a guess.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import { describeError } from '../cluster/api-errors.ts';
import type { PodFacts, StatefulSetFacts } from '../model.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { toStatefulSetFacts } from './to-facts.ts';

export async function scanStatefulSets(reader: ClusterReader, pods: readonly PodFacts[]): Promise<StatefulSetFacts[]> {
  const owners = new Map<string, { namespace: string; name: string; uid: string }>();
  for (const p of pods) {
    if (p.controller?.kind === 'StatefulSet') {
      owners.set(p.controller.uid, { namespace: p.namespace, name: p.controller.name, uid: p.controller.uid });
    }
  }
  const unreadable = (o: { namespace: string; name: string; uid: string }, why: string): StatefulSetFacts => ({
    ...o,
    updateStrategy: '',
    partition: 0,
    startOrdinal: 0,
    generation: 0,
    unreadable: why,
  });
  return mapLimit([...owners.values()], 8, async (o) => {
    if (reader.statefulSet === undefined) return unreadable(o, 'this reader cannot read StatefulSets');
    try {
      const sts = await reader.statefulSet(o.namespace, o.name);
      if (sts === undefined) return unreadable(o, 'it was not found');
      if (sts.metadata?.uid !== o.uid) return unreadable(o, 'it was recreated since its pods were listed');
      return toStatefulSetFacts(sts);
    } catch (err) {
      return unreadable(o, `it could not be read (${describeError(err)}); grant get on statefulsets (rbac.yaml)`);
    }
  });
}
