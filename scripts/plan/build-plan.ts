// Classified nodes + pods + budgets + config + now → an ordered, capped list of node steps, each with a verdict for
// every dependent pod on the node. Pure and deterministic: the same input gives the same plan.
import type { Config } from '../config/config.ts';
import type { LeftNode, LeftWorkVerdict, MultusPodFacts, NodeDeferral, NodeFacts, NodeFinding, NodeStep, PdbFacts,
  PodFacts, RestartPlan, StatefulSetFacts, TokenClass } from '../model.ts';
import { ACTIONABLE_CLASSES } from '../model.ts';
import { applyEvictLimits } from './evict-limits.ts';
import { finishStep, sortLeftWork } from './finish-steps.ts';
import { outageVerdicts } from './outage-verdicts.ts';
import { pace, type PacingOptions } from './pacing.ts';
import { isDependent, podVerdict } from './pod-filters.ts';
import { shortLifetimeRefusal } from './short-lifetime.ts';
import { formatInstant } from '../shared/time-format.ts';

export interface PlanInput {
  findings: readonly NodeFinding[];
  /** Workload pods; only those on planned nodes are looked at. */
  pods: readonly PodFacts[];
  pdbs: readonly PdbFacts[];
  /** When given, authoritative: a node missing from it, or NotReady, is deferred. */
  nodes?: readonly NodeFacts[];
  /**
   * The scanned Multus pods (the scan's nodes, n => n.multusPod). When given, a finding whose Multus pod is not
   * in it, or is not controlled by a DaemonSet, is deferred: restarting it would not bring it back.
   */
  multusPods?: readonly MultusPodFacts[];
  /**
   * The StatefulSets of the pods (scan/statefulsets.ts). When given, a StatefulSet pod is restarted only if it would
   * come back from the revision it runs (plan/statefulset-revision.ts).
   */
  statefulSets?: readonly StatefulSetFacts[];
  config: Pick<Config,
    'maxNodes' | 'dependents' | 'allowLocalStorage' | 'optOutAnnotation' | 'restartKinds' | 'expiringWithinMs'
      | 'scheduleIntervalMs'>;
  now: number;
  advisories?: readonly string[];
  /**
   * Pace the fleet from its expiry dates (scripts/plan/pacing.ts): healthy nodes whose tokens expire first are added
   * to this run when later runs could not otherwise rotate every token in time. Without it, only invalid, expired and
   * expiring nodes are planned (up to --max-nodes).
   */
  pacing?: PacingOptions;
  /** Runs in a row each node's step failed (the previous summary): such nodes go after the rest. */
  failedRuns?: ReadonlyMap<string, number>;
  /** The dependents earlier runs left (the previous summary): finished once the node's token is healthy. */
  leftWork?: ReadonlyMap<string, LeftNode>;
}

const ACTIONABLE: ReadonlySet<TokenClass> = new Set(ACTIONABLE_CLASSES);
const URGENT: ReadonlySet<TokenClass> = new Set<TokenClass>(['invalid', 'expired']);

const isoMinute = (ms: number): string => formatInstant(ms, 'minutes');

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether the node is broken: its token is already rejected, so restarting its Multus pod disrupts nothing more. */
export function isBroken(f: Pick<NodeFinding, 'class'>): boolean {
  return URGENT.has(f.class);
}

/**
 * invalid and expired first, then expiring; within each, nodes that failed in earlier runs last (fewest failures
 * first), then exp ascending (none first), then node, then Multus pod.
 */
export function compareFindings(a: NodeFinding, b: NodeFinding, failedRuns?: ReadonlyMap<string, number>): number {
  const ga = URGENT.has(a.class) ? 0 : 1;
  const gb = URGENT.has(b.class) ? 0 : 1;
  if (ga !== gb) {
    return ga - gb;
  }
  const fa = failedRuns?.get(a.node) ?? 0;
  const fb = failedRuns?.get(b.node) ?? 0;
  if (fa !== fb) {
    return fa - fb;
  }
  const ea = a.expiresAt ?? Number.NEGATIVE_INFINITY;
  const eb = b.expiresAt ?? Number.NEGATIVE_INFINITY;
  if (ea !== eb) {
    return ea < eb ? -1 : 1;
  }
  return cmp(a.node, b.node) || cmp(a.multusPod.name, b.multusPod.name) || cmp(a.multusPod.uid, b.multusPod.uid);
}

