// Scan, phase 2: the workload pods on the nodes the plan acts on, and every PodDisruptionBudget. For a few nodes (a
// CronJob run at --max-nodes 10), one list per node by spec.nodeName (the API server's watch cache indexes it): a few
// small answers instead of every pod of the cluster. For many nodes, one paginated list of the whole cluster (read
// as plain JSON, cluster/raw-list.ts); each page is reduced to facts at once, keeping only pods on the wanted nodes,
// so memory stays small on large clusters.
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { PdbFacts, PodFacts } from '../model.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { toPdbFacts, toPodFacts } from './to-facts.ts';

export interface WorkloadsScan {
  pods: PodFacts[];
  pdbs: PdbFacts[];
}

const NOT_FINISHED = 'status.phase!=Succeeded,status.phase!=Failed';
/** Up to this many nodes, one list per node; above, one list of the whole cluster. */
export const PER_NODE_LISTS_UP_TO = 32;

/** Lists every unfinished pod and every budget, keeping the facts of pods on nodes `keep` accepts. */
export async function listWorkloads(reader: ClusterReader, keep: (node: string) => boolean): Promise<WorkloadsScan> {
  const pods: PodFacts[] = [];
  const [, pdbs] = await Promise.all([
    reader.listPods({ fieldSelector: NOT_FINISHED }, (page, restarted) => {
      if (restarted) pods.length = 0;
      for (const p of page) {
        const node = p.spec?.nodeName;
        if (node && keep(node)) pods.push(toPodFacts(p));
      }
    }),
    reader.listPdbs(),
  ]);
  return { pods, pdbs: pdbs.map(toPdbFacts) };
}

/** The workloads on `nodes` (the plan's nodes), Multus pods (`excludeUids`) left out. */
export async function scanWorkloads(reader: ClusterReader, nodes: ReadonlySet<string>,
  excludeUids: ReadonlySet<string>): Promise<WorkloadsScan> {
  if (nodes.size === 0) return { pods: [], pdbs: [] };
  if (nodes.size > PER_NODE_LISTS_UP_TO) {
    return narrowWorkloads(await listWorkloads(reader, (node) => nodes.has(node)), nodes, excludeUids);
  }
  const [perNode, pdbs] = await Promise.all([
    mapLimit([...nodes].sort(), 8, async (node) => {
      const kept: PodFacts[] = [];
      await reader.listPods({ fieldSelector: `spec.nodeName=${node},${NOT_FINISHED}` }, (page, restarted) => {
        if (restarted) kept.length = 0;
        for (const p of page) {
          if (p.spec?.nodeName === node && !excludeUids.has(p.metadata?.uid ?? '')) kept.push(toPodFacts(p));
        }
      });
      return kept;
    }),
    reader.listPdbs(),
  ]);
  return { pods: perNode.flat(), pdbs: pdbs.map(toPdbFacts) };
}

/** A list kept for more nodes (started before the plan's nodes were known), narrowed to `nodes`. */
export function narrowWorkloads(scan: WorkloadsScan, nodes: ReadonlySet<string>,
  excludeUids: ReadonlySet<string>): WorkloadsScan {
  return { pods: scan.pods.filter((p) => nodes.has(p.nodeName) && !excludeUids.has(p.uid)), pdbs: scan.pdbs };
}
