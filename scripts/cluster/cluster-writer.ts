// The narrow door through which the executor changes the cluster: restart a Multus pod (delete; its DaemonSet
// recreates it), evict a workload pod (never delete: the Eviction API enforces budgets), leave an Event, and wait by
// watching. Each answer is data the executor can decide on; nothing here retries an eviction on its own.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  CoreV1Api, EventsV1Api, V1MicroTime, type KubeConfig, type V1ObjectReference, type V1Pod,
} from '@kubernetes/client-node';
import { describeError } from './exec-read.ts';
import { isTransient, withRetry } from './retry.ts';
import { waitForPods, type WaitPodsOptions } from './wait-for-pod.ts';

export type EvictAnswer =
  | { kind: 'accepted' }
  | { kind: 'not-found' }
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
  evict(namespace: string, name: string, dryRun: boolean): Promise<EvictAnswer>;
  waitForPods<T>(opts: WaitPodsOptions<T>): Promise<T>;
  readPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  /** Throws when the Event cannot be written; callers decide whether that matters (it never stops a run). */
  event(spec: EventSpec): Promise<void>;
}

function statusMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return describeError(err);
}

export function kubeClusterWriter(kc: KubeConfig, instance = hostname()): ClusterWriter {
  const core = kc.makeApiClient(CoreV1Api);
  const events = kc.makeApiClient(EventsV1Api);
  return {
    async deletePod(namespace, name, uid, dryRun) {
      try {
        // The UID precondition makes sure we delete the pod we judged, not a newer one of the same name. With a
        // body, the API server takes dryRun from the body's DeleteOptions, not from the query: set it there.
        await withRetry(() => core.deleteNamespacedPod({ name, namespace, dryRun: dryRun ? 'All' : undefined,
          body: { preconditions: { uid }, ...(dryRun ? { dryRun: ['All'] } : {}) } }));
        return 'deleted';
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404 || code === 409) return 'not-found';
        throw err;
      }
    },
    async evict(namespace, name, dryRun) {
      try {
        // Network failures and 5xx are retried here; a 429 is the caller's to judge (budgets, Retry-After). A retry
        // after a lost answer is safe: a pod already evicted answers 404, "already gone".
        await withRetry(() => core.createNamespacedPodEviction({ name, namespace, dryRun: dryRun ? 'All' : undefined,
          body: { metadata: { name, namespace }, ...(dryRun ? { deleteOptions: { dryRun: ['All'] } } : {}) } }),
        { retryOn: (err) => isTransient(err) && (err as { code?: unknown }).code !== 429 });
        return { kind: 'accepted' };
      } catch (err) {
        const code = (err as { code?: number }).code;
        const message = statusMessage(err);
        if (code === 404) return { kind: 'not-found' };
        if (code === 429) {
          const header = (err as { headers?: Record<string, string> }).headers?.['retry-after'];
          const seconds = header === undefined ? NaN : Number(header);
          return { kind: 'too-many-requests', message,
            ...(Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : {}) };
        }
        if (code === 500 && /more than one PodDisruptionBudget/i.test(message)) return { kind: 'several-budgets', message };
        return { kind: 'error', code, message };
      }
    },
    waitForPods: (opts) => waitForPods(kc, opts),
    async readPod(namespace, name) {
      try {
        return await withRetry(() => core.readNamespacedPod({ name, namespace }));
      } catch (err) {
        if ((err as { code?: number }).code === 404) return undefined;
        throw err;
      }
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
