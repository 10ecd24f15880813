// Real worker nodes beside the simulated ones: each a real kubelet and containerd (built by real-node/build.sh) in a
// mount namespace of its own, with its own bridge (the node IP on it), cgroup root, ports and directories under
// <cluster root>/real-nodes/<name>. Pods run in real containers (runc); the images are built locally (images.ts)
// and imported into the node's containerd. `stopRealNodes` stops them and undoes every host change (host-changes.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Pki } from '../pki.ts';
import { nodePort, type PortLayout } from '../ports.ts';
import { startProcess, stopProcesses, waitFor, type ProcessRecord } from '../processes.ts';
import { createBridge, createCgroupRoot, ensureDir, readHostChanges, recordSysctls,
  undoHostChanges } from './host-changes.ts';
import { buildNodeImages, type NodeImages } from './images.ts';
import { NODE_MOUNTS, type RealNodeSpec, socketPath, writeNodeFiles } from './node-config.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROCESS_PREFIX = 'real-node-';

export const realNodeName = (i: number) => `real-node-${i}`;

const imagesFile = (root: string) => path.join(root, 'real-nodes', 'images.json');

/**
 * The images imported into the real nodes (names and digests), as startRealNodes built them.
 * @internal for the e2e tests
 */
export function realNodeImages(root: string): NodeImages {
  return JSON.parse(readFileSync(imagesFile(root), 'utf8')) as NodeImages;
}

/**
 * The real node's Multus kubeconfig, as the host sees it (the node's /etc/cni/net.d/multus.d/multus.kubeconfig).
 * @internal for the e2e tests
 */
export function realNodeKubeconfigFile(root: string, name: string): string {
  return path.join(root, 'real-nodes', name, 'net.d', 'multus.d', 'multus.kubeconfig');
}

/** Real nodes a cluster may have: each takes one of its port offset's eight bridges and subnets. */
export const MAX_REAL_NODES = 8;

/**
 * Port, bridge and subnet of real node `i` of a cluster with `simulated` simulated nodes: its kubelet listens on the
 * node port after theirs (ports.ts), on the node IP. Subnets 172.20.0.0/24 … 172.27.255.0/24, eight per port offset.
 */
export function realNodeSpec(root: string, ports: PortLayout, simulated: number, i: number,
  pauseImage: string): RealNodeSpec {
  if (!Number.isInteger(i) || i < 0 || i >= MAX_REAL_NODES) {
    throw new RangeError(`real node ${i}: a cluster has at most ${MAX_REAL_NODES}`);
  }
  const x = ports.offset * MAX_REAL_NODES + i;
  const net = `172.${20 + (x >> 8)}.${x & 255}`;
  const name = realNodeName(i);
  return {
    name,
    dir: path.join(root, 'real-nodes', name),
    bridge: `mtr${ports.offset}rn${i}`,
    subnet: `${net}.0/24`,
    nodeIP: `${net}.1`,
    kubeletPort: nodePort(ports, simulated + i),
    cgroupRoot: `/mtr-${ports.offset}-${name}`,
    pauseImage,
  };
}

