// Which of a broken node's pods the outage hurt, by evidence. Multus's thin CNI binary reads its kubeconfig only
// during CNI ADD and DEL (pkg/multus/multus.go): in 3.9 `getPod` makes ADD fail whole with `error getting pod:
// Unauthorized`, while DEL carries on from its cache (3.7 DEL fails). So a Running pod, whose sandbox exists, is not
// touched by a rejected token; a pod stuck in ContainerCreating with Multus's Unauthorized in its
// FailedCreatePodSandBox Event is, and the kubelet retries it: it starts by itself once the file is fresh. Pure.
import type { OutageVerdict, PodFacts } from '../model.ts';

export const UNTOUCHED_REASON = 'Running: its sandbox exists, and Multus reads the kubeconfig only in CNI ADD and ' +
  'DEL, so the rejected token did not touch it (Multus 3.9 DEL carries on from its cache); nothing to evict';

export const STUCK_REASON = 'stuck in ContainerCreating: CNI ADD failed with Multus\'s "Unauthorized" (getPod with ' +
  'the rejected token); the kubelet retries it, so it starts by itself once the file is fresh';

export const WAITING_REASON = 'not Running, but no FailedCreatePodSandBox Event names Unauthorized: not attributed ' +
  'to the token';

/** A pod stuck by the rejected token: Pending, and its last sandbox failure names Unauthorized. */
export function isStuckByToken(pod: PodFacts): boolean {
  return pod.phase === 'Pending' && pod.sandboxFailure?.unauthorized === true;
}

/** The verdict for each pod on the pod network (hostNetwork pods never go through CNI), sorted by name. */
export function outageVerdicts(pods: readonly PodFacts[]): OutageVerdict[] {
  const verdicts: OutageVerdict[] = [];
  for (const p of pods) {
    if (p.hostNetwork || p.deleting || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
    const id = { namespace: p.namespace, name: p.name, uid: p.uid };
    if (isStuckByToken(p) && p.sandboxFailure) {
      verdicts.push({ ...id, effect: 'stuck', reason: STUCK_REASON, sandboxFailure: p.sandboxFailure });
    } else if (p.phase === 'Running') {
      verdicts.push({ ...id, effect: 'untouched', reason: UNTOUCHED_REASON });
    } else {
      verdicts.push({ ...id, effect: 'waiting', reason: WAITING_REASON });
    }
  }
  return verdicts.sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
}
