// What the Multus 3.x thin entrypoint does for the bench's simulated nodes, for every Multus pod the DaemonSet
// controller creates: it gets a token bound to the pod (the entrypoint reads the kubelet's projected token; here a
// TokenRequest bound to the pod, 3607 s, extended by the API server as a projected token is), writes the node's
// kubeconfig (to a temporary file, then renamed, as the entrypoint does), and only then lets kwok mark the pod Ready
// (the annotation READY_GATE, which the bench's kwok pod-ready stage waits for). It also creates the pod's kwok Exec,
// so that `kubectl exec <pod> -- cat /host/etc/cni/net.d/…` reads this node's file (see per-node-files.ts).
// One watch on the Multus pods, in the bench process: at 1,000 nodes the simulated nodes' real Multus is not needed.
// startDelayMs models the container's start between binding and the entrypoint's write (the outage bench uses kwok's
// own "general" pod-ready timing: 1 s plus up to 5 s of jitter).
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type KubeConfig, KubernetesObjectApi, PatchStrategy, type V1Pod,
  Watch } from '@kubernetes/client-node';
import { multusKubeconfigText } from '../local-cluster/multus-kubeconfig.ts';
import { nodeKubeconfigFile } from '../local-cluster/node-paths.ts';
import { createPodExec, deletePodExec, kwokWorkDir } from './per-node-files.ts';

export const READY_GATE = 'mtr-bench/kubeconfig-written';

/** When a node's file was last written, and with a token of which service account (its UID, from the claims). */
export interface FileWrite {
  at: number;
  saUid: string;
  podUid: string;
}

export interface EntrypointSim {
  /** node → its last write. */
  writes: Map<string, FileWrite>;
  /** Nodes whose file holds a token of service account `saUid`. */
  freshCount: (saUid: string) => number;
  /** The last time a node's file got a token of `saUid` (undefined until every node in `nodes` has one). */
  allFreshAt: (saUid: string, nodes: readonly string[]) => number | undefined;
  errors: string[];
  stop: () => void;
}

function saUidOf(token: string): string {
  const payload = token.split('.')[1] ?? '';
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
    'kubernetes.io'?: { serviceaccount?: { uid?: string } };
  };
  return claims['kubernetes.io']?.serviceaccount?.uid ?? '';
}

export function startEntrypointSim(
  o: { kc: KubeConfig; root: string; server: string; caData: string; namespace: string; selector: string;
    concurrency?: number; log: (m: string) => void; /** From binding to the entrypoint's write (container start). */
    startDelayMs?: () => number },
): EntrypointSim {
  const core = o.kc.makeApiClient(CoreV1Api);
  const objects = KubernetesObjectApi.makeApiClient(o.kc);
  const writes = new Map<string, FileWrite>();
  const errors: string[] = [];
  const done = new Set<string>(); // pod UIDs handled
  const queue: V1Pod[] = [];
  let active = 0;
  let stopped = false;
  let controller: AbortController | undefined;
  const limit = o.concurrency ?? 32;

  async function handle(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const uid = pod.metadata?.uid ?? '';
    const node = pod.spec?.nodeName ?? '';
    const sa = pod.spec?.serviceAccountName ?? 'multus';
    const delay = o.startDelayMs?.() ?? 0;
    if (delay > 0) await sleep(delay);
    for (let attempt = 0;; attempt++) {
      try {
        const tr = await core.createNamespacedServiceAccountToken({ namespace: o.namespace, name: sa, body: {
          spec: { audiences: [], expirationSeconds: 3607,
            boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name, uid } },
        } });
        const token = tr.status?.token ?? '';
        const file = nodeKubeconfigFile(o.root, node);
        const tmp = path.join(path.dirname(file), `.multus.kubeconfig.${uid}`);
        writeFileSync(tmp, multusKubeconfigText({ token, server: o.server, caData: o.caData }), { mode: 0o600 });
        renameSync(tmp, file);
        writes.set(node, { at: Date.now(), saUid: saUidOf(token), podUid: uid });
        await createPodExec(o.kc, o.namespace, name, kwokWorkDir(node));
        await objects.patch({ apiVersion: 'v1', kind: 'Pod',
          metadata: { name, namespace: o.namespace, annotations: { [READY_GATE]: 'true' } } }, undefined, undefined,
          'mtr-bench-entrypoint', undefined, PatchStrategy.MergePatch);
        return;
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === 404) return; // the pod is gone already
        if (attempt >= 5) {
          errors.push(`${name}: ${(err as Error).message.slice(0, 200)}`);
          return;
        }
        await sleep(200 * (attempt + 1));
      }
    }
  }

  function pump(): void {
    while (active < limit && queue.length > 0) {
      const pod = queue.shift();
      if (!pod) break;
      active++;
      void handle(pod).finally(() => {
        active--;
        pump();
      });
    }
  }

  function seen(phase: string, pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    if (phase === 'DELETED') {
      void deletePodExec(o.kc, o.namespace, pod.metadata?.name ?? '').catch(() => undefined);
      return;
    }
    if (done.has(uid) || !pod.spec?.nodeName || pod.metadata?.deletionTimestamp) return;
    if (pod.metadata?.annotations?.[READY_GATE] === 'true') {
      done.add(uid);
      return;
    }
    done.add(uid);
    queue.push(pod);
    pump();
  }

  async function loop(): Promise<void> {
    const watch = new Watch(o.kc);
    while (!stopped) {
      try {
        const list = await core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.selector });
        for (const p of list.items) seen('ADDED', p);
        await new Promise<void>((resolve) => {
          void watch.watch(`/api/v1/namespaces/${o.namespace}/pods`, { labelSelector: o.selector,
            resourceVersion: list.metadata?.resourceVersion, timeoutSeconds: 50 }, (phase: string, obj: V1Pod) => {
            if (phase === 'ERROR') resolve();
            else seen(phase, obj);
          }, () => resolve()).then((c) => {
            controller = c;
            if (stopped) c.abort();
          }, () => resolve());
        });
      } catch (err) {
        if (!stopped) o.log(`entrypoint sim: ${(err as Error).message.slice(0, 200)}; listing again`);
        await sleep(500);
      }
    }
  }
  void loop();

  return {
    writes,
    errors,
    freshCount: (saUid) => [...writes.values()].filter((w) => w.saUid === saUid).length,
    allFreshAt: (saUid, nodes) => {
      let last = 0;
      for (const n of nodes) {
        const w = writes.get(n);
        if (!w || w.saUid !== saUid) return undefined;
        last = Math.max(last, w.at);
      }
      return last;
    },
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
