// Proof the outage is over: once a broken node's token is fresh, the pods that the rejected token kept in
// ContainerCreating (the plan's `stuck` verdicts) should start by themselves — the kubelet retries their sandbox.
// One watcher for the whole run: each repaired node's stuck pods join it as the node's token is proven fresh; every
// second, one list of the cluster's Pending pods says which are still waiting, and a pod that left that list is read
// once to tell a start from a deletion. A pod that has not started within the bound is named with its last sandbox
// Event. Nothing here acts on a pod.
import type { NodeStep, StuckPodRecovery } from '../model.ts';
import type { StepDeps } from './step-deps.ts';
import { stopReason } from './stop-reason.ts';
import { formatSeconds } from '../shared/durations.ts';

const POLL_MS = 1000;
/** How long a stuck pod is given to start once its node's token is fresh (at most the --step-timeout). */
export const STUCK_POD_BOUND_MS = 120_000;

interface Watched {
  node: string;
  namespace: string;
  name: string;
  uid: string;
  freshAt: number;
}

export interface StuckPodWatcher {
  /** Watch the node's stuck pods from `freshAt`, when its fresh token was proven. */
  add(step: NodeStep, freshAt: number): void;
  /** Waits until every watched pod started, went away or ran out of time; the results by node. */
  finish(): Promise<Map<string, StuckPodRecovery[]>>;
}

export function stuckPodWatcher(
  deps: Pick<StepDeps, 'reader' | 'writer' | 'now' | 'sleep' | 'signal' | 'config'>,
): StuckPodWatcher {
  const bound = Math.min(STUCK_POD_BOUND_MS, deps.config.stepTimeoutMs);
  const waiting = new Map<string, Watched>();
  const results = new Map<string, StuckPodRecovery[]>();
  const record = (w: Watched, r: Omit<StuckPodRecovery, 'namespace' | 'name' | 'uid'>) => {
    const list = results.get(w.node) ?? [];
    list.push({ namespace: w.namespace, name: w.name, uid: w.uid, ...r });
    results.set(w.node, list);
    waiting.delete(w.uid);
  };
  let loop: Promise<void> | undefined;
  const start = (): Promise<void> =>
    loop ??= run().finally(() => {
      loop = undefined;
    });

  const sweep = async (): Promise<void> => {
    const pending = new Set((await deps.reader.listPods({ fieldSelector: 'status.phase=Pending' }))
      .map((p) => p.metadata?.uid ?? ''));
    const now = deps.now();
    for (const w of [...waiting.values()]) {
      if (pending.has(w.uid)) {
        if (now - w.freshAt > bound) await timedOut(w, now);
        continue;
      }
      const pod = await deps.writer.readPod(w.namespace, w.name);
      if (!pod || pod.metadata?.uid !== w.uid) {
        record(w, { outcome: 'gone', reason: 'deleted before it started (by its controller or a person)' });
      } else if (pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded') {
        record(w, { outcome: 'started', startedMs: now - w.freshAt,
          reason: `started ${formatSeconds(now - w.freshAt)} after the node's token was fresh` });
      } else if (now - w.freshAt > bound) {
        await timedOut(w, now);
      }
    }
  };
  const timedOut = async (w: Watched, now: number): Promise<void> => {
    let lastEvent: string | undefined;
    try {
      const events = await deps.reader.listSandboxFailures?.({ namespace: w.namespace, pod: w.name }) ?? [];
      const last = events.filter((e) => e.involvedObject.uid === w.uid).at(-1);
      lastEvent = last?.message?.slice(-300);
    } catch {
      lastEvent = undefined; // the Event is a courtesy: the pod is named all the same
    }
    record(w, { outcome: 'not-started', reason: `not started ${formatSeconds(now - w.freshAt)} after the ` +
      "node's token was fresh", ...(lastEvent ? { lastEvent } : {}) });
  };
  const run = async (): Promise<void> => {
    while (waiting.size > 0 && !deps.signal.aborted) {
      try {
        await sweep();
      } catch {
        // A failed list is retried on the next sweep; the bound still ends the watch.
      }
      if (waiting.size === 0 || !(await deps.sleep(POLL_MS))) break;
    }
    for (const w of [...waiting.values()]) {
      record(w, { outcome: 'not-started', reason: `no longer watched: ${stopReason(deps.signal)}` });
    }
  };

  return {
    add(step, freshAt) {
      for (const v of step.outage ?? []) {
        if (v.effect === 'stuck') {
          waiting.set(v.uid, { node: step.node, namespace: v.namespace, name: v.name, uid: v.uid, freshAt });
        }
      }
      if (waiting.size > 0) start();
    },
    async finish() {
      // A pod added while the loop was ending is picked up by another loop.
      while (loop || waiting.size > 0) await (loop ?? start());
      return results;
    },
  };
}
