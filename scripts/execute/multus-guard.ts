// Before a Multus pod is deleted: will its DaemonSet bring back the same Multus, now? A delete is only safe when the
// DaemonSet exists, its update strategy is one we know, it is not in the middle of a rollout, and the pod already
// runs the DaemonSet's current revision (its controller-revision-hash label is that of the newest ControllerRevision
// the DaemonSet owns). Otherwise the delete would install a new template on this node — with OnDelete, that is
// exactly what a delete does — and a Multus that does not start takes the node's (still valid) token with it.
import type { V1ControllerRevision, V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import type { ClusterWriter } from '../cluster/cluster-writer.ts';
import { describeError } from '../cluster/api-errors.ts';
import { controllerOf } from '../shared/pods.ts';

const HASH = 'controller-revision-hash';

/** Why the pod must not be deleted, or undefined. Pure. */
export function judgeMultusRestart(pod: V1Pod, ds: V1DaemonSet | undefined, revisions: readonly V1ControllerRevision[]):
  | string
  | undefined {
  const owner = controllerOf(pod);
  if (owner?.kind !== 'DaemonSet') return 'it is not controlled by a DaemonSet, so nothing would recreate it';
  const id = `DaemonSet ${pod.metadata?.namespace}/${owner.name}`;
  if (!ds || ds.metadata?.uid !== owner.uid) return `its ${id} no longer exists`;
  const strategy = ds.spec?.updateStrategy?.type ?? 'RollingUpdate';
  if (strategy !== 'RollingUpdate' && strategy !== 'OnDelete') {
    return `${id} has update strategy ${strategy}, which this tool does not know; restart the pod by hand`;
  }
  const status = ds.status;
  if ((status?.observedGeneration ?? 0) < (ds.metadata?.generation ?? 0)) {
    return `${id} has a change its controller has not yet observed (generation ${ds.metadata?.generation}, ` +
      `observed ${status?.observedGeneration ?? 'never'}); the next run tries again`;
  }
  if (strategy === 'RollingUpdate' && (status?.updatedNumberScheduled ?? 0) < (status?.desiredNumberScheduled ?? 0)) {
    return `${id} is in the middle of a rollout (${status?.updatedNumberScheduled ?? 0} of ` +
      `${status?.desiredNumberScheduled} pods updated); the next run tries again once it is done`;
  }
  const owned = revisions.filter((r) =>
    r.metadata?.ownerReferences?.some((o) => o.controller && o.uid === ds.metadata?.uid)
  );
  const current = owned.reduce<V1ControllerRevision | undefined>((a, r) => (!a || r.revision > a.revision ? r : a),
    undefined);
  const currentHash = current?.metadata?.labels?.[HASH];
  if (!currentHash) return `the current revision of ${id} could not be found among its ControllerRevisions`;
  const podHash = pod.metadata?.labels?.[HASH];
  if (podHash !== currentHash) {
    return `the pod runs revision ${podHash ?? '(no controller-revision-hash label)'} of ${id}, not its current ` +
      `revision ${currentHash} (revision ${current?.revision}); deleting it would install the new template on this node` +
      (strategy === 'OnDelete' ? ' (update strategy OnDelete: that is a rollout, which a person decides)' : '');
  }
  return undefined;
}

type GuardReads = Pick<ClusterWriter, 'readDaemonSet' | 'listControllerRevisions'>;
type DaemonSetView = [V1DaemonSet | undefined, V1ControllerRevision[]];
/** Why the Multus pod must not be deleted now, or undefined. */
export type MultusGuard = (pod: V1Pod) => Promise<string | undefined>;

/** Reads the DaemonSet and its revisions, then judges. A read that fails refuses: nothing is deleted on a guess. */
export function multusRestartRefusal(pod: V1Pod, writer: GuardReads): Promise<string | undefined> {
  return guardWith((ns, name) => Promise.all([writer.readDaemonSet(ns, name), writer.listControllerRevisions(ns)]))(
    pod,
  );
}

/**
 * The guard of one repair wave: each DaemonSet is read once, when the wave's first node asks — before the wave's first
 * delete — and every node of the wave is judged on that view. The wave's own deletes lower the DaemonSet's
 * updatedNumberScheduled while their pods terminate; read after them, that looks like a rollout and refused the
 * wave's later nodes.
 */
export function waveGuard(writer: GuardReads): MultusGuard {
  const views = new Map<string, Promise<DaemonSetView>>();
  return guardWith((ns, name) => {
    const key = `${ns}/${name}`;
    const view = views.get(key) ?? Promise.all([writer.readDaemonSet(ns, name), writer.listControllerRevisions(ns)]);
    views.set(key, view);
    return view;
  });
}

function guardWith(read: (ns: string, name: string) => Promise<DaemonSetView>): MultusGuard {
  return async (pod) => {
    const owner = controllerOf(pod);
    const ns = pod.metadata?.namespace ?? '';
    if (owner?.kind !== 'DaemonSet') return judgeMultusRestart(pod, undefined, []);
    try {
      const [ds, revisions] = await read(ns, owner.name);
      return judgeMultusRestart(pod, ds, revisions);
    } catch (err) {
      return `its DaemonSet ${ns}/${owner.name} or its ControllerRevisions could not be read (${
        describeError(err)
      }); ` +
        'grant get on daemonsets and list on controllerrevisions (apps) in this namespace (rbac.yaml)';
    }
  };
}
