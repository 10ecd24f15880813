// The local control plane: etcd, kube-apiserver, kube-controller-manager, kube-scheduler (all built from source by
// build.sh), one kwok per simulated node (each in its own mount namespace, so that /host/etc/cni/net.d is that
// node's directory), and node-agent.ts, which runs the real Multus (built by build-multus.sh) on every node: its
// entrypoint writes the node's files, and its CNI binary decides whether a pod gets a network and so may start.
// `up` is idempotent: a running cluster is reused. `down` stops every process it recorded, then removes whatever
// else of this cluster is left on the machine (cluster-scope.ts): processes, mounts, network namespaces, files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject,
  type V1Node } from '@kubernetes/client-node';
import YAML from 'yaml';
import { type Bind, inMountNamespace } from './agent/mount-ns.ts';
import { removeClusterLeftovers } from './cluster-scope.ts';
import { SANDBOX_ANNOTATION } from './agent/pod-sandboxes.ts';
import { nodeCniDir, nodeDirs, nodeKubeconfigFile } from './node-paths.ts';
import { portProblem } from './port-check.ts';
import { clusterPorts, nodePort, offsetFromEnv, portLayout, type PortLayout } from './ports.ts';
import { ensurePki, type Pki } from './pki.ts';
import { startRealNodes, stopRealNodes } from './real-node/real-nodes.ts';
import { alive, readState, startProcess, stopProcesses, waitFor, writeState, type ClusterState,
  type ProcessRecord } from './processes.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');
/** Where the cluster keeps its state; MTR_CLUSTER_DIR runs a second cluster beside the first (with a port offset). */
export const defaultRoot = process.env.MTR_CLUSTER_DIR ? path.resolve(process.env.MTR_CLUSTER_DIR)
  : path.join(repoRoot, '.cluster');

const offset = offsetFromEnv(process.env.MTR_CLUSTER_PORT_OFFSET);
if ('error' in offset) throw new Error(offset.error);

/**
 * Loopback ports (ports.ts), away from the components' defaults so that a real cluster on the machine is not hit;
 * MTR_CLUSTER_PORT_OFFSET picks another block, for a second cluster beside the first.
 */
export const PORTS: PortLayout = portLayout(offset.offset);

/** The path inside a Multus container that each node's kwok sees as that node's net.d directory. */
export const HOST_CNI_DIR = '/host/etc/cni/net.d';

export interface UpOptions {
  root?: string;
  nodes?: number;
  /** Real worker nodes (kubelet + containerd, real-node/) beside the simulated ones; default 0. */
  realNodes?: number;
  log?: (msg: string) => void;
}

export interface ClusterHandle {
  root: string;
  kubeconfig: string;
  server: string;
  nodes: string[];
  realNodes: string[];
  reused: boolean;
}

export function nodeName(i: number): string {
  return `kwok-node-${i}`;
}

export { nodeCniDir, nodeKubeconfigFile };

let built: { bin: string; data: string; multus: string } | undefined;

function buildBinaries(log: (m: string) => void): { bin: string; data: string; multus: string } {
  if (built) return built;
  log('building (or reusing) the control plane and Multus: local-cluster/build.sh');
  const out = execFileSync('bash', [path.join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = out.toString().trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(bin, 'k8s-multicall'))) throw new Error(`build.sh did not produce binaries in ${bin}`);
  const multus = execFileSync('bash', [path.join(here, 'build-multus.sh')], { stdio: ['ignore', 'pipe', 'inherit'] })
    .toString().trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(multus, 'multus-v3', 'multus'))) {
    throw new Error(`build-multus.sh did not produce Multus in ${multus}`);
  }
  built = { bin, data: path.join(path.dirname(bin), 'kwok'), multus };
  return built;
}

/**
 * The real Multus build-multus.sh built (its cache answers in milliseconds): binaries and upstream's manifests.
 * @internal for the e2e tests
 */
export function multusBuildDir(): string {
  return buildBinaries(() => undefined).multus;
}

/** The kubectl built with the control plane (build.sh answers from its cache in milliseconds). */
export function kubectlPath(): string {
  return path.join(buildBinaries(() => undefined).bin, 'kubectl');
}

