// The narrow door through which the executor changes the cluster: restart a Multus pod (delete; its DaemonSet
// recreates it), evict a workload pod (never delete: the Eviction API enforces budgets), leave an Event, and wait by
// watching. Each answer is data the executor can decide on; nothing here retries an eviction on its own.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppsV1Api, CoreV1Api, EventsV1Api, V1MicroTime, type KubeConfig, type V1ControllerRevision, type V1DaemonSet,
  type V1ObjectReference, type V1Pod } from '@kubernetes/client-node';
import { describeError, isConflict, isNotFound, isSeveralBudgets, isTooManyRequests, isTransient, retryAfterSeconds,
  orUndefinedOn404, statusCode } from './api-errors.ts';
import { withRetry } from './retry.ts';
import { waitForPods, type WaitPodsOptions } from './wait-for-pod.ts';

export type EvictAnswer =
  | { kind: 'accepted' }
  | { kind: 'not-found' }
  // 409 on the UID precondition: the pod of that name is another one now (deleted and recreated since the check)
  | { kind: 'replaced'; message: string }
  | { kind: 'too-many-requests'; retryAfterMs?: number; message: string }
  | { kind: 'several-budgets'; message: string }
  | { kind: 'error'; code?: number; message: string };

export interface EventSpec {
  regarding: V1ObjectReference;
  reason: string;
  note: string;
  type: 'Normal' | 'Warning';
  action: string;
}

export interface ClusterWriter {
  deletePod(namespace: string, name: string, uid: string, dryRun: boolean): Promise<'deleted' | 'not-found'>;
  /** Evicts the pod of that name only if it still has `uid` (a precondition, as deletePod has). */
  evict(namespace: string, name: string, uid: string, dryRun: boolean): Promise<EvictAnswer>;
  waitForPods<T>(opts: WaitPodsOptions<T>): Promise<T>;
  readPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /**
   * How many pods a workload controller wants (spec.replicas of a ReplicaSet or StatefulSet); undefined for other
   * kinds, or when it is gone or cannot be read (the caller then judges by the pods it sees).
   */
  desiredReplicas(kind: string, namespace: string, name: string): Promise<number | undefined>;
  /** The Multus pod's DaemonSet, or undefined when it does not exist. */
  readDaemonSet(namespace: string, name: string): Promise<V1DaemonSet | undefined>;
  /** The ControllerRevisions in a namespace (the caller keeps those its DaemonSet owns). */
  listControllerRevisions(namespace: string): Promise<V1ControllerRevision[]>;
  /** Throws when the Event cannot be written; callers decide whether that matters (it never stops a run). */
  event(spec: EventSpec): Promise<void>;
}

export function kubeClusterWriter(kc: KubeConfig, instance = hostname()): ClusterWriter {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  return {
    async deletePod(namespace, name, uid, dryRun) {
      try {
        // The UID precondition makes sure we delete the pod we judged, not a newer one of the same name. With a
        // body, the API server takes dryRun from the body's DeleteOptions, not from the query: set it there.
        await withRetry(() =>
          core.deleteNamespacedPod({ name, namespace, dryRun: dryRun ? 'All' : undefined,
            body: { preconditions: { uid }, ...(dryRun ? { dryRun: ['All'] } : {}) } })
        );
        return 'deleted';
      } catch (err) {
        if (isNotFound(err) || isConflict(err)) return 'not-found';
        throw err;
      }
    },
    async evict(namespace, name, uid, dryRun) {
      try {
        // Network failures and 5xx are retried here; a 429 is the caller's to judge (budgets, Retry-After). A retry
        // after a lost answer is safe: a pod already evicted answers 404, "already gone". The UID precondition makes
        // sure we evict the pod we judged, not a newer one of the same name (409).
        await withRetry(
          () =>
            core.createNamespacedPodEviction({ name, namespace, dryRun: dryRun ? 'All' : undefined,
              body: { metadata: { name, namespace },
                deleteOptions: { preconditions: { uid }, ...(dryRun ? { dryRun: ['All'] } : {}) } } }),
          { retryOn: (err) => isTransient(err) && !isTooManyRequests(err) },
        );
        return { kind: 'accepted' };
      } catch (err) {
        const message = describeError(err);
        if (isNotFound(err)) return { kind: 'not-found' };
        if (isConflict(err)) return { kind: 'replaced', message };
        if (isTooManyRequests(err)) {
          const seconds = retryAfterSeconds(err);
          return { kind: 'too-many-requests', message,
            ...(seconds !== undefined ? { retryAfterMs: seconds * 1000 } : {}) };
        }
        if (isSeveralBudgets(err)) return { kind: 'several-budgets', message };
        return { kind: 'error', code: statusCode(err), message };
      }
    },
    waitForPods: (opts) => waitForPods(kc, opts),
    readPod: (namespace, name) => orUndefinedOn404(withRetry(() => core.readNamespacedPod({ name, namespace }))),
    async desiredReplicas(kind, namespace, name) {
      try {
        if (kind === 'ReplicaSet') {
          return (await withRetry(() => apps.readNamespacedReplicaSet({ name, namespace }))).spec?.replicas ?? 1;
        }
        if (kind === 'StatefulSet') {
          return (await withRetry(() => apps.readNamespacedStatefulSet({ name, namespace }))).spec?.replicas ?? 1;
        }
      } catch {
        // gone, or not readable (older RBAC): judged by the pods alone
      }
      return undefined;
    },
    readDaemonSet: (namespace, name) =>
      orUndefinedOn404(withRetry(() => apps.readNamespacedDaemonSet({ name, namespace }))),
    async listControllerRevisions(namespace) {
      return (await withRetry(() => apps.listNamespacedControllerRevision({ namespace }))).items;
    },
    async event(spec) {
      const ns = spec.regarding.namespace || 'default'; // Nodes are cluster-scoped: their events go to default
      // Named like kubectl's events, <object>.<unique hex>: a generateName must itself be a valid name in 1.37.
      const name = `${(spec.regarding.name ?? 'object').slice(0, 200)}.${Date.now().toString(16)}` +
        randomBytes(4).toString('hex');
      await events.createNamespacedEvent({
        namespace: ns,
        body: {
          metadata: { name, namespace: ns },
          eventTime: new V1MicroTime(),
          reportingController: 'multus-token-rotator.io/rotator',
          reportingInstance: instance.slice(0, 128),
          action: spec.action,
          reason: spec.reason,
          note: spec.note.slice(0, 1000),
          type: spec.type,
          regarding: spec.regarding,
        },
      });
    },
  };
}
