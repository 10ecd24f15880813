// Which revision a StatefulSet pod comes back from once evicted, as the StatefulSet controller decides it
// (kubernetes pkg/controller/statefulset/stateful_set_utils.go, newVersionedStatefulSetPod): with RollingUpdate, an
// ordinal below start + partition is recreated from the current revision, every other one from the update revision;
// with OnDelete, always from the update revision. When that is not the revision the pod runs, the StatefulSet has a
// pending revision and evicting the pod would roll out a change nobody released (or add a second missing pod to a
// rollout the controller is making): the pod is left for a person, with why, as the Multus guard does for its
// DaemonSet. Pure.
import type { PodFacts, StatefulSetFacts } from '../model.ts';
import type { FilterRefusal } from './pod-filters.ts';

const HASH = 'controller-revision-hash';
const POD_INDEX = 'apps.kubernetes.io/pod-index';

/** The pod's ordinal: its pod-index label (1.28+), else the number after its StatefulSet's name. */
export function ordinalOf(pod: PodFacts, setName: string): number | undefined {
  const label = pod.labels[POD_INDEX];
  if (label !== undefined && /^\d+$/.test(label)) return Number(label);
  const m = new RegExp(`^${setName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(pod.name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

const manual = (reason: string): FilterRefusal => ({ action: 'manual', reason });

export function statefulSetRevisionRefusal(pod: PodFacts, sets: ReadonlyMap<string, StatefulSetFacts>):
  | FilterRefusal
  | undefined {
  if (pod.controller?.kind !== 'StatefulSet') return undefined;
  const id = `StatefulSet ${pod.namespace}/${pod.controller.name}`;
  const sts = sets.get(pod.controller.uid);
  if (sts === undefined || sts.unreadable !== undefined) {
    return manual(`its ${id} ${sts?.unreadable ?? 'was not read'}, so the revision an evicted pod would come back ` +
      'from is unknown; not evicted on a guess');
  }
  if ((sts.observedGeneration ?? 0) < sts.generation) {
    return manual(`${id} has a change its controller has not yet observed (generation ${sts.generation}, observed ` +
      `${sts.observedGeneration ?? 'never'}); an evicted pod could come back from it; the next run tries again`);
  }
  if (sts.updateStrategy !== 'RollingUpdate' && sts.updateStrategy !== 'OnDelete') {
    return manual(`${id} has update strategy ${sts.updateStrategy}, which this tool does not know; restart it by hand`);
  }
  const ordinal = ordinalOf(pod, sts.name);
  const fromUpdate = sts.updateStrategy === 'OnDelete' || ordinal === undefined ||
    ordinal >= sts.startOrdinal + sts.partition;
  const target = fromUpdate ? sts.updateRevision : sts.currentRevision;
  const runs = pod.labels[HASH];
  if (target !== undefined && runs === target) return undefined;
  const pending = `the pod runs revision ${runs ?? '(no controller-revision-hash label)'}, and an evicted pod would ` +
    `come back from ${fromUpdate ? 'the update' : 'the current'} revision ${target ?? '(none in its status)'}`;
  if (sts.updateStrategy === 'OnDelete') {
    return manual(`${id} has update strategy OnDelete and a pending revision: ${pending}; evicting it would roll out ` +
      'a change nobody released: restart it by hand when that rollout is meant');
  }
  if (sts.partition > 0 && fromUpdate) {
    return manual(`its ordinal ${ordinal ?? '(unknown)'} is at or above the partition ${sts.partition} of ${id}, ` +
      `which stages a revision: ${pending}; evicting it would roll out a change nobody released: restart it by ` +
      'hand when that rollout is meant');
  }
  return manual(`${id} is between revisions (a rollout in progress): ${pending}; its controller replaces its pods ` +
    'itself, and evicting one now could take a second pod from it; the next run tries again');
}
