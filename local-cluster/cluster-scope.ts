// Everything one local cluster puts on the machine, found from its root alone, so that `down` (and `up` before it
// starts, and the leftover test) can remove or check exactly this cluster's things while other clusters run:
//   - processes: the Multus containers' process groups the node agent records (agent/container-groups.ts), and
//     every process the cluster starts, and every process those start, carries CLUSTER_ENV=<root> in its
//     environment (the agent's Multus containers and CNI calls set it too), so /proc/<pid>/environ names them all;
//   - network namespaces: each held by a process of the cluster (agent/netns.ts), so stopping the processes frees them;
//   - mounts: none on the host (the mount namespaces' mounts are their own, agent/mount-ns.ts, and die with their
//     processes); any mount under the root is still removed;
//   - files: PER_RUN_FILES under the root (pki/, the CA and keys, is kept for the next `up`).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupsDir } from './agent/container-groups.ts';

export const CLUSTER_ENV = 'MTR_CLUSTER_ROOT';

/**
 * What a run writes under the root; all of it is removed by `down` and again by `up` before it starts. `tmp/` is for
 * the tests' own per-run files (a service account's token for an in-cluster run, a proxy's kubeconfig).
 */
export const PER_RUN_FILES = ['state.json', 'etcd', 'nodes', 'logs', 'pods', 'netns', 'pgroups', 'minted-tokens',
  'rotator-output.log', 'kubeconfig', 'controller-manager.kubeconfig', 'scheduler.kubeconfig', 'kwok.kubeconfig',
  'kwok.yaml', 'kwok-workdir', 'tmp', 'real-nodes'] as const;

/** Pids whose environment carries CLUSTER_ENV=<root> (never this process). */
export function clusterProcesses(root: string): number[] {
  const entry = `${CLUSTER_ENV}=${path.resolve(root)}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (env.startsWith(entry) || env.includes(`\0${entry}`)) pids.push(pid);
    } catch {
      // gone, or a kernel thread
    }
  }
  return pids;
}

/** Mount points at or under the root in this mount namespace, deepest first. */
export function clusterMounts(root: string): string[] {
  const top = path.resolve(root);
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === top || p.startsWith(`${top}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The process groups the node agent recorded for its Multus containers whose leader still runs for this cluster. */
export function recordedGroups(root: string): number[] {
  let files: string[];
  try {
    files = readdirSync(groupsDir(root));
  } catch {
    return [];
  }
  const ours = new Set(clusterProcesses(root)); // a recorded pid now used by another process is not ours
  return files.map(Number).filter((pid) => ours.has(pid));
}

/**
 * SIGTERM to the recorded process groups and every process of the cluster, up to `graceMs`, then SIGKILL to what is
 * left; returns how many there were.
 */
export async function stopClusterProcesses(root: string, graceMs = 5_000): Promise<number> {
  const signal = (pids: number[], sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  const found = new Set([...recordedGroups(root), ...clusterProcesses(root)]);
  signal(recordedGroups(root).map((pgid) => -pgid), 'SIGTERM');
  signal(clusterProcesses(root), 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && clusterProcesses(root).length > 0) await sleep(100);
  // A process can fork between a scan and a signal: scan until none is left.
  for (let round = 0; round < 20; round++) {
    const left = clusterProcesses(root);
    if (left.length === 0) break;
    for (const pid of left) found.add(pid);
    signal(left, 'SIGKILL');
    await sleep(100);
  }
  return found.size;
}

/** Removes the cluster's processes, mounts and per-run files (`keep` names files to leave, e.g. logs). */
export async function removeClusterLeftovers(root: string, keep: readonly string[] = []): Promise<
  { processes: number; mounts: number }
> {
  const processes = await stopClusterProcesses(root);
  let mounts = 0;
  // A point can hold stacked mounts: unmount until none is left under the root.
  for (let round = 0, left = clusterMounts(root); round < 5 && left.length > 0; round++, left = clusterMounts(root)) {
    for (const point of left) {
      mounts += 1;
      try {
        execFileSync('umount', [point], { stdio: 'ignore' });
      } catch {
        execFileSync('umount', ['--lazy', point], { stdio: 'ignore' }); // busy: detached now, freed when unused
      }
    }
  }
  for (const name of PER_RUN_FILES) {
    if (!keep.includes(name)) rmSync(path.join(root, name), { recursive: true, force: true });
  }
  return { processes, mounts };
}
