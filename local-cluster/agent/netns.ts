// The pods' network namespaces. Each is held by a process of its own (`unshare --net sleep infinity`, detached,
// carrying the cluster's marker), not by a mount: nothing appears in /run/netns or in the host's mounts, and no
// other mount namespace on the machine can keep a copy of one alive. The namespace is reached at
// /proc/<holder pid>/ns/net (the CNI_NETNS the plugins get; every mount namespace of the cluster shows the host's
// /proc). The holder's pid is recorded in <root>/netns/mtr-<pod uid>, so that `down` finds it even if the agent was
// killed (it also finds it by the marker); stopping the holder frees the namespace.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_ENV } from '../cluster-scope.ts';

export function netnsDir(root: string): string {
  return path.join(root, 'netns');
}

/** The record of a pod's network namespace: a file holding its holder's pid. */
export function netnsRecord(root: string, uid: string): string {
  return path.join(netnsDir(root), `mtr-${uid}`);
}

function holderOf(record: string): number | undefined {
  try {
    const pid = Number(readFileSync(record, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function netOf(pid: number | string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return undefined;
  }
}

/**
 * The pod's network namespace (the CNI_NETNS path), made if its record names no live holder in a namespace of its
 * own; resolves once the holder has left the host's network namespace.
 */
export async function addNetns(root: string, uid: string): Promise<string> {
  const record = netnsRecord(root, uid);
  const host = netOf('self');
  const known = holderOf(record);
  if (known && netOf(known) !== undefined && netOf(known) !== host) return `/proc/${known}/ns/net`;
  mkdirSync(netnsDir(root), { recursive: true });
  const holder = spawn('unshare', ['--net', 'sleep', 'infinity'], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', [CLUSTER_ENV]: process.env[CLUSTER_ENV] ?? '' },
  });
  holder.unref();
  const pid = holder.pid;
  if (!pid) throw new Error('could not start a network namespace holder (unshare)');
  writeFileSync(record, `${pid}\n`);
  for (let i = 0; i < 200; i++) {
    const net = netOf(pid);
    if (net === undefined) throw new Error(`the network namespace holder ${pid} exited`);
    if (net !== host) return `/proc/${pid}/ns/net`;
    await sleep(5);
  }
  throw new Error(`the network namespace holder ${pid} did not leave the host's network namespace`);
}

/** The pod's network namespace if its holder still runs (for CNI DEL by an agent that did not make it), else ''. */
export function existingNetns(root: string, uid: string): string {
  const pid = holderOf(netnsRecord(root, uid));
  return pid && isOurs(pid) && netOf(pid) !== netOf('self') ? `/proc/${pid}/ns/net` : '';
}

/** Frees the pod's network namespace (stops its holder) and removes the record. */
export function removeNetns(root: string, uid: string): void {
  const record = netnsRecord(root, uid);
  const pid = holderOf(record);
  // Only a holder that is still a namespace holder of ours: a recycled pid is left alone.
  if (pid && netOf(pid) !== netOf('self') && isOurs(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(record, { force: true });
}

function isOurs(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`${CLUSTER_ENV}=${process.env[CLUSTER_ENV]}\0`);
  } catch {
    return false;
  }
}

/** Every pod network namespace of the cluster, as at the agent's shutdown. */
export function removeAllNetns(root: string): void {
  const dir = netnsDir(root);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith('mtr-')) removeNetns(root, f.slice('mtr-'.length));
}
