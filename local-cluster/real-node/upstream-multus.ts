// Upstream's Multus deployment manifests, as shipped in the Multus module (deployments/*.yml; images/*.yml in 3.7),
// made to run on the
// real nodes. Changed, and only this:
//   - the image: the locally built one (images.ts), as no registry is reached;
//   - the API server address: KUBERNETES_SERVICE_HOST=::1 and the local port (Multus writes https://[host]:port into
//     the node's kubeconfig; the kubelet would inject the service IP, which is not reachable here);
//   - the DaemonSet's name (suffix `-real`) and a nodeSelector for the real nodes: the simulated nodes' DaemonSet
//     (manifests/multus.yaml) keeps its name and its nodes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

export const REAL_NODE_SELECTOR = { 'mtr.local/real-node': 'true' } as const;
export const REAL_DAEMONSET_SUFFIX = '-real';

/** The source directory of a Go module in the module cache (downloaded through the Go module proxy if missing). */
function moduleDir(mod: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', mod], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GOFLAGS: '-mod=mod' } }).toString();
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${mod}: no source directory`);
  return dir;
}

interface Container {
  image?: string;
  env?: { name: string; value: string }[];
}

interface DaemonSet {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: { nodeSelector?: Record<string, string>; containers: Container[]; initContainers?: Container[] };
    };
  };
}

/**
 * Upstream's `<file>` of Multus `version` (e.g. v4.2.2, deployments/multus-daemonset.yml: the thin plugin), with
 * every Multus image replaced by `image` and the changes above. Returns the YAML documents, ready to apply.
 */
export function upstreamManifest(o: { version: string; file: string; image: string; apiserverPort: number }): string {
  const major = /^v(\d+)\./.exec(o.version)?.[1];
  if (!major) throw new Error(`Multus version ${o.version} is not vX.Y.Z`);
  const dir = moduleDir(`gopkg.in/k8snetworkplumbingwg/multus-cni.v${major}@${o.version}`);
  const docs = YAML.parseAllDocuments(readFileSync(path.join(dir, o.file), 'utf8'));
  const out: string[] = [];
  for (const doc of docs) {
    const obj = doc.toJS() as DaemonSet | null;
    if (!obj?.kind) continue;
    if (obj.kind === 'DaemonSet') {
      obj.metadata.name += REAL_DAEMONSET_SUFFIX;
      const pod = obj.spec.template.spec;
      pod.nodeSelector = { ...pod.nodeSelector, ...REAL_NODE_SELECTOR };
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        if (c.image?.includes('multus')) c.image = o.image;
        c.env = [...(c.env ?? []).filter((e) => !e.name.startsWith('KUBERNETES_SERVICE_')), {
          name: 'KUBERNETES_SERVICE_HOST',
          value: '::1',
        }, { name: 'KUBERNETES_SERVICE_PORT', value: String(o.apiserverPort) }];
      }
    }
    out.push(YAML.stringify(obj));
  }
  return out.join('---\n');
}
