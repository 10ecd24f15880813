// A scale-mode local control plane for the benchmark: etcd and kube-apiserver (the same binaries as
// local-cluster/cluster.ts, with flags for scale), a FEW kwok processes that manage many nodes each (by label
// selector), and bare pods bound directly with spec.nodeName. No controller-manager and no scheduler: a dry run needs
// neither (the Multus pods are bare, owned by a DaemonSet object that no controller reconciles; budgets get their
// status written by this file). Each kwok runs in its own mount namespace that shows ONE directory at
// /host/etc/cni/net.d, so every node of a kwok group returns the same file (the group's first node's file, written
// here with a real TokenRequest token bound to that node's Multus pod). For every other node of the group the token
// is bound to a pod that is not that node's Multus pod: the rotator judges it `invalid`, so almost every node is
// actionable — the worst case for the workload scan and the plan.
//
// Bulk setup (the default): the Multus pods and the workload pods are written straight into etcd as JSON (the API
// server reads JSON and protobuf from storage alike; its watch cache picks them up), already Running and Ready with a
// pod IP, so kwok leaves them alone: 150,000 pods take minutes instead of over an hour through the API.
// Nodes, budgets, namespaces and the Multus objects still go through the API server.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api, type V1Node, type V1Pod } from '@kubernetes/client-node';
import YAML from 'yaml';
import { PORTS, apiserverArgs, applyYaml, etcdArgs, kwokCommand, kwokDocuments, nodeCniDir,
  writeKubeconfig } from '../local-cluster/cluster.ts';
import { removeClusterLeftovers } from '../local-cluster/cluster-scope.ts';
import { nodePort } from '../local-cluster/ports.ts';
import { multusKubeconfigText } from '../local-cluster/multus-kubeconfig.ts';
import { ensurePki } from '../local-cluster/pki.ts';
import { alive, readState, startProcess, stopProcesses, waitFor, writeState, type ClusterState,
  type ProcessRecord } from '../local-cluster/processes.ts';
import { mapLimit } from '../scripts/shared/map-limit.ts';
import { PooledKubeConfig } from '../scripts/cluster/pooled-kube-config.ts';
import { rawLister } from '../scripts/cluster/raw-list.ts';
import { type EntrypointSim, READY_GATE, startEntrypointSim } from './entrypoint-sim.ts';
import { KWOK_NODES_DIR, createPodExecs, cwdView, kwokWorkDir } from './per-node-files.ts';
import { makePodRealistic, realisticNode } from './realistic-objects.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

export interface ScaleOptions {
  root: string;
  nodes: number;
  podsPerNode: number;
  /** kwok processes; node i is managed by kwok (i % groups). */
  groups: number;
  namespaces: number;
  concurrency: number;
  log: (m: string) => void;
  /** Write pods straight into etcd (default); false: create them through the API server. */
  bulk?: boolean;
  /**
   * 'bare' (default): one bare Multus pod per node, written into etcd, owned by a DaemonSet nothing reconciles.
   * 'daemonset': the real DaemonSet controller (kube-controller-manager) and kube-scheduler run, and the Multus pods
   * are the DaemonSet's own; bench/entrypoint-sim.ts writes each new pod's node file (the outage bench).
   */
  multus?: 'bare' | 'daemonset';
  /** Nodes and pods the size a kubelet-managed cluster stores them (bench/realistic-objects.ts); default true. */
  realistic?: boolean;
  /**
   * Bare Multus pods: the lifetime asked for each node's token. 3607 (default): the API server extends it to a year,
   * as the kubelet's projected tokens — every node healthy. 7200: not extended, 2 h — every node `expiring`.
   */
  tokenSeconds?: number;
}

export interface ScaleCluster {
  root: string;
  kubeconfig: string;
  server: string;
  nodes: string[];
  groupOf: (i: number) => number;
  setup: Record<string, number>;
  bin: string;
  /** With multus: 'daemonset': the entrypoint simulator, still running (stop it before scaleDown). */
  entrypoint?: EntrypointSim;
}

