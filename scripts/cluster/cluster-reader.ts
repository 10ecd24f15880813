// The narrow door through which the scan reads the cluster. One implementation on client-node (below); unit tests
// use an in-memory fake of the same interface. Raw API objects stop here or in scan/to-facts.ts.
import { randomBytes } from 'node:crypto';
import {
  AuthenticationV1Api, CoreV1Api, OpenidApi, PolicyV1Api, type KubeConfig, type V1Node, type V1Pod,
  type V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import type { ReviewVerdict } from '../model.ts';
import { describeError, execRead, type ExecReadResult } from './exec-read.ts';
import { podReady, waitForPod } from './wait-for-pod.ts';

export interface ReaderPodSpec {
  namespace: string;
  node: string;
  image: string;
  /** The Multus pod's hostPath volume that holds the file, mounted read-only at the same path. */
  hostPath: string;
  mountPath: string;
  filePath: string;
  timeoutMs: number;
  maxBytes: number;
}

export interface ClusterReader {
  listPods(opts: { namespace?: string; labelSelector?: string; fieldSelector?: string },
    onPage?: (pods: V1Pod[]) => void): Promise<V1Pod[]>;
  listNodes(): Promise<V1Node[]>;
  listPdbs(): Promise<V1PodDisruptionBudget[]>;
  execRead(opts: { namespace: string; pod: string; container: string; path: string; timeoutMs: number;
    maxBytes: number }): Promise<ExecReadResult>;
  readViaReaderPod(spec: ReaderPodSpec): Promise<ExecReadResult>;
  jwks(): Promise<unknown>;
  review(token: string): Promise<ReviewVerdict>;
  serviceAccountUid(namespace: string, name: string): Promise<string | undefined>;
}

const PAGE = 500;

export function kubeClusterReader(kc: KubeConfig): ClusterReader {
  const core = kc.makeApiClient(CoreV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const openid = kc.makeApiClient(OpenidApi);

  /** Pages through a list; a 410 (continue token expired) restarts the list from the beginning. */
  async function paged<T>(fetchPage: (cont?: string) => Promise<{ items: T[]; metadata?: { _continue?: string } }>,
    onPage?: (items: T[]) => void): Promise<T[]> {
    for (let attempt = 0; ; attempt++) {
      const all: T[] = [];
      let cont: string | undefined;
      try {
        do {
          const page = await fetchPage(cont);
          if (onPage) onPage(page.items);
          else all.push(...page.items);
          cont = page.metadata?._continue || undefined;
        } while (cont);
        return all;
      } catch (err) {
        if ((err as { code?: number }).code === 410 && attempt < 3) continue;
        throw err;
      }
    }
  }

  return {
    listPods(opts, onPage) {
      return paged((cont) => opts.namespace
        ? core.listNamespacedPod({ namespace: opts.namespace, labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector, limit: PAGE, _continue: cont })
        : core.listPodForAllNamespaces({ labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector,
          limit: PAGE, _continue: cont }), onPage);
    },
    listNodes() {
      return paged((cont) => core.listNode({ limit: PAGE, _continue: cont }));
    },
    listPdbs() {
      return paged((cont) => policy.listPodDisruptionBudgetForAllNamespaces({ limit: PAGE, _continue: cont }));
    },
    execRead(o) {
      return execRead(kc, { namespace: o.namespace, pod: o.pod, container: o.container, command: ['cat', o.path],
        timeoutMs: o.timeoutMs, maxBytes: o.maxBytes });
    },
    async readViaReaderPod(spec) {
      const name = `mtr-reader-${randomBytes(4).toString('hex')}`;
      const started = Date.now();
      try {
        await core.createNamespacedPod({
          namespace: spec.namespace,
          body: {
            metadata: {
              name,
              labels: { 'app.kubernetes.io/name': 'multus-token-rotator-reader',
                'app.kubernetes.io/managed-by': 'multus-token-rotator' },
            },
            spec: {
              nodeName: spec.node, // placed directly: the scheduler is not needed and taints do not apply
              restartPolicy: 'Never',
              activeDeadlineSeconds: Math.max(30, Math.ceil(spec.timeoutMs / 1000) * 4), // gone even if we die
              automountServiceAccountToken: false,
              tolerations: [{ operator: 'Exists' }],
              containers: [{
                name: 'reader',
                image: spec.image,
                command: ['sleep', String(Math.max(30, Math.ceil(spec.timeoutMs / 1000) * 4))],
                resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '50m', memory: '32Mi' } },
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] } },
                volumeMounts: [{ name: 'cni', mountPath: spec.mountPath, readOnly: true }],
              }],
              volumes: [{ name: 'cni', hostPath: { path: spec.hostPath, type: 'Directory' } }],
            },
          },
        });
        await waitForPod(kc, {
          namespace: spec.namespace, name, timeoutMs: spec.timeoutMs, what: `reader pod ${spec.namespace}/${name}`,
          until: (s) => s.present && (podReady(s.pod) || s.pod.status?.phase === 'Failed'),
        });
        const left = Math.max(1000, spec.timeoutMs - (Date.now() - started));
        return await execRead(kc, { namespace: spec.namespace, pod: name, container: 'reader',
          command: ['cat', spec.filePath], timeoutMs: left, maxBytes: spec.maxBytes });
      } catch (err) {
        return { ok: false, kind: 'failed', reason: `reader pod on ${spec.node}: ${describeError(err)}` };
      } finally {
        await core.deleteNamespacedPod({ name, namespace: spec.namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
      }
    },
    async jwks() {
      return await openid.getServiceAccountIssuerOpenIDKeyset();
    },
    async review(token) {
      try {
        const r = await authn.createTokenReview({ body: { spec: { token } } });
        if (r.status?.authenticated) {
          return { status: 'authenticated', username: r.status.user?.username ?? '' };
        }
        return { status: 'rejected', reason: r.status?.error || 'the API server does not accept the token' };
      } catch (err) {
        return { status: 'unchecked', reason: `TokenReview failed: ${describeError(err)}` };
      }
    },
    async serviceAccountUid(namespace, name) {
      try {
        const sa = await core.readNamespacedServiceAccount({ name, namespace });
        return sa.metadata?.uid;
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
    },
  };
}