/** real-node/build.sh's bin directory (built, or reused from the cache). */
export function buildRealNode(): string {
  const out = execFileSync('bash', [path.join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return out.toString().trim().split('\n').pop() ?? '';
}

/** A pinned version from local-cluster/<file>. */
function pinned(file: string, key: string): string {
  const env = readFileSync(path.join(here, '..', file), 'utf8');
  const value = new RegExp(`^${key}=(\\S+)`, 'm').exec(env)?.[1];
  if (!value) throw new Error(`local-cluster/${file} has no ${key}`);
  return value;
}

export interface RealNodes {
  names: string[];
  images: NodeImages;
  records: ProcessRecord[];
}

/** Imports an image archive into a node's containerd (the CRI's k8s.io namespace). */
export function importImage(bin: string, spec: RealNodeSpec, archive: string): void {
  execFileSync(path.join(bin, 'ctr'), ['--address', socketPath(spec), '-n', 'k8s.io', 'images', 'import', '--platform',
    'linux/amd64', archive], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function startRealNodes(o: {
  root: string;
  count: number;
  /** The simulated nodes' count: the real nodes' kubelets take the node ports after theirs. */
  simulated: number;
  ports: PortLayout;
  pki: Pki;
  server: string;
  kc: KubeConfig;
  multusBuild: string;
  log: (m: string) => void;
  record: (p: ProcessRecord) => void;
}): Promise<RealNodes> {
  const started = Date.now();
  o.log('building (or reusing) kubelet, containerd, runc and the CNI plugins: local-cluster/real-node/build.sh');
  const bin = buildRealNode();
  const images = buildNodeImages({ nodeBuild: path.dirname(bin), multusBuild: o.multusBuild,
    k8sVersion: pinned('versions.env', 'K8S_VERSION'),
    multusV3Version: pinned('multus-versions.env', 'MULTUS_V3_VERSION'),
    multusV37Version: pinned('real-node/versions.env', 'MULTUS_V37_VERSION'),
    multusV4Version: pinned('multus-versions.env', 'MULTUS_V4_VERSION'),
    outDir: path.join(o.root, 'real-nodes', 'images') });
  writeFileSync(imagesFile(o.root), JSON.stringify(images, null, 2) + '\n');
  const imagesBuilt = Date.now();
  recordSysctls(o.root);
  const logDir = path.join(o.root, 'logs');
  const records: ProcessRecord[] = [];
  const specs = Array.from({ length: o.count },
    (_, i) => realNodeSpec(o.root, o.ports, o.simulated, i, images.pause.name));
  for (const s of specs) {
    for (const [src, target] of NODE_MOUNTS) {
      mkdirSync(path.join(s.dir, src), { recursive: true });
      ensureDir(o.root, target);
    }
    for (const plugin of ['bridge', 'host-local', 'loopback']) {
      execFileSync('cp', [path.join(path.dirname(bin), 'cni', plugin), path.join(s.dir, 'cni-bin', plugin)]);
    }
    createCgroupRoot(o.root, s.cgroupRoot);
    createBridge(o.root, s.bridge, `${s.nodeIP}/24`);
    const launch = writeNodeFiles(s, { pki: o.pki, bin, server: o.server, logDir });
    const rec = startProcess(o.root, `${PROCESS_PREFIX}${s.name.slice(PROCESS_PREFIX.length)}`, launch.command,
      launch.args);
    records.push(rec);
    o.record(rec);
  }
  const launched = Date.now();
  for (const s of specs) {
    await waitFor(`${s.name}'s containerd`, () => {
      try {
        execFileSync(path.join(bin, 'ctr'), ['--address', socketPath(s), 'version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }, 60_000, 100);
    for (const img of Object.values(images)) importImage(bin, s, img.archive);
  }
  const core = o.kc.makeApiClient(CoreV1Api);
  await waitFor('every real node to be Ready', async () => {
    const nodes = await core.listNode({ labelSelector: 'mtr.local/real-node=true' });
    return specs.every((s) =>
      nodes.items.some((n) =>
        n.metadata?.name === s.name && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      )
    );
  }, 120_000, 250);
  const secs = (from: number, to = Date.now()) => `${((to - from) / 1000).toFixed(1)}s`;
  o.log(
    `${specs.length} real node(s) Ready in ${secs(started)}: build check and images ${secs(started, imagesBuilt)}, ` +
      `Ready ${secs(launched)} after launch`,
  );
  return { names: specs.map((s) => s.name), images, records };
}

/** Processes whose mount namespace is that of `pid` (a node's shims outlive its containerd). */
function sameMountNamespace(nsLink: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/mnt`) === nsLink) pids.push(Number(e));
    } catch {
      // gone
    }
  }
  return pids;
}

/**
 * Stops the real nodes recorded in `processes` (their kubelet and containerd, then every process left in their
 * mount namespace and their cgroups) and undoes the host changes. Returns what could not be undone.
 */
export async function stopRealNodes(root: string, processes: ProcessRecord[]): Promise<string[]> {
  const nodes = processes.filter((p) => p.name.startsWith(PROCESS_PREFIX));
  const namespaces = nodes.flatMap((p) => {
    try {
      return [readlinkSync(`/proc/${p.pid}/ns/mnt`)];
    } catch {
      return [];
    }
  });
  await stopProcesses(nodes, 10_000);
  for (const ns of namespaces) {
    for (const pid of sameMountNamespace(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  // Until the node's namespaces are gone, their mount points count as in use (host-changes.ts keeps those).
  await waitFor("the real nodes' processes to exit",
    () => namespaces.every((ns) => sameMountNamespace(ns).length === 0), 10_000, 100).catch(() => undefined);
  const changes = readHostChanges(root);
  const problems = await undoHostChanges(root);
  if (changes.bridges.length > 0) rmSync(path.join(root, 'real-nodes'), { recursive: true, force: true });
  return problems;
}