export const benchNode = (i: number) => `bench-node-${String(i).padStart(5, '0')}`;
export const GROUP_LABEL = 'mtr-bench/kwok-group';
const NETWORKS = { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' };

function kwokConfig(data: string, kubeletTiming: boolean): string {
  // No heartbeat stage and no node leases: no node lifecycle controller runs, so nothing marks a node NotReady, and
  // 1,000 nodes heartbeating would put a steady background load on a 2-core API server that is not the rotator's.
  // A Multus pod becomes Ready only once its node's file is written (READY_GATE, set by entrypoint-sim.ts).
  // With kubeletTiming (the outage bench), a deleted pod goes as kwok's own "general" pod-delete stage has it: after
  // 1 s up to its grace period (a random point before deletionTimestamp), as a kubelet stops a container that does
  // not exit on SIGTERM at once — instead of at the instant the delete arrives.
  const gate =
    `((.metadata.labels // {}).app != "multus") or ((.metadata.annotations // {})["${READY_GATE}"] == "true")`;
  const stages = ['node-initialize.yaml', 'pod-ready.yaml', 'pod-complete.yaml', 'pod-delete.yaml'].map((f) => {
    const text = readFileSync(path.join(data, 'stage', f), 'utf8').trim();
    const doc = YAML.parse(text) as { spec: { selector: { matchExpressions: unknown[] }; delay?: unknown } };
    if (f === 'pod-ready.yaml') {
      doc.spec.selector.matchExpressions.push({ key: gate, operator: 'In', values: ['true'] });
    } else if (f === 'pod-delete.yaml' && kubeletTiming) {
      doc.spec.delay = { durationMilliseconds: 1000,
        jitterDurationFrom: { expressionFrom: '.metadata.deletionTimestamp' } };
    } else return text;
    return YAML.stringify(doc).trim();
  });
  return kwokDocuments(stages);
}

/**
 * The DaemonSet controller alone (no garbage collector for the bench's unreconciled owners, no node lifecycle), with
 * kube-controller-manager's and kube-scheduler's default client rate limits (20 and 50 requests/s), as kubeadm runs them.
 */
function controllerManagerArgs(root: string, pki: ReturnType<typeof ensurePki>, kubeconfig: string): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`, '--leader-elect=false', '--use-service-account-credentials=true',
    '--controllers=daemonset-controller', `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`, '--bind-address=127.0.0.1', `--secure-port=${PORTS.controllerManager}`,
    '--concurrent-daemonset-syncs=10', '--profiling=false', '--v=1'];
}

function schedulerArgs(kubeconfig: string): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`, '--leader-elect=false', '--bind-address=127.0.0.1',
    `--secure-port=${PORTS.scheduler}`, '--profiling=false', '--v=1'];
}

async function timed<T>(setup: Record<string, number>, key: string, log: (m: string) => void,
  fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const r = await fn();
  setup[key] = (Date.now() - t0) / 1000;
  log(`${key}: ${setup[key]?.toFixed(1)} s`);
  return r;
}

