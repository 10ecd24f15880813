// The files of one real node: containerd's and the kubelet's configuration, the node's credentials, its CNI network
// (a bridge of its own, the node IP on it), and the launcher that runs containerd and the kubelet in a mount
// namespace of their own, where the node's directories appear at the paths both expect.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Pki } from '../pki.ts';
import { signed } from '../pki.ts';

export interface RealNodeSpec {
  name: string;
  /** The node's directory on the host (<cluster root>/real-nodes/<name>). */
  dir: string;
  /** The bridge, its /24 and the node IP (the bridge's address). */
  bridge: string;
  subnet: string;
  nodeIP: string;
  kubeletPort: number;
  /** The cgroup root, in every v1 hierarchy. */
  cgroupRoot: string;
  pauseImage: string;
}

/** The host paths the node sees at its own directories (inside its mount namespace). */
export const NODE_MOUNTS = [
  // The node's own /run first (containerd's sockets and shims, the pods' network namespaces, Multus's sockets): the
  // thick daemon removes and re-creates /run/multus, which a mount point would not allow.
  ['run', '/run'],
  ['net.d', '/etc/cni/net.d'],
  ['cni-bin', '/opt/cni/bin'],
  ['var-lib-cni', '/var/lib/cni'],
  ['kubelet', '/var/lib/kubelet'],
  ['log', '/var/log'],
  // The thick plugin's host path (upstream's multus-daemonset-thick.yml).
  ['etc-cni-multus', '/etc/cni/multus'],
] as const;

/** Where every registry points: a closed port on loopback (port 9, discard, has no listener here). */
const NO_REGISTRY = 'https://127.0.0.1:9';

export const socketPath = (s: RealNodeSpec) => path.join(s.dir, 'containerd.sock');

function containerdConfig(s: RealNodeSpec, bin: string): string {
  const q = JSON.stringify;
  return `version = 3
root = ${q(path.join(s.dir, 'containerd', 'root'))}
state = ${q(path.join(s.dir, 'containerd', 'state'))}

[grpc]
  address = ${q(socketPath(s))}
[ttrpc]
  address = ${q(`${socketPath(s)}.ttrpc`)}
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${q(path.join(s.dir, 'containerd', 'opt'))}
[plugins."io.containerd.nri.v1.nri"]
  disable = true
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = ${q(s.pauseImage)}
  # No registry is reached: every registry resolves to a closed loopback port, so a missing image fails at once
  # instead of a DNS lookup or a connection off this machine.
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = ${q(path.join(s.dir, 'certs.d'))}
[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  disable_apparmor = true
  # This VM denies CAP_SYS_RESOURCE even to root: without it runc fails to write /proc/self/oom_score_adj.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/opt/cni/bin"]
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = ${q(path.join(bin, 'runc'))}
        SystemdCgroup = false
`;
}