/** etcd on loopback, data under `root`, tuned for tests (no fsync). */
export function etcdArgs(root: string, extra: string[] = []): string[] {
  return [
    '--name=mtr',
    `--data-dir=${path.join(root, 'etcd')}`,
    `--listen-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--advertise-client-urls=http://127.0.0.1:${PORTS.etcdClient}`,
    `--listen-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-advertise-peer-urls=http://127.0.0.1:${PORTS.etcdPeer}`,
    `--initial-cluster=mtr=http://127.0.0.1:${PORTS.etcdPeer}`,
    '--unsafe-no-fsync=true',
    '--quota-backend-bytes=8589934592',
    '--log-level=warn',
    ...extra,
  ];
}

/** The API server: TLS, client certificates, RBAC, the service-account issuer and keys, kubelets reached at InternalIP. */
export function apiserverArgs(pki: Pki, extra: string[] = []): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${PORTS.apiserver}`,
    `--tls-cert-file=${pki.apiserverCert}`,
    `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    '--authorization-mode=Node,RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.saPub}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    // --service-account-extend-token-expiration is left at its default (true), as in production.
    '--service-cluster-ip-range=10.96.0.0/16',
    '--allow-privileged=true',
    '--kubelet-preferred-address-types=InternalIP',
    `--kubelet-client-certificate=${pki.client('kubelet-client').cert}`,
    `--kubelet-client-key=${pki.client('kubelet-client').key}`,
    `--proxy-client-cert-file=${pki.client('admin').cert}`,
    `--proxy-client-key-file=${pki.client('admin').key}`,
    '--profiling=false',
    '--v=1',
    ...extra,
  ];
}

export function writeKubeconfig(file: string,
  opts: { server: string; ca: string; cert: string; key: string; user: string }): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'mtr-local', cluster: { server: opts.server, 'certificate-authority': opts.ca } }],
    users: [{ name: opts.user, user: { 'client-certificate': opts.cert, 'client-key': opts.key } }],
    contexts: [{ name: 'mtr-local', context: { cluster: 'mtr-local', user: opts.user, namespace: 'default' } }],
    'current-context': 'mtr-local',
  };
  writeFileSync(file, YAML.stringify(doc), { mode: 0o600 });
}

