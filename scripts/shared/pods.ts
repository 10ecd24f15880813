// Two questions every stage asks of a pod, answered once: is it Ready, and which controller owns it.
import type { V1Pod } from '@kubernetes/client-node';
import type { OwnerRef } from '../model.ts';

/** Running, with its Ready condition True. */
export function podIsReady(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** The owner reference marked `controller: true`, if any. */
export function controllerOf(pod: V1Pod): OwnerRef | undefined {
  const ref = pod.metadata?.ownerReferences?.find((r) => r.controller === true);
  return ref ? { kind: ref.kind, name: ref.name, uid: ref.uid } : undefined;
}
