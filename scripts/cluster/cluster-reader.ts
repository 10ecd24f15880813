// The narrow door through which the scan reads the cluster. One implementation on client-node (below); unit tests
// use the in-memory fake of the same interface in test/unit/support/fake-cluster.ts. Raw API objects stop here or in
// scan/to-facts.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, type CoreV1Event, OpenidApi, PolicyV1Api, WellKnownApi, type KubeConfig, type V1Node,
  type V1Pod, type V1PodDisruptionBudget, type V1StatefulSet, type V1TokenReview } from '@kubernetes/client-node';
import type { NodeSelectorTermFacts, ReviewVerdict } from '../model.ts';
import { podIsReady } from '../shared/pods.ts';
import { describeError, isConflict, isNetworkError, orUndefinedOn404 } from './api-errors.ts';
import { execRead, sharedExec, type ExecReadResult } from './exec-read.ts';
import { paged } from './paged-list.ts';
import { READER_CONTAINER, readerPod, readerPodName, type ReaderPodInput } from './reader-pod.ts';
import { rawLister, rawRequester } from './raw-list.ts';
import { withRetry } from './retry.ts';
import { waitForPod } from './wait-for-pod.ts';

/** The reader pod's shape (reader-pod.ts) and how much of the file to read through it. */
export interface ReaderPodSpec extends ReaderPodInput {
  maxBytes: number;
}

