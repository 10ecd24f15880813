// Waits, by watching, until the pods that match a selector satisfy a predicate. A watch that ends — its timeout, a
// 410, a dropped connection — is re-established from a fresh list; there is no fixed-interval polling, so a wait
// returns within milliseconds of the event it waits for. An AbortSignal ends the wait early (SIGTERM, lost lease).
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export type PodState = { present: true; pod: V1Pod } | { present: false };

export interface WaitPodsOptions<T> {
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Returns a value to end the wait with, or undefined to keep waiting. Sees every matching pod, by UID. */
  until: (pods: ReadonlyMap<string, V1Pod>) => T | undefined;
  timeoutMs: number;
  what: string;
  signal?: AbortSignal;
}

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

export class WaitAborted extends Error {
  override name = 'WaitAborted';
}

export async function waitForPods<T>(kc: KubeConfig, opts: WaitPodsOptions<T>): Promise<T> {
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const deadline = Date.now() + opts.timeoutMs;
  const aborted = () =>
    new WaitAborted(`stopped waiting for ${opts.what}: ${String(opts.signal?.reason ?? 'aborted')}`);
  while (Date.now() < deadline) {
    if (opts.signal?.aborted) throw aborted();
    const pods = new Map<string, V1Pod>();
    let resourceVersion: string | undefined;
    try {
      const list = await core.listNamespacedPod({ namespace: opts.namespace, labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector });
      resourceVersion = list.metadata?.resourceVersion;
      for (const p of list.items) if (p.metadata?.uid) pods.set(p.metadata.uid, p);
    } catch (err) {
      // A transient failure (API server restarting): try again shortly, within the deadline.
      if (Date.now() + 500 >= deadline) throw err;
      await sleep(500, undefined, { signal: opts.signal }).catch(() => undefined); // aborted: the loop says so
      continue;
    }
    const now = opts.until(pods);
    if (now !== undefined) return now;
    const left = deadline - Date.now();
    if (left <= 0) break;
    const result = await new Promise<{ value: T } | { aborted: true } | undefined>((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      const onAbort = () => finish({ aborted: true });
      const finish = (v: { value: T } | { aborted: true } | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve(v);
      };
      const slice = Math.min(left, 55_000); // client-node ends a silent watch after 30-60 s: restart it ourselves
      const timer = setTimeout(() => finish(undefined), slice);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      watch.watch(`/api/v1/namespaces/${opts.namespace}/pods`, {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.ceil(slice / 1000)),
      }, (phase: string, obj: V1Pod) => {
        const uid = obj?.metadata?.uid;
        if (phase === 'ERROR') return finish(undefined); // e.g. 410 Gone: list again
        if (phase === 'BOOKMARK' || !uid) return;
        if (phase === 'DELETED') pods.delete(uid);
        else pods.set(uid, obj);
        const v = opts.until(pods);
        if (v !== undefined) finish({ value: v });
      }, () => finish(undefined)).then((c) => {
        controller = c;
        if (settled) c.abort();
      }, () => finish(undefined));
    });
    if (result && 'value' in result) return result.value;
    if (result && 'aborted' in result) throw aborted();
  }
  throw new WaitTimeout(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}`);
}

/** Waits for one pod, by name, to satisfy `until` (it may be absent: NotFound is a state too). */
export async function waitForPod(kc: KubeConfig, opts: {
  namespace: string;
  name: string;
  until: (s: PodState) => boolean;
  timeoutMs: number;
  what: string;
  signal?: AbortSignal;
}): Promise<PodState> {
  return waitForPods(kc, {
    namespace: opts.namespace,
    fieldSelector: `metadata.name=${opts.name}`,
    timeoutMs: opts.timeoutMs,
    what: opts.what,
    signal: opts.signal,
    until: (pods) => {
      const pod = [...pods.values()][0];
      const s: PodState = pod ? { present: true, pod } : { present: false };
      return opts.until(s) ? s : undefined;
    },
  });
}
