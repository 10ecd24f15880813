// The executor's re-check port (execute/recheck-port.ts), built on the scan's context: re-reading a node is the
// scan's read and the classifier's judgement; re-judging a pod is the plan's verdict, with its claims' volumes looked
// up again. One place where the executor's questions meet the scan, classify and plan stages.
import { classifyNode } from './classify/classify-node.ts';
import type { ClusterReader } from './cluster/cluster-reader.ts';
import type { Config } from './config/config.ts';
import type { Recheck } from './execute/recheck-port.ts';
import { podVerdict } from './plan/pod-filters.ts';
import { resolveClaimAffinity } from './scan/claim-affinity.ts';
import { scanMultusPod, type ScanContext } from './scan/scan-nodes.ts';
import { toPdbFacts, toPodFacts } from './scan/to-facts.ts';

export function recheckOn(reader: ClusterReader, config: Readonly<Config>, scan: ScanContext,
  now: () => number): Recheck {
  return {
    refindMultus: async (pod) => {
      const scanned = await scanMultusPod(reader, pod, config, scan, () => undefined);
      return classifyNode(scanned, { now: now(), expiringWithinMs: config.expiringWithinMs });
    },
    listPdbs: async () => (await reader.listPdbs()).map(toPdbFacts),
    reverdictPod: async (pod, pdbs) => {
      const facts = toPodFacts(pod);
      const [resolved] = await resolveClaimAffinity(reader, [facts], scan.nodeFacts);
      return podVerdict(resolved ?? facts, { config, pdbs, nodes: scan.nodeFacts });
    },
  };
}
