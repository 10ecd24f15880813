// The pods' network namespaces, as the container runtime makes them, but kept under the cluster root
// (<root>/netns/mtr-<pod uid>) instead of the machine's /run/netns: each is an nsfs mount on a file there, so
// `down` finds every one of them from the root alone (cluster-scope.ts). <root>/netns is a shared bind mount of
// itself, as `ip netns` makes /run/netns, so that a namespace mounted later reaches the Multus containers' mount
// namespaces (agent/mount-ns.ts), and an unmounted one leaves them.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function netnsDir(root: string): string {
  return path.join(root, 'netns');
}

export function netnsPath(root: string, uid: string): string {
  return path.join(netnsDir(root), `mtr-${uid}`);
}

function isMountPoint(dir: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
}

/** Makes <root>/netns a shared mount of its own (once). */
export function prepareNetnsDir(root: string): void {
  const dir = path.resolve(netnsDir(root));
  mkdirSync(dir, { recursive: true });
  if (isMountPoint(dir)) return;
  execFileSync('mount', ['--bind', dir, dir], { stdio: 'ignore' });
  execFileSync('mount', ['--make-shared', dir], { stdio: 'ignore' });
}

/** A new network namespace held by an nsfs mount on `file` (no-op if it is held already). */
export function addNetns(file: string): void {
  if (existsSync(file) && isMountPoint(path.resolve(file))) return;
  writeFileSync(file, '');
  execFileSync('unshare', [`--net=${file}`, 'true'], { stdio: 'ignore' });
}

export function removeNetns(file: string): void {
  if (!existsSync(file)) return;
  try {
    execFileSync('umount', [file], { stdio: 'ignore' });
  } catch {
    // not mounted (a half-made one)
  }
  rmSync(file, { force: true });
}

/** Every network namespace under the root, as at the agent's shutdown. */
export function removeAllNetns(root: string): void {
  const dir = netnsDir(root);
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) removeNetns(path.join(dir, f));
}
