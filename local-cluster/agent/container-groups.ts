// The Multus containers' processes: each container is a process group of its own (spawned detached), signalled as a
// whole, and recorded while it runs, so that `down` stops every group even after the agent was killed.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Where the agent records its containers' process groups: one file per group, named by its leader's pid. */
export function groupsDir(root: string): string {
  return path.join(root, 'pgroups');
}

export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // gone
  }
}

export function stopChild(child: ChildProcess | undefined): void {
  const pid = child?.pid;
  if (!signalGroup(pid, 'SIGTERM')) return;
  setTimeout(() => signalGroup(pid, 'SIGKILL'), 2_000).unref();
}

/** Records a running container's group; returns the file to remove when it exits. */
export function recordGroup(root: string, pid: number | undefined, what: string): string {
  const dir = groupsDir(root);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, String(pid ?? 'unknown'));
  if (pid) writeFileSync(file, `${what}\n`);
  return file;
}