/** Counts every pod with a paginated raw list (limit 5000), reading only the item count of each page. */
async function countAll(kc: KubeConfig): Promise<number> {
  const raw = rawLister(kc);
  let n = 0;
  let cont: string | undefined;
  do {
    const page = await raw<unknown>('/api/v1/pods', { limit: 5000, continue: cont });
    n += page.items.length;
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return n;
}

/** Counts objects with a paginated list (limit 500), without keeping them. */
async function countPods(core: CoreV1Api, pred: (p: V1Pod) => boolean,
  opts: { namespace?: string; labelSelector?: string } = {}): Promise<{ all: number; matching: number }> {
  let cont: string | undefined;
  let all = 0;
  let matching = 0;
  do {
    const page = opts.namespace
      ? await core.listNamespacedPod({ namespace: opts.namespace, labelSelector: opts.labelSelector, limit: 500,
        _continue: cont })
      : await core.listPodForAllNamespaces({ labelSelector: opts.labelSelector, limit: 500, _continue: cont });
    for (const p of page.items) {
      all++;
      if (pred(p)) matching++;
    }
    cont = page.metadata?._continue || undefined;
  } while (cont);
  return { all, matching };
}

const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The control plane's binaries: local-cluster/build.sh's cached output (the Multus build is not needed here). */
export function benchBin(): string {
  const out = execFileSync('bash', [path.join(repoRoot, 'local-cluster', 'build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bin = out.toString().trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(bin, 'kubectl'))) {
    throw new Error(`local-cluster/build.sh did not produce kubectl in ${bin}`);
  }
  return bin;
}

/** Puts objects into etcd through its v3 JSON gateway, 100 to a transaction (etcd's default limit is 128). */
async function etcdPutAll(objects: { key: string; value: unknown }[], concurrency: number,
  progress: (n: number) => void): Promise<void> {
  const url = `http://127.0.0.1:${PORTS.etcdClient}/v3/kv/txn`;
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const batches: { key: string; value: unknown }[][] = [];
  for (let i = 0; i < objects.length; i += 100) batches.push(objects.slice(i, i + 100));
  let done = 0;
  await mapLimit(batches, concurrency, async (batch) => {
    const body = JSON.stringify({
      success: batch.map((o) => ({ requestPut: { key: b64(o.key), value: b64(JSON.stringify(o.value)) } })),
    });
    for (let attempt = 0;; attempt++) {
      const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).catch((
        e: Error,
      ) => e);
      if (!(res instanceof Error) && res.ok) break;
      if (attempt >= 5) {
        throw new Error(`etcd put failed: ${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}`);
      }
      await sleep(500 * (attempt + 1));
    }
    done += batch.length;
    progress(done);
  });
}

/** A pod as the API server would have stored it: defaulted enough to decode, Running and Ready, with an IP. */
function storedPod(
  o: { name: string; namespace: string; uid: string; node: string; nodeIdx: number; seq: number;
    labels: Record<string, string>; annotations?: Record<string, string>; ownerReferences: unknown[];
    spec: Record<string, unknown>; created: string },
): Record<string, unknown> {
  const ip = `10.${64 + Math.floor(o.nodeIdx / 256)}.${o.nodeIdx % 256}.${2 + (o.seq % 250)}`;
  const containers = o.spec.containers as { name: string; image: string }[];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, uid: o.uid, creationTimestamp: o.created, labels: o.labels,
      ...(o.annotations && Object.keys(o.annotations).length > 0 ? { annotations: o.annotations } : {}),
      ownerReferences: o.ownerReferences },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler', securityContext: {}, enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority', priority: 0, tolerations: [], ...o.spec, nodeName: o.node },
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: o.created,
      qosClass: 'Burstable',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((
        type,
      ) => (
        { type, status: 'True', lastProbeTime: null, lastTransitionTime: o.created }
      )),
      containerStatuses: containers.map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true,
        restartCount: 0, state: { running: { startedAt: o.created } } })
      ),
    },
  };
}

