// A run-level Event (the pacing shortfall, the repair's totals) on the Multus DaemonSet, where `kubectl describe ds`
// shows it; on the first Multus pod when there is no DaemonSet. Only when the run acts. A failed write is a warning,
// never fatal.
import type { ClusterWriter } from '../cluster/cluster-writer.ts';
import { describeError } from '../cluster/api-errors.ts';
import type { Emit } from '../log/events.ts';
import type { MultusPodFacts } from '../model.ts';
import { repairEventSpec, type RepairTotals } from './repair-totals.ts';

export interface EventSpecLite {
  reason: string;
  type: 'Normal' | 'Warning';
  action: string;
  note: string;
}

export async function daemonSetEvent(writer: ClusterWriter, multusPods: readonly MultusPodFacts[], e: EventSpecLite,
  emit: Emit): Promise<void> {
  const pod = multusPods.find((p) => p.controller?.kind === 'DaemonSet') ?? multusPods[0];
  if (pod === undefined) return;
  const regarding = pod.controller?.kind === 'DaemonSet'
    ? { kind: 'DaemonSet', apiVersion: 'apps/v1', namespace: pod.namespace, name: pod.controller.name,
      uid: pod.controller.uid }
    : { kind: 'Pod', apiVersion: 'v1', namespace: pod.namespace, name: pod.name, uid: pod.uid };
  try {
    await writer.event({ regarding, reason: e.reason, type: e.type, action: e.action, note: e.note.slice(0, 1000) });
  } catch (err) {
    emit({ type: 'warning', message: `could not write the ${e.reason} Event (${describeError(err)})` });
  }
}

/** The repair's totals: in the log, and as the run's closing Event on the DaemonSet. */
export async function repairEvent(writer: ClusterWriter, multusPods: readonly MultusPodFacts[], totals: RepairTotals,
  emit: Emit): Promise<void> {
  const spec = repairEventSpec(totals);
  emit({ type: 'repair-finished', message: spec.note });
  await daemonSetEvent(writer, multusPods, spec, emit);
}

/**
 * The pacing shortfall (plan/pacing.ts) made visible where operators look, every run until fixed: a Warning Event on
 * the Multus DaemonSet.
 */
export function pacingEvent(writer: ClusterWriter, multusPods: readonly MultusPodFacts[], note: string,
  emit: Emit): Promise<void> {
  return daemonSetEvent(writer, multusPods, { reason: 'MultusTokenRotationCannotKeepUp', type: 'Warning',
    action: 'Plan', note }, emit);
}
