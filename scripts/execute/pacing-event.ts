// The pacing shortfall (scripts/plan/pacing.ts) made visible where operators look: a Warning Event on the Multus
// DaemonSet. Moved out of run-once.ts unchanged.
import { describeError } from '../cluster/api-errors.ts';
import type { ClusterWriter } from '../cluster/cluster-writer.ts';
import type { Emit } from '../log/events.ts';
import type { MultusPodFacts } from '../model.ts';

/**
 * The pacing shortfall as a Warning Event on the Multus DaemonSet (`kubectl describe ds` shows it), every run until
 * fixed. Only when the run acts: a dry run writes nothing but its summary. A failed write is a warning, never fatal.
 */
export async function pacingEvent(writer: ClusterWriter, multusPods: readonly MultusPodFacts[], note: string,
  emit: Emit): Promise<void> {
  const pod = multusPods.find((p) => p.controller?.kind === 'DaemonSet') ?? multusPods[0];
  if (pod === undefined) return;
  const regarding = pod.controller?.kind === 'DaemonSet'
    ? { kind: 'DaemonSet', apiVersion: 'apps/v1', namespace: pod.namespace, name: pod.controller.name,
      uid: pod.controller.uid }
    : { kind: 'Pod', apiVersion: 'v1', namespace: pod.namespace, name: pod.name, uid: pod.uid };
  try {
    await writer.event({ regarding, reason: 'MultusTokenRotationCannotKeepUp', type: 'Warning', action: 'Plan',
      note: note.slice(0, 1000) });
  } catch (err) {
    emit({ type: 'warning', message: `could not write the pacing Event (${describeError(err)})` });
  }
}
