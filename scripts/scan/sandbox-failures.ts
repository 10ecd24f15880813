// The kubelet's FailedCreatePodSandBox Events, reduced to one fact per pod: its latest sandbox failure, and whether
// it names Multus's `Unauthorized` (CNI ADD with a rejected token). Pure.
import type { CoreV1Event } from '@kubernetes/client-node';
import type { PodFacts, SandboxFailure } from '../model.ts';

const UNAUTHORIZED = /\bUnauthorized\b/;

function time(t: Date | string | undefined): number {
  return t ? new Date(t).getTime() : 0;
}

/** When the Event was last seen (a repeated Event keeps its first time in firstTimestamp). */
function lastSeen(e: CoreV1Event): number {
  return Math.max(time(e.lastTimestamp), time(e.eventTime), time(e.series?.lastObservedTime), time(e.firstTimestamp));
}

export function toSandboxFailure(e: CoreV1Event): SandboxFailure {
  const message = e.message ?? '';
  return { message: message.slice(-400), at: lastSeen(e), count: e.count ?? e.series?.count ?? 1,
    unauthorized: UNAUTHORIZED.test(message) };
}

/** The latest sandbox failure of each pod, by pod UID. */
export function sandboxFailuresByPod(events: readonly CoreV1Event[]): Map<string, SandboxFailure> {
  const byPod = new Map<string, SandboxFailure>();
  for (const e of events) {
    const uid = e.involvedObject.uid;
    if (e.reason !== 'FailedCreatePodSandBox' || e.involvedObject.kind !== 'Pod' || !uid) continue;
    const f = toSandboxFailure(e);
    const known = byPod.get(uid);
    if (!known || f.at >= known.at) byPod.set(uid, f);
  }
  return byPod;
}

/** The pods, each Pending one with its latest sandbox failure. */
export function withSandboxFailures(pods: readonly PodFacts[],
  failures: ReadonlyMap<string, SandboxFailure>): PodFacts[] {
  return pods.map((p) => {
    const f = p.phase === 'Pending' ? failures.get(p.uid) : undefined;
    return f ? { ...p, sandboxFailure: f } : p;
  });
}