/** The API server's /readyz, through the kubectl we built. */
function readyz(bin: string, kubeconfig: string): boolean {
  try {
    const out = execFileSync(path.join(bin, 'kubectl'), ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
    return out.toString().trim() === 'ok';
  } catch {
    return false;
  }
}

/**
 * kwok's own stages, with the kubelet's network step between them: a pod that needs a pod network (not hostNetwork)
 * waits in ContainerCreating until the node agent's CNI ADD succeeded (it sets SANDBOX_ANNOTATION to `ready`), and a
 * deleted pod whose sandbox was set up is removed only after CNI DEL succeeded (`released`).
 */
function kwokConfig(data: string): string {
  const network = `(.spec.hostNetwork // false) or ((.metadata.annotations // {})["${SANDBOX_ANNOTATION}"] == "ready")`;
  const released =
    `(.spec.hostNetwork // false) or ((.metadata.annotations // {})["${SANDBOX_ANNOTATION}"] != "ready")`;
  const gate = (file: string, text: string): string => {
    if (file !== 'pod-ready.yaml' && file !== 'pod-delete.yaml') return text;
    const doc = YAML.parse(text) as { spec: { selector: { matchExpressions: unknown[] } } };
    doc.spec.selector.matchExpressions.push(
      { key: file === 'pod-ready.yaml' ? network : released, operator: 'In', values: ['true'] },
    );
    return YAML.stringify(doc).trim();
  };
  const stages = ['node-initialize.yaml', 'node-heartbeat-with-lease.yaml', 'pod-ready.yaml', 'pod-complete.yaml',
    'pod-delete.yaml'].map((f) => gate(f, readFileSync(path.join(data, 'stage', f), 'utf8').trim()));
  const containerCreating = YAML.stringify({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'Stage',
    metadata: { name: 'pod-container-creating' },
    spec: {
      resourceRef: { apiGroup: 'v1', kind: 'Pod' },
      selector: {
        matchExpressions: [
          { key: '.metadata.deletionTimestamp', operator: 'DoesNotExist' },
          { key: '.status.phase', operator: 'In', values: ['Pending'] },
          { key: '.status.containerStatuses', operator: 'DoesNotExist' },
          { key: network, operator: 'In', values: ['false'] },
        ],
      },
      next: {
        statusTemplate: [
          '{{ $now := Now }}',
          'conditions:',
          '- lastTransitionTime: {{ $now | Quote }}',
          '  status: "True"',
          '  type: PodScheduled',
          '- lastTransitionTime: {{ $now | Quote }}',
          '  status: "False"',
          '  type: Ready',
          '  reason: ContainersNotReady',
          'containerStatuses:',
          '{{ range .spec.containers }}',
          '- image: {{ .image | Quote }}',
          '  name: {{ .name | Quote }}',
          '  ready: false',
          '  restartCount: 0',
          '  state:',
          '    waiting:',
          '      reason: ContainerCreating',
          '{{ end }}',
          '{{ with NodeIPsWith .spec.nodeName }}',
          'hostIP: {{ index . 0 | Quote }}',
          '{{ end }}',
          'phase: Pending',
          'startTime: {{ $now | Quote }}',
        ].join('\n') + '\n',
      },
    },
  }).trim();
  stages.push(containerCreating);
  return kwokDocuments(stages);
}

/** kwok's configuration file: the given stages, and a ClusterExec that runs every exec on the node's kwok. */
export function kwokDocuments(stages: string[]): string {
  const clusterExec = YAML.stringify({
    apiVersion: 'kwok.x-k8s.io/v1alpha1',
    kind: 'ClusterExec',
    metadata: { name: 'run-on-node' },
    // Every container's exec runs on the node's kwok, whose mount namespace shows that node's files.
    spec: { execs: [{ local: { workDir: '/' } }] },
  }).trim();
  return [...stages, clusterExec].map((d) => d.replace(/^---\n/, '')).join('\n---\n') + '\n';
}

/**
 * One kwok process in a mount namespace of its own that shows `cniDir` at HOST_CNI_DIR, so that every exec into a
 * pod it manages reads that directory. `manage` says which nodes it owns (one, or a label selector).
 */
export function kwokCommand(
  o: { bin: string; cniDir: string; scratch: string; kubeconfig: string; config: string; pki: Pki; port: number;
    manage: string; leaseSeconds: number; /** More host directories to show (the scale bench's node files). */
    binds?: readonly Bind[] },
): { command: string; args: string[] } {
  return inMountNamespace([[o.cniDir, HOST_CNI_DIR], ...(o.binds ?? [])], o.bin, [
    `--kubeconfig=${o.kubeconfig}`,
    `--config=${o.config}`,
    o.manage,
    '--node-ip=127.0.0.1',
    `--node-port=${o.port}`,
    `--server-address=127.0.0.1:${o.port}`,
    `--tls-cert-file=${o.pki.kubeletServingCert}`,
    `--tls-private-key-file=${o.pki.kubeletServingKey}`,
    '--enable-crds=Exec',
    `--node-lease-duration-seconds=${o.leaseSeconds}`,
  ], { scratch: o.scratch });
}

export async function up(opts: UpOptions = {}): Promise<ClusterHandle> {
  const root = opts.root ?? defaultRoot;
  const count = opts.nodes ?? 3;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  const kubeconfig = path.join(root, 'kubeconfig');
  const server = `https://127.0.0.1:${PORTS.apiserver}`;

  const existing = readState(root);
  if (existing && existing.processes.length > 0 && existing.processes.every((p) => alive(p.pid))) {
    log(`a cluster is already running (started ${existing.startedAt}, ${existing.nodes.length} nodes); reusing it`);
    return { root, kubeconfig, server, nodes: existing.nodes, realNodes: existing.realNodes ?? [], reused: true };
  }
  if (existing) log('found a half-stopped cluster; stopping what is left of it first');
  // Whatever an earlier run of this root left (a killed `up` or agent, say) goes first: processes, mounts, files.
  await down({ root, log, quiet: true });

  const { bin, data, multus } = buildBinaries(log);
  const problem = await portProblem([
    ...clusterPorts(PORTS, count).map((p) => ({ ...p, host: '127.0.0.1' as const })),
    { name: 'the API server relay for Multus', host: '::1', port: PORTS.apiserver },
  ], PORTS.offset);
  if (problem) throw new Error(problem);
  const started = Date.now();
  mkdirSync(root, { recursive: true });
  const pki: Pki = ensurePki(path.join(root, 'pki'));
  const kcFor = (name: 'admin' | 'controller-manager' | 'scheduler' | 'kwok', file: string) => {
    const c = pki.client(name);
    writeKubeconfig(file, { server, ca: pki.caCert, cert: c.cert, key: c.key, user: name });
    return file;
  };
  kcFor('admin', kubeconfig);
  const kcmKubeconfig = kcFor('controller-manager', path.join(root, 'controller-manager.kubeconfig'));
  const schedKubeconfig = kcFor('scheduler', path.join(root, 'scheduler.kubeconfig'));
  const kwokKubeconfig = kcFor('kwok', path.join(root, 'kwok.kubeconfig'));
  const kwokConfigFile = path.join(root, 'kwok.yaml');
  writeFileSync(kwokConfigFile, kwokConfig(data));
  // kwok reads $KWOK_WORKDIR/kwok.yaml first if it exists: point it at an empty directory of ours.
  const kwokWorkdir = path.join(root, 'kwok-workdir');
  mkdirSync(kwokWorkdir, { recursive: true });

  const procs: ProcessRecord[] = [];
  const nodes = Array.from({ length: count }, (_, i) => nodeName(i));
  const state: ClusterState = { startedAt: new Date().toISOString(), nodes, apiserver: server, processes: procs };
  const record = (p: ProcessRecord) => {
    procs.push(p);
    writeState(root, state);
  };
  const exe = (c: string) => path.join(bin, c);

  try {
    record(startProcess(root, 'etcd', exe('etcd'), etcdArgs(root)));
    record(startProcess(root, 'kube-apiserver', exe('kube-apiserver'), apiserverArgs(pki)));
    await waitFor('the API server to be ready', () => readyz(bin, kubeconfig), 90_000, 250);

    record(startProcess(root, 'kube-controller-manager', exe('kube-controller-manager'), [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`,
      `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--leader-elect=false',
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${PORTS.controllerManager}`,
      '--node-monitor-period=5s',
      '--node-monitor-grace-period=40s',
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
      '--concurrent-daemonset-syncs=10',
      '--profiling=false',
      '--v=1',
    ]));
    record(startProcess(root, 'kube-scheduler', exe('kube-scheduler'), [
      `--kubeconfig=${schedKubeconfig}`,
      `--authentication-kubeconfig=${schedKubeconfig}`,
      `--authorization-kubeconfig=${schedKubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${PORTS.scheduler}`,
      '--profiling=false',
      '--v=1',
    ]));

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    await applyYaml(kc, readFileSync(path.join(data, 'crd', 'kwok.x-k8s.io_execs.yaml'), 'utf8'));
    await createNodes(kc, nodes);
    nodes.forEach((node, i) => {
      const dirs = nodeDirs(root, node);
      mkdirSync(path.join(dirs.cniConf, 'multus.d'), { recursive: true });
      mkdirSync(dirs.scratch, { recursive: true });
      const kwok = kwokCommand({ bin: exe('kwok'), cniDir: dirs.cniConf, scratch: dirs.scratch,
        kubeconfig: kwokKubeconfig, config: kwokConfigFile, pki, port: nodePort(PORTS, i),
        manage: `--manage-single-node=${node}`, leaseSeconds: 40 });
      record(startProcess(root, `kwok-${node}`, kwok.command, kwok.args, { KWOK_WORKDIR: kwokWorkdir }));
    });
    await applyYaml(kc, readFileSync(path.join(multus, 'network-attachment-definition-crd.yaml'), 'utf8'));
    const agent = startProcess(root, 'node-agent', process.execPath, [
      path.join(here, 'node-agent.ts'),
      root,
      kubeconfig,
      String(PORTS.apiserver),
      multus,
      ...nodes,
    ]);
    record(agent);

    await applyYaml(kc, readFileSync(path.join(here, 'manifests', 'multus.yaml'), 'utf8'));
    await whileAlive(agent, root, waitReady(kc, root, nodes, 120_000));
    if ((opts.realNodes ?? 0) > 0) {
      const real = await startRealNodes({ root, count: opts.realNodes ?? 0, simulated: count, ports: PORTS, pki, server,
        kc, multusBuild: multus, log, record });
      state.realNodes = real.names;
      writeState(root, state);
    }
    log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${nodes.length} nodes; ` +
      `KUBECONFIG=${path.relative(process.cwd(), kubeconfig) || kubeconfig}`);
    return { root, kubeconfig, server, nodes, realNodes: state.realNodes ?? [], reused: false };
  } catch (err) {
    log(`bringing the cluster up failed: ${(err as Error).message}; logs in ${path.join(root, 'logs')}`);
    await down({ root, log, keepLogs: true });
    throw err;
  }
}

/** `work`, unless the process exits first: then an error with the last line of its log. */
async function whileAlive<T>(p: ProcessRecord, root: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const died = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (alive(p.pid)) return;
      const text = readFileSync(path.join(root, 'logs', `${p.name}.log`), 'utf8').trim();
      reject(new Error(`the ${p.name} exited: ${text.split('\n').pop() ?? ''}`));
    }, 250);
  });
  try {
    return await Promise.race([work, died]);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Stops the recorded processes, then removes everything else of this cluster (cluster-scope.ts): processes that
 * outlived them (Multus containers and network namespace holders of a killed agent, say), mounts, per-run files.
 * `keepLogs` leaves <root>/logs, for a failed `up` to be read; `quiet` says nothing when nothing was found.
 */
export async function down(
  opts: { root?: string; log?: (m: string) => void; keepLogs?: boolean; quiet?: boolean } = {},
): Promise<void> {
  const root = opts.root ?? defaultRoot;
  const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  const started = Date.now();
  const state = readState(root);
  // Stop in tiers, in reverse order of start: the simulators, then the controllers, the API server, etcd last.
  const tier = (p: ProcessRecord) =>
    p.name === 'etcd' ? 3 : p.name === 'kube-apiserver' ? 2
      : p.name.startsWith('kube-') ? 1 : 0;
  // The real nodes first: their mount namespaces are found through their running kubelets.
  const problems = await stopRealNodes(root, state?.processes ?? []);
  if (problems.length > 0) log(`real nodes: could not undo: ${problems.join('; ')}`);
  const killed: string[] = [];
  for (const t of [0, 1, 2, 3]) {
    killed.push(...await stopProcesses(state?.processes.filter((p) => tier(p) === t) ?? []));
  }
  if (killed.length > 0) log(`had to SIGKILL: ${killed.join(', ')}`);
  // The real nodes' record of host changes stays while something could not be undone: the next down tries again.
  const keep = [...(opts.keepLogs ? ['logs'] : []), ...(problems.length > 0 ? ['real-nodes'] : [])];
  const left = await removeClusterLeftovers(root, keep);
  const extra = [left.processes > 0 ? `stopped ${left.processes} more of its processes` : '',
    left.mounts > 0 ? `removed ${left.mounts} mounts` : ''].filter(Boolean);
  if (!state && extra.length === 0) {
    if (!opts.quiet) log('no cluster is running here');
    return;
  }
  log(`stopped ${state?.processes.length ?? 0} processes${extra.length > 0 ? `, then ${extra.join(', ')}` : ''}` +
    ` in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

export async function applyYaml(kc: KubeConfig, text: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const doc of YAML.parseAllDocuments(text)) {
    const obj = doc.toJS() as KubernetesObject | null;
    if (!obj?.kind) continue;
    try {
      await client.create(obj);
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      await client.patch(obj, undefined, undefined, 'mtr-cluster', true, 'application/apply-patch+yaml' as never);
    }
  }
}

async function createNodes(kc: KubeConfig, nodes: string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const [i, name] of nodes.entries()) {
    // A pod CIDR per node, so that each kwok hands out distinct pod IPs.
    const podCIDR = `10.${64 + Math.floor(i / 256)}.${i % 256}.0/24`;
    const body: V1Node = {
      spec: { podCIDR, podCIDRs: [podCIDR] },
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
          type: 'kwok' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      status: { allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' } },
    };
    try {
      await core.createNode({ body });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** Every node Ready, a Ready Multus pod on each, and each node's file holding that pod's token. */
export async function waitReady(kc: KubeConfig, root: string, nodes: string[], timeoutMs: number): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await waitFor('every node to be Ready', async () => {
    const list = await core.listNode();
    const ready = list.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    );
    return nodes.every((n) => ready.some((r) => r.metadata?.name === n));
  }, timeoutMs, 250);
  await waitFor('a Ready Multus pod with its kubeconfig on every node', async () => {
    const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' });
    return nodes.every((node) =>
      pods.items.some((p) =>
        p.spec?.nodeName === node && !p.metadata?.deletionTimestamp &&
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
        fileBoundTo(root, node) === p.metadata?.uid
      )
    );
  }, timeoutMs, 250);
}

/** The pod UID that the node's kubeconfig token is bound to, read from the file (test helper; no verification). */
export function fileBoundTo(root: string, node: string): string | undefined {
  try {
    const text = readFileSync(nodeKubeconfigFile(root, node), 'utf8');
    const token = /token: "([^"]+)"/.exec(text)?.[1];
    const payload = token?.split('.')[1];
    if (!payload) return undefined;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      'kubernetes.io'?: { pod?: { uid?: string } };
    };
    return claims['kubernetes.io']?.pod?.uid;
  } catch {
    return undefined;
  }
}
