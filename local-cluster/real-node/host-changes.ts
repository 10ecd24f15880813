// What a real node changes on the host, each with its undo. Recorded in <cluster root>/real-nodes/host.json as it is
// made, so that `cluster:down` (even after a crash) puts the host back as it found it:
//   - sysctls the kubelet sets at start (kernel.panic, kernel.panic_on_oops, vm.overcommit_memory): restored;
//   - mount-point directories created for the node's mount namespace (/var/lib/kubelet, /run/containerd, …):
//     removed if still empty;
//   - a cgroup root per node in every cgroup v1 hierarchy: its processes killed, the tree removed;
//   - a bridge per node (the node IP lives on it): deleted.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync,
  writeFileSync } from 'node:fs';
import path from 'node:path';

const CGROUP_V1 = '/sys/fs/cgroup';
/** The sysctls the kubelet changes at start (setupKernelTunables). */
export const KUBELET_SYSCTLS = ['kernel/panic', 'kernel/panic_on_oops', 'vm/overcommit_memory'] as const;

export interface HostChanges {
  sysctls: Record<string, string>;
  createdDirs: string[];
  cgroups: string[];
  bridges: string[];
}

const file = (root: string) => path.join(root, 'real-nodes', 'host.json');

export function readHostChanges(root: string): HostChanges {
  try {
    return JSON.parse(readFileSync(file(root), 'utf8')) as HostChanges;
  } catch {
    return { sysctls: {}, createdDirs: [], cgroups: [], bridges: [] };
  }
}

function save(root: string, c: HostChanges): void {
  mkdirSync(path.dirname(file(root)), { recursive: true });
  writeFileSync(file(root), JSON.stringify(c, null, 2) + '\n');
}

/** Remembers the sysctls' values before the first kubelet starts (once: a second node must not record the first's). */
export function recordSysctls(root: string): void {
  const c = readHostChanges(root);
  for (const key of KUBELET_SYSCTLS) {
    c.sysctls[key] ??= readFileSync(path.join('/proc/sys', key), 'utf8').trim();
  }
  save(root, c);
}

/** Creates `dir` (and missing parents) on the host, recording each directory it created. */
export function ensureDir(root: string, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
  if (missing.length === 0) return;
  const c = readHostChanges(root);
  for (const d of missing) {
    mkdirSync(d);
    c.createdDirs.push(d);
  }
  save(root, c);
}

function hierarchies(): string[] {
  return readdirSync(CGROUP_V1).filter((h) => h !== 'unified' && existsSync(path.join(CGROUP_V1, h, 'tasks')));
}

/** A cgroup root `/name` in every v1 hierarchy (cpuset needs its cpus and mems before a task may join). */
export function createCgroupRoot(root: string, name: string): void {
  const c = readHostChanges(root);
  for (const h of hierarchies()) {
    const dir = path.join(CGROUP_V1, h, name);
    mkdirSync(dir, { recursive: true });
    if (h === 'cpuset') {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) copyFileSync(path.join(CGROUP_V1, h, f), path.join(dir, f));
    }
  }
  if (!c.cgroups.includes(name)) c.cgroups.push(name);
  save(root, c);
}

export function createBridge(root: string, name: string, cidr: string): void {
  const c = readHostChanges(root);
  if (!c.bridges.includes(name)) c.bridges.push(name);
  save(root, c);
  execFileSync('ip', ['link', 'add', name, 'type', 'bridge']);
  execFileSync('ip', ['addr', 'add', cidr, 'dev', name]);
  execFileSync('ip', ['link', 'set', name, 'up']);
}

/** Every directory of a cgroup tree, deepest first. */
function treeDeepestFirst(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...treeDeepestFirst(path.join(dir, e.name)));
  }
  out.push(dir);
  return out;
}

function pidsIn(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const d of dirs) {
    try {
      for (const p of readFileSync(path.join(d, 'cgroup.procs'), 'utf8').split('\n')) if (p) pids.add(Number(p));
    } catch {
      // gone
    }
  }
  return [...pids];
}

/** Kills what is left in the node's cgroups (the containers) and removes them. */
async function removeCgroup(name: string): Promise<string[]> {
  const problems: string[] = [];
  // Every hierarchy, the unified one included: runc creates the pods' cgroups there too on a hybrid host.
  const trees = readdirSync(CGROUP_V1).map((h) => path.join(CGROUP_V1, h, name)).filter((d) => existsSync(d));
  for (let attempt = 0; attempt < 50; attempt++) {
    const dirs = trees.filter((d) => existsSync(d)).flatMap((d) => treeDeepestFirst(d));
    const pids = pidsIn(dirs);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        // busy until its last task is reaped
      }
    }
    if (trees.every((d) => !existsSync(d))) return problems;
    await new Promise((r) => setTimeout(r, 100));
  }
  problems.push(`cgroup ${name} could not be removed`);
  return problems;
}

/** Every mount point of every process on the machine (each mount namespace's), from /proc/<pid>/mountinfo. */
function mountPointsElsewhere(): Set<string> {
  const points = new Set<string>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      for (const line of readFileSync(`/proc/${e}/mountinfo`, 'utf8').split('\n')) {
        const point = line.split(' ')[4];
        if (point) points.add(point.replace(/\\040/g, ' '));
      }
    } catch {
      // gone
    }
  }
  return points;
}

/** Undoes everything recorded, last first. Returns what could not be undone. */
export async function undoHostChanges(root: string): Promise<string[]> {
  const c = readHostChanges(root);
  const problems: string[] = [];
  for (const name of c.cgroups) problems.push(...await removeCgroup(name));
  for (const br of c.bridges) {
    try {
      execFileSync('ip', ['link', 'del', br], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
  for (const [key, value] of Object.entries(c.sysctls)) {
    try {
      writeFileSync(path.join('/proc/sys', key), value);
    } catch (err) {
      problems.push(`sysctl ${key}=${value}: ${(err as Error).message}`);
    }
  }
  const inUse = mountPointsElsewhere();
  for (const d of [...c.createdDirs].reverse()) {
    // Another cluster's real node may be using it as a mount point in its own namespace: removing it would detach
    // that mount there. It stays, empty, for that cluster.
    if (inUse.has(d)) continue;
    try {
      if (statSync(d).isDirectory()) rmdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${d}: ${(err as Error).message}`);
    }
  }
  save(root, { sysctls: {}, createdDirs: [], cgroups: [], bridges: [] });
  return problems;
}
