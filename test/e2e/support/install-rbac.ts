// rbac.yaml installed as its header says: into another namespace by the same two substitutions as its `sed` line
// (every "namespace: multus-token-rotator", and the Namespace's name), with the Multus layout written into its
// ConfigMap and the Role and RoleBinding marked "Multus namespace" moved to the layout's namespace.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { kubectlPath, repoRoot } from '../../../local-cluster/cluster.ts';
import type { ClusterEnv } from '../../../local-cluster/seed/cluster-env.ts';

export type Layout = Record<
  | 'MTR_NAMESPACE'
  | 'MTR_SELECTOR'
  | 'MTR_DAEMONSETS'
  | 'MTR_CONTAINER'
  | 'MTR_KUBECONFIG_PATH'
  | 'MTR_HOST_DIR'
  | 'MTR_READER_IMAGE',
  string
>;

export interface InstallOptions {
  layout?: Partial<Layout>;
  /** Leave the bindings' paramRef.namespace as shipped (what kustomize's `namespace:` does to cluster-scoped objects). */
  keepParamRefNamespace?: boolean;
}

/** rbac.yaml's text for `jobNamespace`, as the README's sed line makes it, then the layout. */
export function rbacFor(jobNamespace: string, opts: InstallOptions = {}): string {
  let text = readFileSync(path.join(repoRoot, 'rbac.yaml'), 'utf8')
    .replace(/^(\s*name: +)multus-token-rotator( +# the job.s namespace)$/gm, `$1${jobNamespace}$2`);
  text = opts.keepParamRefNamespace
    ? text.replace(/^(\s*namespace: +)multus-token-rotator$/gm,
      (line, lead: string, offset: number) =>
        /paramRef:\s*\n\s*name: multus-token-rotator-layout\s*\n$/.test(text.slice(Math.max(0, offset - 80), offset))
          ? line : `${lead}${jobNamespace}`)
    : text.replace(/^(\s*namespace: +)multus-token-rotator$/gm, `$1${jobNamespace}`);
  const docs = YAML.parseAllDocuments(text);
  const layoutNs = opts.layout?.MTR_NAMESPACE;
  for (const d of docs) {
    const o = d.toJSON() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
    if (o?.kind === 'ConfigMap' && o.metadata?.name === 'multus-token-rotator-layout') {
      for (const [k, v] of Object.entries(opts.layout ?? {})) d.setIn(['data', k], v);
    }
    if (layoutNs && (o?.kind === 'Role' || o?.kind === 'RoleBinding') && o.metadata?.namespace === 'kube-system') {
      d.setIn(['metadata', 'namespace'], layoutNs);
    }
  }
  return docs.map((d) => d.toString()).join('---\n');
}

export function installRbac(env: ClusterEnv, jobNamespace: string, opts: InstallOptions = {}): void {
  execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', '-'], {
    input: rbacFor(jobNamespace, opts),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** rbac.yaml as shipped (the namespace multus-token-rotator), as the other tests expect it. */
export function installShippedRbac(env: ClusterEnv): void {
  execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', path.join(repoRoot, 'rbac.yaml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