function defer(f: NodeFinding, reason: string, override?: string): NodeDeferral {
  const d: NodeDeferral = { node: f.node, class: f.class, reason };
  if (override !== undefined) {
    d.override = override;
  }
  return d;
}

/** Why an actionable node cannot be acted on this run regardless of the cap (and the flag that changes it), or undefined. */
function blocker(
  f: NodeFinding,
  nodes: ReadonlyMap<string, NodeFacts> | undefined,
  multus: ReadonlyMap<string, MultusPodFacts> | undefined,
  config: PlanInput['config'],
): { reason: string; override?: string } | undefined {
  if (nodes !== undefined) {
    const node = nodes.get(f.node);
    if (node === undefined) {
      return { reason: `node ${f.node} was not found; nothing is restarted on a node that may be gone` };
    }
    if (!node.ready) {
      return { reason: `node ${f.node} is NotReady; its pods could not start again until it recovers` };
    }
  }
  if (multus !== undefined) {
    const pod = multus.get(f.multusPod.uid);
    const id = `${f.multusPod.namespace}/${f.multusPod.name}`;
    if (pod === undefined) {
      return { reason: `the Multus pod ${id} was not among the scanned pods, so its controller is unknown` };
    }
    if (pod.controller?.kind !== 'DaemonSet') {
      const owner = pod.controller === undefined ? 'no controller' : `a ${pod.controller.kind} controller`;
      return {
        reason:
          `the Multus pod ${id} has ${owner}, not a DaemonSet, so it would not come back if deleted; restart it by hand`,
      };
    }
  }
  return shortLifetimeRefusal(f, { expiringWithinMs: config.expiringWithinMs, intervalMs: config.scheduleIntervalMs });
}

