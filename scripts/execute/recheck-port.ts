// What the executor asks of the earlier stages right before it acts, as a port: things change between the scan and
// the step, so a node is read and judged again before its Multus pod is deleted (and until its new token is proven),
// and a pod is judged again before it is evicted. The executor does not know how: run-once.ts builds the port from
// the scan's context (scripts/recheck.ts), and tests build it on the in-memory cluster.
import type { V1Pod } from '@kubernetes/client-node';
import type { NodeFinding, PdbFacts, PodVerdict } from '../model.ts';

export interface Recheck {
  /** Reads the node's file through `multusPod` (as it is now) and judges the token in it, as the scan did. */
  refindMultus(multusPod: V1Pod): Promise<NodeFinding>;
  /** The cluster's PodDisruptionBudgets, listed now: what `reverdictPod` judges against. */
  listPdbs(): Promise<PdbFacts[]>;
  /** Judges `pod` (as it is now) as the plan did, against `pdbs` as they are now. */
  reverdictPod(pod: V1Pod, pdbs: readonly PdbFacts[]): Promise<PodVerdict>;
}
