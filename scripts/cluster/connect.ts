// Builds the client configuration: a kubeconfig (local runs) or the pod's service account (in-cluster runs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { certificateFailure } from './api-errors.ts';
import { PooledKubeConfig } from './pooled-kube-config.ts';

export interface Connection {
  kc: KubeConfig;
  via: 'local' | 'in-cluster';
  /** The namespace of the kubeconfig's context, or the pod's own namespace in-cluster. */
  namespace: string;
  /** Who we are, for the summary (a context and user name, or the service account). */
  identity: string;
}

export interface ConnectOptions {
  inCluster: boolean;
  kubeconfig?: string;
  context?: string;
  /**
   * Root under which /var/run/secrets/kubernetes.io/serviceaccount is found in-cluster; "" in a real pod. Tests point
   * it at a directory holding another service account's token to run the in-cluster path from outside a pod.
   */
  serviceAccountRoot?: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function connect(opts: ConnectOptions): Connection {
  const kc = new PooledKubeConfig();
  if (opts.inCluster) {
    const root = opts.serviceAccountRoot ?? '';
    kc.loadFromCluster(root || undefined);
    const nsFile = path.join(root, SA_DIR, 'namespace');
    let namespace = 'default';
    try {
      namespace = readFileSync(nsFile, 'utf8').trim() || 'default';
    } catch {
      // not in a pod after all: keep "default"
    }
    return { kc, via: 'in-cluster', namespace, identity: 'in-cluster service account' };
  }
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else kc.loadFromDefault();
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new Error(`--context ${opts.context}: no such context in the kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(opts.context);
  }
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (!kc.getCurrentCluster()) {
    throw new Error(
      'the kubeconfig has no current cluster: pass --kubeconfig FILE and --context NAME, or set KUBECONFIG',
    );
  }
  return {
    kc,
    via: 'local',
    namespace: ctx?.namespace ?? 'default',
    identity: `context ${kc.getCurrentContext()}${ctx?.user ? ` (user ${ctx.user})` : ''}`,
  };
}

/**
 * One line for a request that never got an answer because the server's certificate did not verify: which server, which
 * context, and what to check. Undefined when `err` is not a certificate failure.
 */
export function describeCertificateFailure(err: unknown, kc: KubeConfig): string | undefined {
  const failure = certificateFailure(err);
  if (failure === undefined) return undefined;
  const server = kc.getCurrentCluster()?.server ?? 'the API server';
  return `the certificate check failed for ${server} (context ${
    kc.getCurrentContext() || 'in-cluster'
  }): ${failure}; ` +
    "the kubeconfig's certificate-authority(-data) for this cluster does not match the certificate the server " +
    'presents: check that the context points at the right server and its CA is current';
}
