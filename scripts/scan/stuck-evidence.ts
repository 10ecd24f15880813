// Scan, phase 3 (only when a node is broken): which pods the rejected token keeps in ContainerCreating, from the
// kubelet's FailedCreatePodSandBox Events.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import { describeError } from '../cluster/api-errors.ts';
import type { Emit } from '../log/events.ts';
import type { NodeFinding, PodFacts } from '../model.ts';
import { isBroken } from '../plan/select-nodes.ts';
import { sandboxFailuresByPod, withSandboxFailures } from './sandbox-failures.ts';

/**
 * When a node is broken, which of its pods the rejected token keeps in ContainerCreating: the kubelet's
 * FailedCreatePodSandBox Events, one list by reason. Nothing is listed when no node is broken; a list that fails is a
 * warning (the pods are then not known to be stuck), never fatal.
 */
export async function stuckEvidence(reader: ClusterReader, pods: PodFacts[], findings: readonly NodeFinding[],
  warnings: string[], emit: Emit): Promise<PodFacts[]> {
  if (!reader.listSandboxFailures || !findings.some(isBroken) || !pods.some((p) => p.phase === 'Pending')) return pods;
  try {
    return withSandboxFailures(pods, sandboxFailuresByPod(await reader.listSandboxFailures()));
  } catch (err) {
    const message =
      `could not list FailedCreatePodSandBox Events (${describeError(err)}): pods stuck by the rejected ` +
      'token are not told apart; grant list on events (rbac.yaml)';
    warnings.push(message);
    emit({ type: 'warning', message });
    return pods;
  }
}
