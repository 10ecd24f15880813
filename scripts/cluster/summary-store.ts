// The summary ConfigMap: read the previous data, build the new data from it, write it back. Optimistic
// concurrency: a write that conflicts (another run wrote in between) re-reads and rebuilds, so no run's history
// entry is lost.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { isConflict, orUndefinedOn404 } from './api-errors.ts';
import { withRetry } from './retry.ts';

export type BuildData = (previous: Record<string, string> | undefined) => Record<string, string>;

/** What a ConfigMap of the rotator holds: the run summary, or the facts of the last reads (scan/known-store.ts). */
export type ConfigMapComponent = 'summary' | 'facts';

/** Where the rotator's ConfigMaps are kept: what a run is given (run-once.ts), not the cluster connection behind it. */
export interface SummaryStore {
  /** Reads the ConfigMap's data, builds the new data from it (`build`), and writes it back. */
  write(namespace: string, name: string, build: BuildData, component?: ConfigMapComponent): Promise<void>;
}

/** The ConfigMaps on the cluster `kc` connects to. */
export function kubeSummaryStore(kc: KubeConfig): SummaryStore {
  return { write: (namespace, name, build, component) => upsertSummary(kc, namespace, name, build, component) };
}

async function upsertSummary(kc: KubeConfig, namespace: string, name: string, build: BuildData,
  component: ConfigMapComponent = 'summary', attempts = 5): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const labels = { 'app.kubernetes.io/name': 'multus-token-rotator', 'app.kubernetes.io/component': component };
  for (let attempt = 1;; attempt++) {
    try {
      const current = await orUndefinedOn404(withRetry(() => core.readNamespacedConfigMap({ name, namespace })));
      const data = build(current?.data);
      if (current) {
        const body = { metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...labels } }, data };
        await withRetry(() => core.replaceNamespacedConfigMap({ name, namespace, body }));
      } else {
        await withRetry(() =>
          core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace, labels }, data } })
        );
      }
      return;
    } catch (err) {
      if (isConflict(err) && attempt < attempts) continue; // conflict or created meanwhile: read again
      throw err;
    }
  }
}