export interface ClusterReader {
  listPods(opts: { namespace?: string; labelSelector?: string; fieldSelector?: string },
    /** Each page as it arrives; `restarted` when the list began again after a 410 (drop what was kept). */
    onPage?: (pods: V1Pod[], restarted: boolean) => void): Promise<V1Pod[]>;
  listNodes(): Promise<V1Node[]>;
  listPdbs(): Promise<V1PodDisruptionBudget[]>;
  /**
   * The node affinity of the volume a PersistentVolumeClaim is bound to ([] when it has none); undefined when the claim
   * or its volume cannot be read. Optional: without it, a pod's claims on a cordoned node are taken as pinning it.
   */
  claimNodeTerms?(namespace: string, claim: string): Promise<NodeSelectorTermFacts[] | undefined>;
  /**
   * A StatefulSet (undefined when it does not exist; throws when it cannot be read). Optional: without it, the pods of
   * StatefulSets are not evicted (the revision they would come back from is unknown).
   */
  statefulSet?(namespace: string, name: string): Promise<V1StatefulSet | undefined>;
  execRead(
    opts: { namespace: string; pod: string; container: string; path: string; timeoutMs: number; maxBytes: number },
  ): Promise<ExecReadResult>;
  readViaReaderPod(spec: ReaderPodSpec): Promise<ExecReadResult>;
  jwks(): Promise<unknown>;
  /** The service-account issuer the API server announces (/.well-known/openid-configuration). */
  issuer(): Promise<string | undefined>;
  review(token: string): Promise<ReviewVerdict>;
  serviceAccountUid(namespace: string, name: string): Promise<string | undefined>;
  /** A ConfigMap's data (the facts of the last reads); undefined when it does not exist. Optional: none, no reuse. */
  configMapData?(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /**
   * The kubelet's FailedCreatePodSandBox Events, cluster-wide (one list by reason; `involvedObject.name` narrows it to
   * one pod). Optional: without it, no pod is known to be stuck by a rejected token.
   */
  listSandboxFailures?(opts?: { namespace?: string; pod?: string }): Promise<CoreV1Event[]>;
}

const PAGE = 500;

export function kubeClusterReader(kc: KubeConfig): ClusterReader {
  const core = kc.makeApiClient(CoreV1Api);
  const policy = kc.makeApiClient(PolicyV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const openid = kc.makeApiClient(OpenidApi);
  const wellKnown = kc.makeApiClient(WellKnownApi);
  const exec = sharedExec(kc);

  // Pods and nodes — the big lists — are read as plain JSON (raw-list.ts: measured, client-node's deserializer
  // dominated them); everything else goes through client-node's API classes.
  const request = rawRequester(kc);
  const raw = rawLister(kc, request);

  return {
    listPods(opts, onPage) {
      const path = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods` : '/api/v1/pods';
      return paged(
        (cont) =>
          raw<V1Pod>(path, { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector, limit: PAGE,
            continue: cont }),
        onPage,
      );
    },
    listNodes() {
      return paged((cont) => raw<V1Node>('/api/v1/nodes', { limit: PAGE, continue: cont }));
    },
    listPdbs() {
      return paged((cont) => policy.listPodDisruptionBudgetForAllNamespaces({ limit: PAGE, _continue: cont }));
    },
    listSandboxFailures(opts = {}) {
      const fieldSelector = `reason=FailedCreatePodSandBox${opts.pod ? `,involvedObject.name=${opts.pod}` : ''}`;
      const path = opts.namespace ? `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/events`
        : '/api/v1/events';
      return paged((cont) => raw<CoreV1Event>(path, { fieldSelector, limit: PAGE, continue: cont }));
    },
    async claimNodeTerms(namespace, claim) {
      try {
        const pvc = await withRetry(() => core.readNamespacedPersistentVolumeClaim({ name: claim, namespace }));
        const volume = pvc.spec?.volumeName;
        if (!volume) return []; // not bound (yet): the scheduler binds it where the pod goes
        const pv = await withRetry(() => core.readPersistentVolume({ name: volume }));
        return (pv.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? []).map((t) => ({
          ...(t.matchExpressions
            ? {
              matchExpressions: t.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, values: e.values })),
            } : {}),
          ...(t.matchFields
            ? { matchFields: t.matchFields.map((e) => ({ key: e.key, operator: e.operator, values: e.values })) } : {}),
        }));
      } catch {
        return undefined;
      }
    },
    statefulSet: (namespace, name) =>
      orUndefinedOn404(withRetry(() => apps.readNamespacedStatefulSet({ name, namespace }))),
    async execRead(o) {
      // A dropped stream or a refused connection is tried again (a few times); a command that failed is not.
      let result: ExecReadResult = { ok: false, kind: 'failed', reason: 'not tried' };
      for (let attempt = 1; attempt <= 4; attempt++) {
        result = await execRead(exec, { namespace: o.namespace, pod: o.pod, container: o.container,
          command: ['cat', o.path], timeoutMs: o.timeoutMs, maxBytes: o.maxBytes });
        const transient = !result.ok && (result.kind === 'no-status' ||
          (result.kind === 'failed' && isNetworkError(result.reason)));
        if (!transient) return result;
        await sleep(500 * attempt);
      }
      return result;
    },
    async readViaReaderPod(spec) {
      const name = readerPodName();
      const started = Date.now();
      try {
        // A create retried after a lost answer finds its own pod (the name is ours alone): that is success.
        await withRetry(() =>
          core.createNamespacedPod({
            namespace: spec.namespace,
            body: readerPod({ namespace: spec.namespace, node: spec.node, image: spec.image, hostPath: spec.hostPath,
              mountPath: spec.mountPath, filePath: spec.filePath, timeoutMs: spec.timeoutMs }, name),
          }).catch((err: unknown) => {
            if (!isConflict(err)) throw err;
          })
        );
        await waitForPod(kc, {
          namespace: spec.namespace,
          name,
          timeoutMs: spec.timeoutMs,
          what: `reader pod ${spec.namespace}/${name}`,
          until: (s) => s.present && (podIsReady(s.pod) || s.pod.status?.phase === 'Failed'),
        });
        const left = Math.max(1000, spec.timeoutMs - (Date.now() - started));
        return await execRead(exec, { namespace: spec.namespace, pod: name, container: READER_CONTAINER,
          command: ['cat', spec.filePath], timeoutMs: left, maxBytes: spec.maxBytes });
      } catch (err) {
        return { ok: false, kind: 'failed', reason: `reader pod on ${spec.node}: ${describeError(err)}` };
      } finally {
        await core.deleteNamespacedPod({ name, namespace: spec.namespace, gracePeriodSeconds: 0 }).catch(() =>
          undefined
        );
      }
    },
    async jwks() {
      return await withRetry(() => openid.getServiceAccountIssuerOpenIDKeyset());
    },
    async issuer() {
      // Typed as a string, returned parsed (like the JWKS): accept either.
      const doc = await withRetry(() => wellKnown.getServiceAccountIssuerOpenIDConfiguration()) as unknown;
      const parsed = (typeof doc === 'string' ? JSON.parse(doc) : doc) as { issuer?: unknown };
      return typeof parsed.issuer === 'string' ? parsed.issuer : undefined;
    },
    async review(token) {
      try {
        // Plain JSON (raw-list.ts): one per node, a measured hot path. The token is only ever in the request body.
        const r = await withRetry(() =>
          request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {}, { apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview', spec: { token } })
        ) as V1TokenReview;
        if (r.status?.authenticated) {
          return { status: 'authenticated', username: r.status.user?.username ?? '' };
        }
        return { status: 'rejected', reason: r.status?.error || 'the API server does not accept the token' };
      } catch (err) {
        return { status: 'unchecked', reason: `TokenReview failed: ${describeError(err)}` };
      }
    },
    async serviceAccountUid(namespace, name) {
      const sa = await orUndefinedOn404(withRetry(() => core.readNamespacedServiceAccount({ name, namespace })));
      return sa?.metadata?.uid;
    },
    async configMapData(namespace, name) {
      const cm = await orUndefinedOn404(withRetry(() => core.readNamespacedConfigMap({ name, namespace })));
      return cm === undefined ? undefined : cm.data ?? {};
    },
  };
}