function kubeletConfig(s: RealNodeSpec, pki: Pki, serving: { cert: string; key: string }): string {
  return YAML.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    address: s.nodeIP,
    port: s.kubeletPort,
    readOnlyPort: 0,
    healthzPort: 0, // no health endpoint: one port per node
    tlsCertFile: serving.cert,
    tlsPrivateKeyFile: serving.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: pki.caCert } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${socketPath(s)}`,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: s.cgroupRoot,
    failCgroupV1: false,
    failSwapOn: false,
    makeIPTablesUtilChains: false,
    resolvConf: '',
    evictionHard: { 'memory.available': '50Mi', 'nodefs.available': '1%', 'imagefs.available': '1%',
      'nodefs.inodesFree': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    volumePluginDir: path.join(s.dir, 'volume-plugins'),
    nodeStatusUpdateFrequency: '10s',
    maxPods: 30,
  });
}

/** The bridge network, as a cluster's primary CNI: no gateway, no masquerade (ip_forward stays off). */
function bridgeConflist(s: RealNodeSpec): string {
  const prefix = s.subnet.replace(/\.0\/24$/, '');
  return JSON.stringify({
    cniVersion: '0.3.1',
    name: 'mtr-bridge',
    plugins: [{
      type: 'bridge',
      bridge: s.bridge,
      isGateway: false,
      ipMasq: false,
      ipam: { type: 'host-local',
        ranges: [[{ subnet: s.subnet, rangeStart: `${prefix}.10`, rangeEnd: `${prefix}.250` }]] },
    }],
  }, null, 2) + '\n';
}

/** Writes the node's configuration and credentials; returns the launcher's command line. */
export function writeNodeFiles(s: RealNodeSpec,
  o: { pki: Pki; bin: string; server: string; logDir: string }): { command: string; args: string[] } {
  const subjectName = `node-${s.name}`;
  signed(o.pki.dir, `${subjectName}-client`, `/O=system:nodes/CN=system:node:${s.name}`,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  signed(o.pki.dir, `${subjectName}-serving`, `/CN=${s.name}`,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' +
      `subjectAltName=DNS:${s.name},IP:${s.nodeIP}\n`);
  const pkiFile = (f: string) => path.join(o.pki.dir, f);
  const kubeconfig = path.join(s.dir, 'kubelet.kubeconfig');
  writeFileSync(kubeconfig, YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: o.server, 'certificate-authority': o.pki.caCert } }],
    users: [{ name: s.name,
      user: { 'client-certificate': pkiFile(`${subjectName}-client.crt`),
        'client-key': pkiFile(`${subjectName}-client.key`) } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: s.name } }],
    'current-context': 'local',
  }), { mode: 0o600 });
  writeFileSync(path.join(s.dir, 'containerd.toml'), containerdConfig(s, o.bin));
  mkdirSync(path.join(s.dir, 'certs.d', '_default'), { recursive: true });
  writeFileSync(path.join(s.dir, 'certs.d', '_default', 'hosts.toml'),
    `server = "${NO_REGISTRY}"\n\n[host."${NO_REGISTRY}"]\n  capabilities = ["pull", "resolve"]\n`);
  writeFileSync(path.join(s.dir, 'kubelet.yaml'),
    kubeletConfig(s, o.pki, { cert: pkiFile(`${subjectName}-serving.crt`),
      key: pkiFile(`${subjectName}-serving.key`) }));
  writeFileSync(path.join(s.dir, 'net.d', '10-bridge.conflist'), bridgeConflist(s));

  const mounts = NODE_MOUNTS.map(([src, target]) => `mount --bind ${JSON.stringify(path.join(s.dir, src))} ${target}`);
  // Shared within the node's namespace, as systemd makes a real node's root: Bidirectional (upstream's
  // install-multus-binary) and HostToContainer (the thick daemon's /hostroot) need it. The host's mounts are copies
  // made by unshare: nothing propagates back to them.
  mounts.push('mount --make-rshared /');
  const script = [
    'set -e',
    ...mounts,
    `export PATH=${JSON.stringify(o.bin)}:$PATH`,
    `containerd --config ${JSON.stringify(path.join(s.dir, 'containerd.toml'))} ` +
    `>>${JSON.stringify(path.join(o.logDir, `${s.name}-containerd.log`))} 2>&1 &`,
    `i=0; while [ ! -S ${JSON.stringify(socketPath(s))} ]; do i=$((i+1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done`,
    `exec kubelet --config=${JSON.stringify(path.join(s.dir, 'kubelet.yaml'))} ` +
    `--kubeconfig=${JSON.stringify(kubeconfig)} --hostname-override=${s.name} --node-ip=${s.nodeIP} ` +
    `--node-labels=sim.mtr.local/multus-flavour=real,mtr.local/real-node=true --v=1`,
  ].join('\n');
  writeFileSync(path.join(s.dir, 'launch.sh'), script + '\n', { mode: 0o755 });
  return { command: 'unshare', args: ['-m', '--propagation', 'slave', 'sh', path.join(s.dir, 'launch.sh')] };
}
