// How long one dependent's eviction may take, from the request until its replacement is Ready: its own budget, not a
// share of the node's. A ReplicaSet creates the replacement as soon as the old pod is marked for deletion, so the old
// pod's grace period does not delay it: --step-timeout. Any other controller (a StatefulSet keeps the pod's name, an
// operator may too) brings the pod back only once the old one is gone, which the kubelet allows to take the pod's
// terminationGracePeriodSeconds: --step-timeout plus that grace period. Pure.
import type { V1Pod } from '@kubernetes/client-node';
import { formatDuration } from '../shared/durations.ts';

/** The API server's default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

export interface PodBudget {
  ms: number;
  /** The pod's grace period (terminationGracePeriodSeconds, or the API server's default). */
  graceSeconds: number;
  /** Whether the replacement is waited for only once the old pod is gone. */
  waitsForGone: boolean;
  /** What the budget is made of, for a reason. */
  text: string;
}

export function podBudget(pod: V1Pod, ownerKind: string, stepTimeoutMs: number): PodBudget {
  const graceSeconds = Math.max(0, pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS);
  if (ownerKind === 'ReplicaSet') {
    return { ms: stepTimeoutMs, graceSeconds, waitsForGone: false,
      text: `${formatDuration(stepTimeoutMs)} (--step-timeout)` };
  }
  const graceMs = graceSeconds * 1000;
  return { ms: stepTimeoutMs + graceMs, graceSeconds, waitsForGone: true,
    text: `${formatDuration(stepTimeoutMs + graceMs)} (--step-timeout ${formatDuration(stepTimeoutMs)} + its grace ` +
      `period ${formatDuration(graceMs)}: its ${ownerKind} brings it back only once it is gone)` };
}
