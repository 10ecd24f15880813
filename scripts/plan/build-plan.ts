// Classified nodes + pods + budgets + config + now → an ordered, capped list of node steps, each with a verdict for
// every dependent pod on the node. Pure and deterministic: the same input gives the same plan.
import type { Config } from '../config/config.ts';
import type { MultusPodFacts, NodeDeferral, NodeFacts, NodeFinding, NodeStep, PdbFacts, PodFacts, RestartPlan,
  StatefulSetFacts, TokenClass } from '../model.ts';
import { ACTIONABLE_CLASSES } from '../model.ts';
import { pace, type PacingOptions } from './pacing.ts';
import { isDependent, podVerdict } from './pod-filters.ts';
import { shortLifetimeRefusal } from './short-lifetime.ts';

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
}

const ACTIONABLE: ReadonlySet<TokenClass> = new Set(ACTIONABLE_CLASSES);
const URGENT: ReadonlySet<TokenClass> = new Set<TokenClass>(['invalid', 'expired']);

const isoMinute = (ms: number): string => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** invalid and expired first, then expiring; within each, exp ascending (none first), then node, then Multus pod. */
export function compareFindings(a: NodeFinding, b: NodeFinding): number {
  const ga = URGENT.has(a.class) ? 0 : 1;
  const gb = URGENT.has(b.class) ? 0 : 1;
  if (ga !== gb) {
    return ga - gb;
  }
  const ea = a.exp ?? Number.NEGATIVE_INFINITY;
  const eb = b.exp ?? Number.NEGATIVE_INFINITY;
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
  actionable.sort(compareFindings);
  skipped.sort((a, b) => cmp(a.node, b.node) || cmp(a.class, b.class) || cmp(a.reason, b.reason));

  const chosen: NodeFinding[] = [];
  const deferred: NodeDeferral[] = [];
  const planned = new Set<string>();
  // Nodes whose grant is too short for the cadence are never restarted (./short-lifetime.ts): pacing counts without
  // them, so that they do not pull healthy nodes forward in their place.
  const cadence = { expiringWithinMs: config.expiringWithinMs, intervalMs: config.scheduleIntervalMs };
  const pacing = input.pacing === undefined ? undefined
    : pace(input.findings.filter((f) => shortLifetimeRefusal(f, cadence) === undefined), input.now, input.pacing);
  const capNote = pacing?.warning === undefined ? ''
    : `; pacing: ${pacing.shortfall} token(s) will expire before a run reaches them (see the plan's advisories)`;
  for (const f of actionable) {
    const why = blocker(f, nodes, multus, config);
    if (why !== undefined) {
      deferred.push(defer(f, why.reason, why.override));
    } else if (planned.has(f.node)) {
      deferred.push(defer(f, `node ${f.node} already has a step in this run (more than one Multus pod on it)`));
    } else if (chosen.length >= config.maxNodes) {
      deferred.push(defer(f, `cap of ${config.maxNodes} nodes per run reached${capNote}`, '--max-nodes'));
    } else {
      chosen.push(f);
      planned.add(f.node);
    }
  }
  // Pacing: healthy tokens that expire first join this run when later runs could not rotate the fleet in time.
  const paced = new Set<string>();
  if (pacing !== undefined) {
    const target = Math.min(pacing.dueThisRun, config.maxNodes);
    const healthy = input.findings.filter((f) => f.class === 'healthy' && f.exp !== undefined).sort(compareFindings);
    for (const f of healthy) {
      if (chosen.length >= target) break;
      if (planned.has(f.node) || blocker(f, nodes, multus, config) !== undefined) continue;
      chosen.push(f);
      planned.add(f.node);
      paced.add(f.node);
    }
  }

  // One pass over the pods, keeping only those on planned nodes; budgets grouped by namespace once.
  const podsByNode = new Map<string, PodFacts[]>();
  for (const node of planned) {
    podsByNode.set(node, []);
  }
  if (planned.size > 0) {
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

  const steps: NodeStep[] = chosen.map((f) => {
    const dependents: PodFacts[] = [];
    let others = 0;
    for (const p of podsByNode.get(f.node) ?? []) {
      if (p.uid === f.multusPod.uid) {
        continue;
      }
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
      pods: dependents.map((p) =>
        podVerdict(p, { config, pdbs: pdbsByNamespace.get(p.namespace) ?? noBudgets, ...(nodes ? { nodes } : {}),
          ...(statefulSets ? { statefulSets } : {}) })
      ),
      nonDependentPods: others,
    };
    if (f.exp !== undefined) {
      step.exp = f.exp;
    }
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

  const plan: RestartPlan = { createdAt: input.now, steps, deferred, advisories: [...(input.advisories ?? [])],
    skipped: paced.size === 0 ? skipped : skipped.filter((d) => !paced.has(d.node)) };
  if (pacing !== undefined) {
    plan.pacing = { ...pacing, pulledForward: paced.size };
    if (pacing.warning !== undefined) plan.advisories.push(pacing.warning);
  }
  return plan;
}
