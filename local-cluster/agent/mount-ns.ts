// One mount namespace per process, showing some host directories at the paths the process expects (root only; the
// local cluster needs root anyway) — without changing the host: no mount point is ever created on the host's
// filesystem. Inside the namespace, a tmpfs on the node's scratch directory holds an overlay of the host's root (its
// writes land in the tmpfs), the host's other mounts (/proc, /dev, the pods' network namespaces…) are bound into it
// recursively, the mount points are made there, and the process runs chrooted into it. Everything goes away with the
// namespace's last process. The host's mounts are copied as slaves (upstream's HostToContainer propagation); the
// pods' network namespaces are reached through /proc (agent/netns.ts), which every such namespace shows.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

export type Bind = readonly [source: string, target: string];

// $1 is the scratch directory, $2 the number of binds, $3 `private` for a /tmp of its own; then pairs of source and target; then the command. Mount points of the host's root
// mount are bound recursively (each brings its own submounts); the scratch tmpfs is unbindable so that no copy of it
// recurses into itself.
const SCRIPT = `set -e
T=$1; n=$2; tmp=$3; shift 3
mount -t tmpfs -o size=64m,mode=755 mtr-ns "$T"
mkdir "$T/upper" "$T/work" "$T/root"
mount -t overlay mtr-ns -o "lowerdir=/,upperdir=$T/upper,workdir=$T/work" "$T/root"
mount --make-unbindable "$T"
awk '$5 == "/" { r = $1 } $5 != "/" && $2 == r { gsub(/\\\\040/, " ", $5); print $5 }' /proc/self/mountinfo |
while IFS= read -r m; do
  case "$m" in "$T"|"$T"/*) continue ;; esac
  mount --rbind "$m" "$T/root$m"
done
while [ "$n" -gt 0 ]; do
  mkdir -p "$T/root$2"
  mount --rbind "$1" "$T/root$2"
  shift 2; n=$((n - 1))
done
if [ "$tmp" = private ]; then mount -t tmpfs -o size=16m,mode=1777 tmpfs "$T/root/tmp"; fi
exec chroot "$T/root" "$@"`;

/**
 * The command line that runs `command args…` with `binds` mounted, in a mount namespace of its own; `scratch` is an
 * existing directory of the cluster's, holding no bind source (it is mounted over inside the namespace). With `privateTmp`, /tmp is an empty
 * tmpfs of its own, mounted last (a container's /tmp: the 3.x entrypoint writes /tmp/multus.kubeconfig before moving
 * it to the node, so two of them must never share one). Sources are host paths, bound before the chroot.
 */
export function inMountNamespace(binds: readonly Bind[], command: string, args: readonly string[],
  opts: { scratch: string; privateTmp?: boolean }): { command: string; args: string[] } {
  return {
    command: 'unshare',
    args: ['-m', '--propagation', 'slave', 'sh', '-c', SCRIPT, 'sh', opts.scratch, String(binds.length),
      opts.privateTmp ? 'private' : 'shared', ...binds.flatMap(([source, target]) => [source, hostPath(target)]),
      command, ...args],
  };
}

/** The target with the symlinks of its existing part resolved (/var/run → /run), so that mkdir stays in the overlay. */
function hostPath(target: string): string {
  let existing = path.resolve(target);
  const rest: string[] = [];
  while (!existsSync(existing) && existing !== '/') {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  return path.join(realpathSync(existing), ...rest);
}
