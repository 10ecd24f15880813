// The pacing shortfall (scripts/plan/pacing.ts) made visible where operators look: a Warning Event on the Multus
// DaemonSet (report/daemonset-event.ts), every run until fixed. Only when the run acts: a dry run writes nothing but
// its summary. A failed write is a warning, never fatal.
import type { ClusterWriter } from '../cluster/cluster-writer.ts';
import type { Emit } from '../log/events.ts';
import type { MultusPodFacts } from '../model.ts';
import { daemonSetEvent } from '../report/daemonset-event.ts';

export function pacingEvent(writer: ClusterWriter, multusPods: readonly MultusPodFacts[], note: string,
  emit: Emit): Promise<void> {
  return daemonSetEvent(writer, multusPods, { reason: 'MultusTokenRotationCannotKeepUp', type: 'Warning',
    action: 'Plan', note }, emit);
}