export function buildPlan(input: PlanInput): RestartPlan {
  const { config } = input;
  const nodes = input.nodes === undefined ? undefined : new Map(input.nodes.map((n) => [n.name, n]));
  const multus = input.multusPods === undefined ? undefined : new Map(input.multusPods.map((p) => [p.uid, p]));

  const actionable: NodeFinding[] = [];
  const skipped: NodeDeferral[] = [];
  for (const f of input.findings) {
    if (ACTIONABLE.has(f.class)) {
      actionable.push(f);
    } else if (f.class === 'unreadable') {
      skipped.push(defer(f, `${f.reason}; nothing is restarted on a guess`));
    } else {
      skipped.push(defer(f, f.reason));
    }
  }
  const failedRuns = input.failedRuns;
  actionable.sort((a, b) => compareFindings(a, b, failedRuns));
  skipped.sort((a, b) => cmp(a.node, b.node) || cmp(a.class, b.class) || cmp(a.reason, b.reason));

  const chosen: NodeFinding[] = [];
  const deferred: NodeDeferral[] = [];
  const planned = new Set<string>();
  // Broken nodes are all repaired in this run, and nodes whose grant is too short for the cadence are never restarted
  // (./short-lifetime.ts): pacing spreads only the preventive rotations, so neither pulls healthy nodes forward.
  const cadence = { expiringWithinMs: config.expiringWithinMs, intervalMs: config.scheduleIntervalMs };
  const pacing = input.pacing === undefined ? undefined
    : pace(input.findings.filter((f) => !isBroken(f) && shortLifetimeRefusal(f, cadence) === undefined), input.now,
      input.pacing);
  let preventive = 0;
  const capNote = pacing?.warning === undefined ? ''
    : `; pacing: ${pacing.shortfall} token(s) will expire before a run reaches them (see the plan's advisories)`;
  for (const f of actionable) {
    const why = blocker(f, nodes, multus, config);
    if (why !== undefined) {
      deferred.push(defer(f, why.reason, why.override));
    } else if (planned.has(f.node)) {
      deferred.push(defer(f, `node ${f.node} already has a step in this run (more than one Multus pod on it)`));
    } else if (!isBroken(f) && preventive >= config.maxNodes) {
      deferred.push(
        defer(f, `cap of ${config.maxNodes} preventive rotations per run reached${capNote}`, '--max-nodes'),
      );
    } else {
      chosen.push(f);
      planned.add(f.node);
      if (!isBroken(f)) preventive += 1;
    }
  }
  // Pacing: healthy tokens that expire first join this run when later runs could not rotate the fleet in time.
  const paced = new Set<string>();
  if (pacing !== undefined) {
    const target = Math.min(pacing.dueThisRun, config.maxNodes);
    const healthy = input.findings.filter((f) => f.class === 'healthy' && f.expiresAt !== undefined)
      .sort((a, b) => compareFindings(a, b, failedRuns));
    for (const f of healthy) {
      if (preventive >= target) break;
      if (planned.has(f.node) || blocker(f, nodes, multus, config) !== undefined) continue;
      chosen.push(f);
      planned.add(f.node);
      paced.add(f.node);
      preventive += 1;
    }
  }

  // Work earlier runs left on nodes this run does not rotate (./finish-steps.ts).
  const left = input.leftWork === undefined || input.leftWork.size === 0 ? undefined
    : sortLeftWork({ leftWork: input.leftWork, findings: input.findings, planned, dependents: config.dependents });

  // One pass over the pods, keeping only those on planned nodes; budgets grouped by namespace once.
  const podsByNode = new Map<string, PodFacts[]>();
  for (const node of [...planned, ...(left?.candidates.keys() ?? [])]) {
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
  const steps: NodeStep[] = chosen.map((f) => {
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
      reason: f.reason,
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
    const streak = failedRuns?.get(f.node) ?? 0;
    if (streak > 0) step.failedRuns = streak;
    if (paced.has(f.node) && pacing !== undefined) {
      step.paced = true;
      step.reason = `paced ahead of --expiring-within: ${f.reason}; ${pacing.tokens} token(s) of the fleet expire by ` +
        `${
          isoMinute(pacing.lastExpiry ?? 0)
        } and a run rotates at most ${pacing.capacityPerRun} (${pacing.limitedBy}), ` +
        `so this run takes the ${pacing.dueThisRun} that expire first`;
    }
    return step;
  });

  // Finish steps after the rotations: the cap of nodes whose workloads are evicted counts them last.
  const leftWork: LeftWorkVerdict[] = [...(left?.verdicts ?? [])];
  for (const [node, c] of left?.candidates ?? []) {
    const r = finishStep(c.finding, c.left, podsByNode.get(node) ?? [], config.dependents, verdictOf);
    if (r.step) steps.push(r.step);
    leftWork.push(r.verdict);
  }
  const finishing = new Set(steps.filter((s) => s.finish).map((s) => s.node));

  const broken = input.findings.filter(isBroken).map((f) => f.node).sort(cmp);
  applyEvictLimits({ steps, maxNodes: config.maxNodes, broken, ...(nodes ? { nodes } : {}),
    pods: new Map([...podsByNode.values()].flat().map((p) => [p.uid, p])) });
  const plan: RestartPlan = { createdAt: input.now, steps, deferred, advisories: [...(input.advisories ?? [])], broken,
    skipped: paced.size + finishing.size === 0 ? skipped
      : skipped.filter((d) => !paced.has(d.node) && !finishing.has(d.node)) };
  if (leftWork.length > 0) plan.leftWork = leftWork.sort((a, b) => cmp(a.node, b.node));
  if (pacing !== undefined) {
    plan.pacing = { ...pacing, pulledForward: paced.size };
    if (pacing.warning !== undefined) plan.advisories.push(pacing.warning);
  }
  return plan;
}
