// The planner's second step: the nodes plan/select-nodes.ts chose, completed with a verdict for every dependent pod
// on them (the pods of those nodes only: the run lists no others), finish steps where left pods are still there, and
// the limits on evictions. Which nodes get a rotation step is not changed here. Pure and deterministic.
import type { LeftWorkVerdict, NodeStep, PdbFacts, PodFacts, RestartPlan, StatefulSetFacts } from '../model.ts';
import { applyEvictLimits } from './evict-limits.ts';
import { finishStep } from './finish-steps.ts';
import { outageVerdicts } from './outage-verdicts.ts';
import { isDependent, podVerdict } from './pod-filters.ts';
import { cmp, isBroken, type NodeSelection } from './select-nodes.ts';

export interface PodsInput {
  /** Workload pods; only those on the selection's podNodes are looked at. */
  pods: readonly PodFacts[];
  pdbs: readonly PdbFacts[];
  /**
   * The StatefulSets of the pods (scan/statefulsets.ts). When given, a StatefulSet pod is restarted only if it would
   * come back from the revision it runs (plan/statefulset-revision.ts).
   */
  statefulSets?: readonly StatefulSetFacts[];
}

export function planPods(selection: NodeSelection, input: PodsInput): RestartPlan {
  const { config, nodes } = selection;
  // One pass over the pods, keeping only those on the selected nodes; budgets grouped by namespace once.
  const podsByNode = new Map<string, PodFacts[]>();
  for (const node of selection.podNodes) {
    podsByNode.set(node, []);
  }
  if (podsByNode.size > 0) {
    for (const pod of input.pods) {
      podsByNode.get(pod.nodeName)?.push(pod);
    }
  }
  const pdbsByNamespace = new Map<string, PdbFacts[]>();
  for (const pdb of input.pdbs) {
    const list = pdbsByNamespace.get(pdb.namespace);
    if (list === undefined) {
      pdbsByNamespace.set(pdb.namespace, [pdb]);
    } else {
      list.push(pdb);
    }
  }
  const noBudgets: PdbFacts[] = [];
  const statefulSets = input.statefulSets === undefined ? undefined
    : new Map(input.statefulSets.map((s) => [s.uid, s]));

  const verdictOf = (p: PodFacts) =>
    podVerdict(p, { config, pdbs: pdbsByNamespace.get(p.namespace) ?? noBudgets, ...(nodes ? { nodes } : {}),
      ...(statefulSets ? { statefulSets } : {}) });
  const steps: NodeStep[] = selection.rotations.map(({ finding: f, pacedReason, failedRuns }) => {
    const onNode = (podsByNode.get(f.node) ?? []).filter((p) => p.uid !== f.multusPod.uid);
    const dependents: PodFacts[] = [];
    let others = 0;
    for (const p of onNode) {
      if (isDependent(p, config.dependents)) {
        dependents.push(p);
      } else {
        others += 1;
      }
    }
    dependents.sort((a, b) => cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.uid, b.uid));
    const step: NodeStep = {
      node: f.node,
      class: f.class,
      reason: pacedReason ?? f.reason,
      multusPod: { namespace: f.multusPod.namespace, name: f.multusPod.name, uid: f.multusPod.uid },
      pods: dependents.map(verdictOf),
      nonDependentPods: others,
    };
    if (f.expiresAt !== undefined) {
      step.expiresAt = f.expiresAt;
    }
    if (isBroken(f)) {
      step.repair = true;
      step.outage = outageVerdicts(onNode);
    }
    if (failedRuns !== undefined) step.failedRuns = failedRuns;
    if (pacedReason !== undefined) step.paced = true;
    return step;
  });

  // Finish steps after the rotations: the cap of nodes whose workloads are evicted counts them last.
  const leftWork: LeftWorkVerdict[] = [...selection.leftVerdicts];
  for (const [node, c] of selection.finishCandidates) {
    const r = finishStep(c.finding, c.left, podsByNode.get(node) ?? [], config.dependents, verdictOf);
    if (r.step) steps.push(r.step);
    leftWork.push(r.verdict);
  }
  const finishing = new Set(steps.filter((s) => s.finish).map((s) => s.node));

  const broken = [...selection.broken];
  applyEvictLimits({ steps, maxNodes: config.maxNodes, broken, ...(nodes ? { nodes } : {}),
    pods: new Map([...podsByNode.values()].flat().map((p) => [p.uid, p])) });
  const plan: RestartPlan = { createdAt: selection.createdAt, steps, deferred: [...selection.deferred],
    advisories: [...selection.advisories], broken,
    skipped: finishing.size === 0 ? [...selection.skipped] : selection.skipped.filter((d) => !finishing.has(d.node)) };
  if (leftWork.length > 0) plan.leftWork = leftWork.sort((a, b) => cmp(a.node, b.node));
  if (selection.pacing !== undefined) plan.pacing = { ...selection.pacing };
  return plan;
}
