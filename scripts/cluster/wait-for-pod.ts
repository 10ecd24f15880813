// Waits, by watching, until one pod satisfies a predicate (or is gone). A watch that ends — a timeout, a 410, a
// dropped connection — is re-established from a fresh read; no fixed-interval polling.
import { CoreV1Api, Watch, type KubeConfig, type V1Pod } from '@kubernetes/client-node';

export type PodState = { present: true; pod: V1Pod } | { present: false };

export async function waitForPod(kc: KubeConfig, opts: {
  namespace: string;
  name: string;
  until: (s: PodState) => boolean;
  timeoutMs: number;
  what: string;
}): Promise<PodState> {
  const core = kc.makeApiClient(CoreV1Api);
  const watch = new Watch(kc);
  const deadline = Date.now() + opts.timeoutMs;
  while (Date.now() < deadline) {
    // Read first: the state may already satisfy the wait, and the read gives the resourceVersion to watch from.
    let state: PodState;
    let resourceVersion: string | undefined;
    try {
      const list = await core.listNamespacedPod({
        namespace: opts.namespace, fieldSelector: `metadata.name=${opts.name}`,
      });
      resourceVersion = list.metadata?.resourceVersion;
      const pod = list.items[0];
      state = pod ? { present: true, pod } : { present: false };
    } catch (err) {
      if (Date.now() + 500 >= deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    if (opts.until(state)) return state;
    const left = deadline - Date.now();
    if (left <= 0) break;
    const result = await new Promise<PodState | undefined>((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      const finish = (v: PodState | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        controller?.abort();
        resolve(v);
      };
      const timer = setTimeout(() => finish(undefined), Math.min(left, 60_000));
      watch.watch(`/api/v1/namespaces/${opts.namespace}/pods`, {
        fieldSelector: `metadata.name=${opts.name}`,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.max(1, Math.ceil(Math.min(left, 60_000) / 1000)),
      }, (phase, obj: V1Pod) => {
        if (phase === 'BOOKMARK' || phase === 'ERROR') {
          if (phase === 'ERROR') finish(undefined); // e.g. 410 Gone: read again
          return;
        }
        const s: PodState = phase === 'DELETED' ? { present: false } : { present: true, pod: obj };
        if (opts.until(s)) finish(s);
      }, () => finish(undefined)).then((c) => {
        controller = c;
        if (settled) c.abort();
      }, () => finish(undefined));
    });
    if (result) return result;
  }
  throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}`);
}

export function podReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}
