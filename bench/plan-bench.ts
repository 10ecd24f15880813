// Times the planner (selectNodes, then planPods) on a synthetic 5,000-node, 150,000-pod cluster with PodDisruptionBudgets.
// Run: node_modules/.bin/node bench/plan-bench.ts [runs]. No assertions: it prints figures.
import { planPods, type PodsInput } from '../scripts/plan/plan-pods.ts';
import { selectNodes, type SelectionInput } from '../scripts/plan/select-nodes.ts';
import type { MultusPodFacts, NodeFacts, NodeFinding, PdbFacts, PodFacts, TokenClass } from '../scripts/model.ts';

const NODES = 5_000;
const PODS = 150_000;
const NAMESPACES = 200;
const APPS_PER_NAMESPACE = 25;
const NOW = Date.UTC(2025, 5, 1);
const S = Math.floor(NOW / 1000);
const runs = Number(process.argv[2] ?? 7);

function nodeName(i: number): string {
  return `worker-${String(i).padStart(5, '0')}`;
}

function classOf(i: number): TokenClass {
  if (i % 10 === 0) return 'expired';
  if (i % 10 === 1) return 'expiring';
  if (i % 97 === 0) return 'invalid';
  if (i % 89 === 0) return 'unreadable';
  return 'healthy';
}

const nodes: NodeFacts[] = [];
const multusPods: MultusPodFacts[] = [];
const findings: NodeFinding[] = [];
for (let i = 0; i < NODES; i++) {
  const node = nodeName(i);
  const cls = classOf(i);
  nodes.push({ name: node, uid: `node-${i}`, ready: i % 500 !== 7, unschedulable: false });
  const multusPod = { namespace: 'kube-system', name: `kube-multus-ds-${i}`, uid: `multus-${i}` };
  multusPods.push({
    ...multusPod,
    nodeName: node,
    mode: 'thin',
    controller: { kind: 'DaemonSet', name: 'kube-multus-ds', uid: 'ds' },
    serviceAccountName: 'multus',
  });
  const expiresAt = (cls === 'expired' ? S - (i % 3600) : cls === 'expiring' ? S + (i % 7200) : S + 200 * 86_400) *
    1000;
  findings.push({ node, multusPod, class: cls, reason: `${cls} token`, fingerprint: i.toString(16).padStart(12, '0'),
    expiresAt, timeLeftMs: expiresAt - NOW, readVia: 'exec' });
}

const pods: PodFacts[] = [];
for (let i = 0; i < PODS; i++) {
  const ns = `team-${i % NAMESPACES}`;
  const app = `app-${Math.floor(i / NAMESPACES) % APPS_PER_NAMESPACE}`;
  pods.push({
    namespace: ns,
    name: `${app}-${i.toString(36)}`,
    uid: `pod-${i}`,
    nodeName: nodeName((i * 7919) % NODES),
    phase: 'Running',
    ready: i % 50 !== 0,
    labels: { app, 'pod-template-hash': 'abc123' },
    annotations: i % 3 === 0 ? {} : { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' },
    hostNetwork: i % 101 === 0,
    controller: i % 211 === 0 ? undefined
      : { kind: i % 13 === 0 ? 'StatefulSet' : 'ReplicaSet', name: app, uid: `rs-${app}` },
    volumes: i % 17 === 0 ? [{ name: 'cache', kind: 'emptyDir' }] : [{ name: 'token', kind: 'other' }],
    deleting: false,
  });
}

const pdbs: PdbFacts[] = [];
for (let n = 0; n < NAMESPACES; n++) {
  for (let a = 0; a < APPS_PER_NAMESPACE; a += 2) {
    pdbs.push({
      namespace: `team-${n}`,
      name: `app-${a}`,
      selector: a % 6 === 0 ? { matchExpressions: [{ key: 'app', operator: 'In', values: [`app-${a}`] }] }
        : { matchLabels: { app: `app-${a}` } },
      generation: 2,
      observedGeneration: a % 10 === 4 ? 1 : 2,
      disruptionsAllowed: a % 4 === 0 ? 0 : 1,
      currentHealthy: 30,
      desiredHealthy: 29,
      expectedPods: 30,
    });
  }
}

const input: SelectionInput & PodsInput = {
  findings,
  pods,
  pdbs,
  nodes: new Map(nodes.map((n) => [n.name, n])),
  multusPods,
  config: { maxNodes: 10, dependents: 'secondary-networks', allowLocalStorage: false,
    optOutAnnotation: 'multus-token-rotator.io/skip', restartKinds: ['ReplicaSet', 'StatefulSet'],
    expiringWithinMs: 86_400_000, scheduleIntervalMs: 3_600_000 },
  now: NOW,
};

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
const heapBefore = process.memoryUsage().heapUsed;

function measure(label: string, inp: SelectionInput & PodsInput): void {
  const times: number[] = [];
  let steps = 0;
  let verdicts = 0;
  let deferred = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const plan = planPods(selectNodes(inp), inp);
    times.push(performance.now() - t0);
    steps = plan.steps.length;
    verdicts = plan.steps.reduce((n, s) => n + s.pods.length, 0);
    deferred = plan.deferred.length;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  const min = times[0] ?? Number.NaN;
  const max = times.at(-1) ?? Number.NaN;
  console.log(
    `${label}: median ${median.toFixed(1)} ms (min ${min.toFixed(1)}, max ${max.toFixed(1)}, ${runs} runs); ` +
      `${steps} steps, ${verdicts} pod verdicts, ${deferred} deferred`,
  );
}

console.log(
  `input: ${NODES} nodes, ${PODS} pods, ${pdbs.length} PDBs, ${
    findings.filter((f) => ['invalid', 'expired', 'expiring'].includes(f.class)).length
  } actionable nodes`,
);
measure('maxNodes=10   ', input);
measure('maxNodes=5000 ', { ...input, config: { ...input.config, maxNodes: NODES } });
measure('dependents=all, maxNodes=5000', { ...input, config: { ...input.config, maxNodes: NODES, dependents: 'all' } });
const mem = process.memoryUsage();
console.log(
  `heap used: ${mib(heapBefore)} with the input built, ${mib(mem.heapUsed)} after the runs ` +
    `(heap total ${mib(mem.heapTotal)}, rss ${mib(mem.rss)}; no forced GC, so the second figure includes garbage)`,
);
