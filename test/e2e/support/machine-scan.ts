// What a local cluster holds on the machine, read from /proc by the leftover test on its own (not through
// local-cluster/cluster-scope.ts, whose findings it checks): processes, mounts in every mount namespace, network
// namespaces in use.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface ProcessId {
  pid: number;
  start: string;
  command: string;
}

/** A live process's parent and start time; undefined for one that is gone or has exited (a zombie not yet reaped). */
function stat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return { ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc').map(Number).filter((n) => Number.isInteger(n) && n !== process.pid);
}

function command(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 160);
  } catch {
    return '';
  }
}

/**
 * The processes in the trees under `rootPids`, and (unless `root` is undefined) every process whose environment or
 * command line names `root`.
 */
export function processesOf(rootPids: readonly number[], root: string | undefined): ProcessId[] {
  const all = pids().flatMap((pid) => {
    const s = stat(pid);
    return s ? [{ pid, ...s }] : [];
  });
  const picked = new Set<number>(rootPids.filter((pid) => all.some((p) => p.pid === pid)));
  for (const p of all) {
    if (root === undefined) break;
    let env = '';
    try {
      env = readFileSync(`/proc/${p.pid}/environ`, 'latin1');
    } catch {
      // gone
    }
    if (env.includes(root) || command(p.pid).includes(root)) picked.add(p.pid);
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!picked.has(p.pid) && picked.has(p.ppid)) {
        picked.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => picked.has(p.pid)).map((p) => ({ pid: p.pid, start: p.start ?? '',
    command: command(p.pid) })
  );
}

/** Those of `procs` that still run (same pid, same start time). */
export function stillRunning(procs: readonly ProcessId[]): ProcessId[] {
  return procs.filter((p) => stat(p.pid)?.start === p.start);
}

/**
 * Mounts, in every mount namespace on the machine, whose mount point (as its processes see it) is at or under `root`
 * or that hold one of the network namespaces `netns` (`net:[inode]`, wherever they are mounted).
 */
export function mountsOf(root: string, netns: ReadonlySet<string> = new Set()): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  for (const pid of [process.pid, ...pids()]) {
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/mnt`);
      if (seen.has(ns)) continue;
      seen.add(ns);
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n')) {
        const [, , , held, point] = line.split(' ');
        if (point && (point === root || point.startsWith(`${root}/`) || netns.has(held ?? ''))) {
          found.add(`${point} ${held} (mount namespace ${ns})`);
        }
      }
    } catch {
      // gone
    }
  }
  return [...found];
}

/** The network namespace (`net:[inode]`) of every process on the machine. */
export function networkNamespacesInUse(): Set<string> {
  const inUse = new Set<string>();
  for (const pid of pids()) {
    try {
      inUse.add(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      // gone
    }
  }
  return inUse;
}