export async function scaleUp(o: ScaleOptions): Promise<ScaleCluster> {
  const { root, log } = o;
  const kubeconfig = path.join(root, 'kubeconfig');
  const server = `https://127.0.0.1:${PORTS.apiserver}`;
  const existing = readState(root);
  if (existing) {
    log('found a previous bench cluster state; stopping it first');
    await scaleDown(root, log);
  }
  const bin = benchBin();
  const bulk = o.bulk !== false;
  const daemonset = o.multus === 'daemonset';
  const realistic = o.realistic !== false;
  const data = path.join(path.dirname(bin), 'kwok');
  const exe = (c: string) => path.join(bin, c);
  mkdirSync(root, { recursive: true });
  for (const d of ['etcd', 'nodes', 'logs']) rmSync(path.join(root, d), { recursive: true, force: true });
  const pki = ensurePki(path.join(root, 'pki'));
  const kcFor = (name: 'admin' | 'kwok' | 'controller-manager' | 'scheduler', file: string) => {
    const c = pki.client(name);
    writeKubeconfig(file, { server, ca: pki.caCert, cert: c.cert, key: c.key, user: name });
    return file;
  };
  kcFor('admin', kubeconfig);
  const kwokKubeconfig = kcFor('kwok', path.join(root, 'kwok.kubeconfig'));
  const kwokConfigFile = path.join(root, 'kwok.yaml');
  writeFileSync(kwokConfigFile, kwokConfig(data, daemonset));
  const kwokWorkdir = path.join(root, 'kwok-workdir');
  mkdirSync(kwokWorkdir, { recursive: true });
  const view = cwdView(root); // every kwok shows this at /host/etc/cni/net.d (per-node-files.ts)

  const nodes = Array.from({ length: o.nodes }, (_, i) => benchNode(i));
  const groupOf = (i: number) => i % o.groups;
  const procs: ProcessRecord[] = [];
  const state: ClusterState = { startedAt: new Date().toISOString(), nodes, apiserver: server, processes: procs };
  const record = (p: ProcessRecord) => {
    procs.push(p);
    writeState(root, state);
    return p;
  };
  const setup: Record<string, number> = {};
  const t0 = Date.now();
  let entrypoint: EntrypointSim | undefined;
  try {
    record(startProcess(root, 'etcd', exe('etcd'), etcdArgs(root, ['--snapshot-count=50000'])));
    // Scale: more requests in flight (the bulk setup, the rotator's concurrent execs and reviews).
    record(
      startProcess(root, 'kube-apiserver', exe('kube-apiserver'),
        apiserverArgs(pki, ['--max-requests-inflight=1600', '--max-mutating-requests-inflight=800'])),
    );
    const kc = new PooledKubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor('the API server to be ready', async () => {
      const r = await core.listNamespace({ limit: 1 });
      return r.items.length >= 0 &&
        (await core.listNamespacedServiceAccount({ namespace: 'default' }).then(() => true));
    }, 90_000, 250);
    await waitFor('the default namespace', async () =>
      (await core.listNamespace()).items.some((n) => n.metadata?.name === 'default'), 60_000, 250);
    if (daemonset) {
      // The controllers start once the API server is ready as a whole (RBAC's bootstrap roles included).
      await waitFor('the API server /readyz', () => {
        try {
          return execFileSync(exe('kubectl'), ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], {
            stdio: ['ignore', 'pipe', 'ignore'],
            timeout: 5000,
          }).toString().trim() === 'ok';
        } catch {
          return false;
        }
      }, 90_000, 250);
      record(
        startProcess(root, 'kube-controller-manager', exe('kube-controller-manager'),
          controllerManagerArgs(root, pki,
            kcFor('controller-manager', path.join(root, 'controller-manager.kubeconfig')))),
      );
      record(
        startProcess(root, 'kube-scheduler', exe('kube-scheduler'),
          schedulerArgs(kcFor('scheduler', path.join(root, 'scheduler.kubeconfig')))),
      );
    }
    setup['control plane up'] = (Date.now() - t0) / 1000;
    log(`control plane up in ${setup['control plane up']?.toFixed(1)} s`);

    await applyYaml(kc, readFileSync(path.join(data, 'crd', 'kwok.x-k8s.io_execs.yaml'), 'utf8'));

    // Nodes, labelled with their kwok group.
    await timed(setup, `create ${o.nodes} nodes`, log, () =>
      mapLimit(nodes, o.concurrency, async (name) => {
        const i = nodes.indexOf(name);
        const podCIDR = `10.${64 + Math.floor(i / 256)}.${i % 256}.0/24`;
        const labels = { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
          type: 'kwok', [GROUP_LABEL]: String(groupOf(i)) };
        const annotations = { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' };
        const body: V1Node = realistic
          ? realisticNode({ name, index: i, labels, annotations, podCIDR, created: new Date().toISOString() }) as V1Node
          : {
            spec: { podCIDR, podCIDRs: [podCIDR] },
            metadata: { name,
              labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
                type: 'kwok', [GROUP_LABEL]: String(groupOf(i)) },
              annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' } },
            status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
              capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
          };
        await core.createNode({ body }).catch((e: { code?: number }) => {
          if (e.code !== 409) throw e;
        });
      }));

    // Every node's own directory; one kwok per group, each in its own mount namespace showing the link that sends
    // each exec's `cat` to its pod's node's directory (per-node-files.ts).
    for (const node of nodes) mkdirSync(path.join(nodeCniDir(root, node), 'multus.d'), { recursive: true });
    for (let g = 0; g < o.groups; g++) {
      const scratch = path.join(root, 'kwok-scratch', String(g)); // kwokCommand's scratch: no bind source under it
      mkdirSync(scratch, { recursive: true });
      const port = nodePort(PORTS, g);
      // No node leases (see kwokConfig).
      const kwok = kwokCommand({ bin: exe('kwok'), cniDir: view, scratch, kubeconfig: kwokKubeconfig,
        config: kwokConfigFile, pki, port, manage: `--manage-nodes-with-label-selector=${GROUP_LABEL}=${g}`,
        leaseSeconds: 0, binds: [[path.join(root, 'nodes'), KWOK_NODES_DIR]] });
      record(startProcess(root, `kwok-group-${g}`, kwok.command, kwok.args, { KWOK_WORKDIR: kwokWorkdir }));
    }
    await timed(setup, 'nodes Ready (kwok)', log, () =>
      waitFor('every node Ready', async () => {
        let cont: string | undefined;
        let ready = 0;
        do {
          const page = await core.listNode({ limit: 500, _continue: cont });
          ready += page.items.filter((n) =>
            n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
          )
            .length;
          cont = page.metadata?._continue || undefined;
        } while (cont);
        return ready === o.nodes;
      }, 600_000, 2000));

    // Multus: the upstream objects (ServiceAccount, RBAC, DaemonSet). Bare: the DaemonSet selects no node, nothing
    // reconciles it, and one bare Multus pod per node is owned by it. DaemonSet: the controller creates the pods, the
    // scheduler binds them, entrypoint-sim.ts writes each pod's node file and lets kwok make it Ready.
    const multusDocs = YAML.parseAllDocuments(
      readFileSync(path.join(repoRoot, 'local-cluster', 'manifests', 'multus.yaml'), 'utf8'),
    ).map((d) => d.toJS() as Record<string, any>).filter(Boolean);
    const ds = multusDocs.find((d) => d.kind === 'DaemonSet');
    if (!ds) throw new Error('local-cluster/manifests/multus.yaml has no DaemonSet');
    if (!daemonset) ds.spec.template.spec.nodeSelector = { 'mtr-bench/no-such-node': 'x' };
    const caData = readFileSync(pki.caCert).toString('base64');
    if (daemonset) {
      entrypoint = startEntrypointSim({ kc, root, server, caData, namespace: 'kube-system', selector: 'app=multus', log,
        startDelayMs: () => 1000 + Math.random() * 5000 });
    }
    await applyYaml(kc, multusDocs.map((d) => YAML.stringify(d)).join('---\n'));
    const dsObj = await kc.makeApiClient(AppsV1Api).readNamespacedDaemonSet({ namespace: 'kube-system',
      name: ds.metadata.name });
    const template = ds.spec.template;
    const multusName = (node: string) => `kube-multus-ds-${node.slice('bench-node-'.length)}`;
    const dsOwner = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: ds.metadata.name, uid: dsObj.metadata?.uid ?? '',
      controller: true, blockOwnerDeletion: true }];
    const multusSpec = { ...template.spec, nodeSelector: undefined };
    if (daemonset) {
      await timed(setup, `${o.nodes} DaemonSet Multus pods Ready, files written`, log, () =>
        waitFor('every DaemonSet Multus pod Ready', async () => {
          const r = await countPods(core, isReady, { namespace: 'kube-system', labelSelector: 'app=multus' });
          const files = entrypoint?.writes.size ?? 0;
          log(`  Multus pods Ready: ${r.matching}/${o.nodes}; files written: ${files}`);
          return r.matching === o.nodes && files === o.nodes;
        }, 1_800_000, 5000));
    } else if (bulk) {
      const created = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await timed(setup, `write ${o.nodes} Multus pods (etcd)`, log, () =>
        etcdPutAll(nodes.map((node, i) => {
          const pod = storedPod({ name: multusName(node), namespace: 'kube-system', uid: randomUUID(), node, nodeIdx: i,
            seq: 1,
            labels: { ...template.metadata.labels, 'controller-revision-hash': '5f7d8c9b6d',
              'pod-template-generation': '1' }, ownerReferences: dsOwner,
            spec: { ...multusSpec,
              affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{
                matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }],
              }] } } } }, created });
          if (realistic) makePodRealistic(pod, { ownerKind: 'DaemonSet', created });
          return { key: `/registry/pods/kube-system/${multusName(node)}`, value: pod };
        }), 8, () => undefined));
    } else {
      await timed(setup, `create ${o.nodes} Multus pods`, log, () =>
        mapLimit(nodes, o.concurrency, async (node) => {
          await core.createNamespacedPod({ namespace: 'kube-system', body: {
            metadata: { name: multusName(node), labels: template.metadata.labels, ownerReferences: dsOwner },
            spec: { ...multusSpec, nodeName: node },
          } }).catch((e: { code?: number }) => {
            if (e.code !== 409) throw e;
          });
        }));
    }

    // Workloads: bare pods bound with nodeName, spread over namespaces, owned by (unreconciled) ReplicaSets;
    // nine in ten use a secondary network. One budget per namespace, its status written here.
    const nss = Array.from({ length: o.namespaces }, (_, k) => `bench-${String(k).padStart(3, '0')}`);
    await mapLimit(nss, 8, async (ns) => {
      await core.createNamespace({ body: { metadata: { name: ns } } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'default' } } })
        .catch((e: { code?: number }) => {
          if (e.code !== 409) throw e;
        });
    });
    const policy = kc.makeApiClient(PolicyV1Api);
    for (const ns of nss) {
      await policy.createNamespacedPodDisruptionBudget({ namespace: ns, body: {
        metadata: { name: 'app-0' },
        spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'app-0' } } },
      } }).catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    }
    const total = o.nodes * o.podsPerNode;
    const work = Array.from({ length: total }, (_, k) => k);
    let created = 0;
    const tick = setInterval(() => log(`  workload pods created: ${created}/${total}`), 15_000);
    const workload = (k: number) => {
      const nodeIdx = k % o.nodes;
      const j = Math.floor(k / o.nodes);
      const app = `app-${j % 5}`;
      return { nodeIdx, j, app, ns: nss[k % nss.length] as string, name: `w-${String(nodeIdx).padStart(5, '0')}-${j}`,
        annotations: j % 10 === 9 ? {} : NETWORKS,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-rs`,
          uid: `00000000-0000-0000-0000-${String(j % 5).padStart(12, '0')}`, controller: true }], spec: {
          containers: [{ name: 'app', image: `${app}:1`, resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
        } };
    };
    if (bulk) {
      const createdAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await timed(setup, `write ${total} workload pods (etcd)`, log, () =>
        etcdPutAll(work.map((k) => {
          const w = workload(k);
          const pod = storedPod({ name: w.name, namespace: w.ns, uid: randomUUID(), node: benchNode(w.nodeIdx),
            nodeIdx: w.nodeIdx, seq: w.j + 2, labels: { app: w.app }, annotations: w.annotations,
            ownerReferences: w.ownerReferences, spec: w.spec, created: createdAt });
          if (realistic) makePodRealistic(pod, { ownerKind: 'ReplicaSet', created: createdAt });
          return { key: `/registry/pods/${w.ns}/${w.name}`, value: pod };
        }), 8, (n) => {
          created = n;
        }).finally(() => clearInterval(tick)));
    } else {await timed(setup, `create ${total} workload pods`, log, () =>
        mapLimit(work, o.concurrency, async (k) => {
          const nodeIdx = k % o.nodes;
          const j = Math.floor(k / o.nodes);
          const ns = nss[k % nss.length] as string;
          const app = `app-${j % 5}`;
          const body: V1Pod = {
            metadata: { name: `w-${String(nodeIdx).padStart(5, '0')}-${j}`, labels: { app },
              annotations: j % 10 === 9 ? {} : NETWORKS,
              ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-rs`,
                uid: `00000000-0000-0000-0000-${String(j % 5).padStart(12, '0')}`, controller: true }] },
            spec: { nodeName: benchNode(nodeIdx),
              containers: [{ name: 'app', image: `${app}:1`,
                resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
          };
          for (let attempt = 0;; attempt++) {
            try {
              await core.createNamespacedPod({ namespace: ns, body });
              break;
            } catch (e) {
              const code = (e as { code?: number }).code;
              if (code === 409) break;
              if (attempt >= 5) throw e;
              await sleep(500 * (attempt + 1));
            }
          }
          created++;
        }).finally(() => clearInterval(tick)));}

    await timed(setup, 'all pods seen, Running/Ready', log, () =>
      waitFor('every pod Ready', async () => {
        // Bulk pods are written Ready: count them once they are all there; otherwise (API path) wait for kwok.
        const multus = await countPods(core, isReady, { namespace: 'kube-system', labelSelector: 'app=multus' });
        const all = bulk ? await countAll(kc) : (await countPods(core, isReady)).matching;
        log(`  Multus pods Ready: ${multus.matching}/${o.nodes}; pods: ${all}/${total + o.nodes}`);
        return multus.matching === o.nodes && all === total + o.nodes;
      }, 1_800_000, 5000));

    // Budgets: no disruption controller runs, so write an observed status (one pod of each budget may go).
    for (const ns of nss) {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'app-0' });
      const expected = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=app-0' })).items.length;
      await policy.replaceNamespacedPodDisruptionBudgetStatus({ namespace: ns, name: 'app-0',
        body: { ...pdb,
          status: { observedGeneration: pdb.metadata?.generation, disruptionsAllowed: 1, currentHealthy: expected,
            desiredHealthy: Math.max(0, expected - 1), expectedPods: expected } } });
    }

    // Bare Multus pods: each node's own file and its pod's kwok Exec (per-node-files.ts). The token is a
    // TokenRequest bound to the node's own Multus pod, so every node's token is distinct (no TokenReview answers from
    // the API server's cache) and accepted. `npm run bench` asks for 2 h (tokenSeconds 7200, not extended): every
    // node is `expiring` within cronjob.yaml's 24 h, planned and actionable — the worst case for the scan and plan.
    if (!daemonset) {
      await timed(setup, `${o.nodes} node files written (a TokenRequest each) + kwok Execs`, log, async () => {
        const saName = template.spec.serviceAccountName ?? 'multus';
        const pods = await mapLimit(nodes, 32, async (node) => {
          const name = multusName(node);
          const pod = await core.readNamespacedPod({ namespace: 'kube-system', name });
          const tr = await core.createNamespacedServiceAccountToken({ namespace: 'kube-system', name: saName, body: {
            spec: { audiences: [], expirationSeconds: o.tokenSeconds ?? 3607,
              boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid: pod.metadata?.uid } },
          } });
          writeFileSync(path.join(nodeCniDir(root, node), 'multus.d', 'multus.kubeconfig'),
            multusKubeconfigText({ token: tr.status?.token ?? '', server, caData }), { mode: 0o600 });
          return { pod: name, workDir: kwokWorkDir(node) };
        });
        await createPodExecs(kc, 'kube-system', pods, 32);
      });
    }
    await core.createNamespace({ body: { metadata: { name: 'multus-token-rotator' } } })
      .catch((e: { code?: number }) => {
        if (e.code !== 409) throw e;
      });
    setup['total setup'] = (Date.now() - t0) / 1000;
    log(`scale cluster ready in ${setup['total setup']?.toFixed(1)} s`);
    return { root, kubeconfig, server, nodes, groupOf, setup, bin, ...(entrypoint ? { entrypoint } : {}) };
  } catch (err) {
    log(`bringing the bench cluster up failed: ${(err as Error).message}; logs in ${path.join(root, 'logs')}`);
    entrypoint?.stop();
    await scaleDown(root, log);
    throw err;
  }
}

export async function scaleDown(root: string, log: (m: string) => void): Promise<void> {
  const state = readState(root);
  if (!state) return;
  const tier = (p: ProcessRecord) =>
    p.name === 'etcd' ? 3 : p.name === 'kube-apiserver' ? 2
      : p.name.startsWith('kube-') ? 1 : 0;
  for (const t of [0, 1, 2, 3]) await stopProcesses(state.processes.filter((p) => tier(p) === t && alive(p.pid)));
  await removeClusterLeftovers(root, ['logs']);
  log(`stopped ${state.processes.length} processes`);
}
