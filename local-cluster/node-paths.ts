// Where each simulated node keeps what a real node keeps on its root filesystem. The node agent shows these
// directories at their real paths inside a mount namespace of their own, one per Multus container and one per CNI
// call, so that Multus's own code reads and writes the node's files at the paths it expects.
import path from 'node:path';

/** A node's directories on the host, under the cluster root. */
export interface NodeDirs {
  /** /etc/cni/net.d on the node (00-multus.conf, multus.d/multus.kubeconfig, the default network's conf). */
  cniConf: string;
  /** /opt/cni/bin on the node (the multus binary the entrypoint copies, the default network's plugin). */
  cniBin: string;
  /** /var/lib/cni on the node (Multus's cache of delegates, read back by CNI DEL). */
  cniState: string;
  /** /run on the node (the thick plugin's daemon gets it at /host/run, as upstream mounts it). */
  run: string;
  /** /run/multus on the node: the thick plugin's daemon socket, which its shim dials. */
  multusRun: string;
  /** An empty directory that each of the node's mount namespaces mounts its own view on (agent/mount-ns.ts). */
  scratch: string;
}

export function nodeDirs(root: string, node: string): NodeDirs {
  const base = path.join(root, 'nodes', node);
  return { cniConf: path.join(base, 'net.d'), cniBin: path.join(base, 'bin'), cniState: path.join(base, 'var-lib-cni'),
    run: path.join(base, 'run'), multusRun: path.join(base, 'run', 'multus'), scratch: path.join(base, 'mnt') };
}

/** The host directory that node `node` mounts at /etc/cni/net.d. */
export function nodeCniDir(root: string, node: string): string {
  return nodeDirs(root, node).cniConf;
}

export function nodeKubeconfigFile(root: string, node: string): string {
  return path.join(nodeCniDir(root, node), 'multus.d', 'multus.kubeconfig');
}

/** A marker file a test drops in a node's directory to steer the node agent (see node-agent.ts). */
export function nodeMarker(root: string, node: string,
  name: 'hold-entrypoint' | 'rewrite-entrypoint' | 'refresh-token'): string {
  return path.join(root, 'nodes', node, name);
}

/** Paths inside a Multus container, as the upstream DaemonSets mount them. */
export const CONTAINER = {
  cniConf: '/host/etc/cni/net.d',
  cniBin: '/host/opt/cni/bin',
  serviceAccount: '/var/run/secrets/kubernetes.io/serviceaccount',
  /** Where the images keep the multus binary that the entrypoint copies to the node. */
  multusBin: '/usr/src/multus-cni/bin',
  /** The thick daemon's configuration (a ConfigMap in the upstream DaemonSet). */
  daemonConfig: '/etc/cni/net.d/multus.d',
  /** The host's /run (upstream's thick DaemonSet mounts it here); the daemon listens in its multus/ directory. */
  run: '/host/run',
} as const;

/** Paths on the node, as the kubelet and the CNI plugins see them. */
export const HOST = {
  cniConf: '/etc/cni/net.d',
  cniBin: '/opt/cni/bin',
  cniState: '/var/lib/cni',
  multusRun: '/run/multus',
} as const;
