// The planner's first step: which nodes this run acts on, from the classified nodes alone. Which nodes get a step
// (broken ones all, preventive ones up to --max-nodes, healthy ones pacing pulls forward), which are deferred and
// why, which are skipped, and where earlier runs left work to finish: none of it depends on the workload pods, so it
// is decided before they are listed, and only these nodes' pods are listed (plan/plan-pods.ts judges them). Pure and
// deterministic: the same input gives the same selection.
import type { Config } from '../config/config.ts';
import type { LeftNode, LeftWorkVerdict, Millis, MultusPodFacts, NodeDeferral, NodeFacts, NodeFinding, PacingSummary,
  TokenClass } from '../model.ts';
import { ACTIONABLE_CLASSES } from '../model.ts';
import { sortLeftWork } from './finish-steps.ts';
import { pace, type PacingOptions } from './pacing.ts';
import { shortLifetimeRefusal } from './short-lifetime.ts';
import { formatInstant } from '../shared/time-format.ts';

export type PlanConfig = Pick<Config,
  'maxNodes' | 'dependents' | 'allowLocalStorage' | 'optOutAnnotation' | 'restartKinds' | 'expiringWithinMs'
    | 'scheduleIntervalMs'>;

export interface SelectionInput {
  findings: readonly NodeFinding[];
  /** When given, authoritative: a node missing from it, or NotReady, is deferred. */
  nodes?: ReadonlyMap<string, NodeFacts>;
  /**
   * The scanned Multus pods (the scan's nodes, n => n.multusPod). When given, a finding whose Multus pod is not
   * in it, or is not controlled by a DaemonSet, is deferred: restarting it would not bring it back.
   */
  multusPods?: readonly MultusPodFacts[];
  config: PlanConfig;
  now: Millis;
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

/** A node that gets a rotation step: its Multus pod is restarted. */
export interface Rotation {
  finding: NodeFinding;
  /** Set when pacing pulled this healthy node forward: the step's reason says so. */
  pacedReason?: string;
  /** Runs in a row this node's step failed (> 0 only). */
  failedRuns?: number;
}

/** What the planner decided before looking at any pod; plan/plan-pods.ts completes it into the plan. */
export interface NodeSelection {
  createdAt: Millis;
  config: PlanConfig;
  nodes?: ReadonlyMap<string, NodeFacts>;
  /** The rotation steps, in plan order. */
  rotations: Rotation[];
  /** Healthy nodes where an earlier run left dependents: a finish step each if some are still there. */
  finishCandidates: ReadonlyMap<string, { finding: NodeFinding; left: LeftNode }>;
  /** The left work of the other nodes (in this run's rotation, waiting, dropped). */
  leftVerdicts: LeftWorkVerdict[];
  deferred: NodeDeferral[];
  /** Nodes that need nothing; a node pulled forward by pacing is not among them, a node finished may still be. */
  skipped: NodeDeferral[];
  /** Every broken node found, planned or not. */
  broken: string[];
  advisories: string[];
  pacing?: PacingSummary;
  /** The nodes whose pods the plan judges: the rotated nodes and the finish candidates. Only theirs are listed. */
  podNodes: ReadonlySet<string>;
}

const ACTIONABLE: ReadonlySet<TokenClass> = new Set(ACTIONABLE_CLASSES);
const URGENT: ReadonlySet<TokenClass> = new Set<TokenClass>(['invalid', 'expired']);

export function cmp(a: string, b: string): number {
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
  config: PlanConfig,
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

export function selectNodes(input: SelectionInput): NodeSelection {
  const { config, nodes } = input;
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
      deferred.push({
        ...defer(f, `cap of ${config.maxNodes} preventive rotations per run reached${capNote}`, '--max-nodes'),
        cause: 'cap',
      });
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
  const rotations = chosen.map((finding): Rotation => {
    const r: Rotation = { finding };
    if (paced.has(finding.node) && pacing !== undefined) {
      r.pacedReason = `paced ahead of --expiring-within: ${finding.reason}; ${pacing.tokens} token(s) of the fleet ` +
        `expire by ${
          formatInstant(pacing.lastExpiry ?? 0, 'minutes')
        } and a run rotates at most ${pacing.capacityPerRun} ` +
        `(${pacing.limitedBy}), so this run takes the ${pacing.dueThisRun} that expire first`;
    }
    const streak = failedRuns?.get(finding.node) ?? 0;
    if (streak > 0) r.failedRuns = streak;
    return r;
  });

  // Work earlier runs left on nodes this run does not rotate (./finish-steps.ts).
  const left = input.leftWork === undefined || input.leftWork.size === 0 ? undefined
    : sortLeftWork({ leftWork: input.leftWork, findings: input.findings, planned, dependents: config.dependents });
  const finishCandidates = left?.candidates ?? new Map<string, { finding: NodeFinding; left: LeftNode }>();

  const selection: NodeSelection = {
    createdAt: input.now,
    config,
    ...(nodes === undefined ? {} : { nodes }),
    rotations,
    finishCandidates,
    leftVerdicts: left?.verdicts ?? [],
    deferred,
    skipped: paced.size === 0 ? skipped : skipped.filter((d) => !paced.has(d.node)),
    broken: input.findings.filter(isBroken).map((f) => f.node).sort(cmp),
    advisories: [...(input.advisories ?? []), ...(pacing?.warning === undefined ? [] : [pacing.warning])],
    podNodes: new Set([...planned, ...finishCandidates.keys()]),
  };
  if (pacing !== undefined) selection.pacing = { ...pacing, pulledForward: paced.size };
  return selection;
}
