// Small factories for realistic pipeline values. Each takes overrides; the defaults describe an ordinary pod, budget
// or node that nothing objects to.
import { planPods, type PodsInput } from '../../scripts/plan/plan-pods.ts';
import { type PlanConfig, selectNodes, type SelectionInput } from '../../scripts/plan/select-nodes.ts';
import type { MultusPodFacts, NodeFacts, NodeFinding, PdbFacts, PodFacts, RestartPlan,
  RunInfo } from '../../scripts/model.ts';

/** 2025-06-01T00:00:00Z. */
export const NOW = Date.UTC(2025, 5, 1);
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** What the planner's two steps take: the classified nodes, then the pods of the nodes selected. */
export type PlanInput = SelectionInput & PodsInput;

/** The plan as a run makes it: the nodes selected (plan/select-nodes.ts), then their pods judged (plan/plan-pods.ts). */
export function planOf(input: PlanInput): RestartPlan {
  return planPods(selectNodes(input), input);
}

/** The planner's part of the config, at the defaults. */
export const PLAN_CONFIG: PlanConfig = {
  maxNodes: 10,
  dependents: 'secondary-networks',
  allowLocalStorage: false,
  optOutAnnotation: 'multus-token-rotator.io/skip',
  restartKinds: ['ReplicaSet', 'StatefulSet'],
  expiringWithinMs: 24 * 3_600_000,
  scheduleIntervalMs: 3_600_000,
};

let seq = 0;
function uid(prefix: string): string {
  seq += 1;
  return `${prefix}-${String(seq).padStart(8, '0')}`;
}

/** A ready ReplicaSet pod on node-a that attaches a secondary network. */
export function makePod(overrides: Partial<PodFacts> = {}): PodFacts {
  const name = overrides.name ?? 'web-7d9f8b6c5-abcde';
  return {
    namespace: 'default',
    name,
    uid: uid('pod'),
    nodeName: 'node-a',
    phase: 'Running',
    ready: true,
    labels: { app: 'web' },
    annotations: { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' },
    hostNetwork: false,
    controller: { kind: 'ReplicaSet', name: 'web-7d9f8b6c5', uid: 'rs-web' },
    volumes: [{ name: 'kube-api-access-x1y2z', kind: 'other' }],
    deleting: false,
    ...overrides,
  };
}

/** An observed budget in `default` selecting app=web with one disruption to spare. */
export function makePdb(overrides: Partial<PdbFacts> = {}): PdbFacts {
  return {
    namespace: 'default',
    name: 'web',
    selector: { matchLabels: { app: 'web' } },
    generation: 1,
    observedGeneration: 1,
    disruptionsAllowed: 1,
    currentHealthy: 3,
    desiredHealthy: 2,
    expectedPods: 3,
    ...overrides,
  };
}

/** An expired token on node-a; timeLeftMs follows `expiresAt` unless given. */
export function makeFinding(overrides: Partial<NodeFinding> = {}): NodeFinding {
  const node = overrides.node ?? 'node-a';
  const expiresAt = 'expiresAt' in overrides ? overrides.expiresAt : NOW - HOUR;
  return {
    node,
    multusPod: { namespace: 'kube-system', name: `kube-multus-ds-${node}`, uid: `multus-${node}` },
    class: 'expired',
    reason: 'the token expired 1h ago',
    fingerprint: '0123456789ab',
    expiresAt,
    timeLeftMs: expiresAt === undefined ? undefined : expiresAt - NOW,
    readVia: 'exec',
    ...overrides,
  };
}

export function makeNode(overrides: Partial<NodeFacts> = {}): NodeFacts {
  const name = overrides.name ?? 'node-a';
  return { name, uid: `node-uid-${name}`, ready: true, unschedulable: false, ...overrides };
}

/** Nodes by name, the form the scan gives them in (scan/scan-nodes.ts). */
export function nodeMap(...nodes: NodeFacts[]): Map<string, NodeFacts> {
  return new Map(nodes.map((n) => [n.name, n]));
}

/** The Multus pod of `makeFinding({ node })`, controlled by its DaemonSet. */
export function makeMultusPod(node: string, overrides: Partial<MultusPodFacts> = {}): MultusPodFacts {
  return {
    namespace: 'kube-system',
    name: `kube-multus-ds-${node}`,
    uid: `multus-${node}`,
    nodeName: node,
    mode: 'thin',
    controller: { kind: 'DaemonSet', name: 'kube-multus-ds', uid: 'ds-multus' },
    serviceAccountName: 'multus',
    ...overrides,
  };
}

export function makePlan(overrides: Partial<RestartPlan> = {}): RestartPlan {
  return { createdAt: NOW, steps: [], deferred: [], skipped: [], advisories: [], ...overrides };
}

export function makeRun(overrides: Partial<RunInfo> = {}): RunInfo {
  return {
    startedAt: NOW,
    finishedAt: NOW + 5_000,
    mode: 'dry-run',
    via: 'in-cluster',
    exitCode: 3,
    outcome: 'attention',
    ...overrides,
  };
}
