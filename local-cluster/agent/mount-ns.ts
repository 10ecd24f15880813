// One mount namespace per process, with some host directories bind-mounted at the paths the process expects (root
// only; the local cluster needs root anyway). Propagation is `slave`: the host's view never changes, while mounts
// the host makes later still reach the process — as a pod's network namespace under /run/netns reaches a Multus
// daemon that upstream mounts with HostToContainer propagation.
import { mkdirSync } from 'node:fs';

export type Bind = readonly [source: string, target: string];

/**
 * The command line that runs `command args…` with `binds` mounted, in a mount namespace of its own. With
 * `privateTmp`, /tmp is an empty tmpfs of its own, mounted last (a container's /tmp: the 3.x entrypoint writes
 * /tmp/multus.kubeconfig before moving it to the node, so two of them must never share one; and a bind source under
 * the host's /tmp stays reachable).
 */
export function inMountNamespace(binds: readonly Bind[], command: string, args: readonly string[],
  opts: { privateTmp?: boolean } = {}): { command: string; args: string[] } {
  // The targets must exist on the host to be mount points; they stay empty there.
  for (const [, target] of binds) mkdirSync(target, { recursive: true });
  const mounts = binds.map((_, i) => `mount --bind "\${${2 * i + 1}}" "\${${2 * i + 2}}"`);
  if (opts.privateTmp) mounts.push('mount -t tmpfs -o size=16m,mode=1777 tmpfs /tmp');
  const script = `${mounts.join(' && ')} && shift ${2 * binds.length} && exec "$@"`;
  return {
    command: 'unshare',
    args: ['-m', '--propagation', 'slave', 'sh', '-c', script, 'sh', ...binds.flat(), command, ...args],
  };
}
