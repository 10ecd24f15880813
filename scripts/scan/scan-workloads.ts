// Scan, phase 2: the workload pods on the nodes that may be acted on, and every PodDisruptionBudget. One paginated
// list of pods for the whole cluster (not a request per node); each page is reduced to facts at once, keeping only
// pods on the wanted nodes, so memory stays small on large clusters.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { PdbFacts, PodFacts } from '../model.ts';
import { toPdbFacts, toPodFacts } from './to-facts.ts';

export interface WorkloadsScan {
  pods: PodFacts[];
  pdbs: PdbFacts[];
}

export async function scanWorkloads(reader: ClusterReader, nodes: ReadonlySet<string>,
  excludeUids: ReadonlySet<string>): Promise<WorkloadsScan> {
  if (nodes.size === 0) return { pods: [], pdbs: [] };
  const pods: PodFacts[] = [];
  const [, pdbs] = await Promise.all([
    reader.listPods({ fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' }, (page, restarted) => {
      if (restarted) pods.length = 0;
      for (const p of page) {
        const node = p.spec?.nodeName;
        if (node && nodes.has(node) && !excludeUids.has(p.metadata?.uid ?? '')) pods.push(toPodFacts(p));
      }
    }),
    reader.listPdbs(),
  ]);
  return { pods, pdbs: pdbs.map(toPdbFacts) };
}
