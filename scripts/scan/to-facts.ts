// Pure conversions from API objects to the pipeline's facts. Nothing here asserts that an optional API field is
// present: a missing field becomes a missing fact, and the classifier or planner says what that means.
import type { V1Node, V1Pod, V1PodDisruptionBudget, V1StatefulSet } from '@kubernetes/client-node';
import { multusModeOf } from './multus-mode.ts';
import type { MultusPodFacts, NodeFacts, PdbFacts, PlacementFacts, PodFacts, StatefulSetFacts,
  VolumeFacts } from '../model.ts';
import { controllerOf, podIsReady } from '../shared/pods.ts';

export function toMultusPodFacts(pod: V1Pod, containerName: string): MultusPodFacts {
  const container = pod.spec?.containers.find((c) => c.name === containerName);
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    nodeName: pod.spec?.nodeName ?? '',
    mode: multusModeOf(container, pod.spec?.initContainers),
    controller: controllerOf(pod),
    serviceAccountName: pod.spec?.serviceAccountName ?? 'default',
  };
}

export function toNodeFacts(node: V1Node): NodeFacts {
  return {
    name: node.metadata?.name ?? '',
    uid: node.metadata?.uid ?? '',
    ready: node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    unschedulable: node.spec?.unschedulable === true,
    labels: node.metadata?.labels ?? {},
  };
}

/** The scheduling constraints of a pod (claims not yet looked up: see scan/claim-affinity.ts); undefined if none. */
export function placementOf(pod: V1Pod): PlacementFacts | undefined {
  const spec = pod.spec;
  const p: PlacementFacts = {};
  if (spec?.nodeSelector && Object.keys(spec.nodeSelector).length > 0) p.nodeSelector = spec.nodeSelector;
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    p.requiredTerms = terms.map((t) => ({
      ...(t.matchExpressions
        ? { matchExpressions: t.matchExpressions.map((e) => ({ key: e.key, operator: e.operator, values: e.values })) }
        : {}),
      ...(t.matchFields
        ? { matchFields: t.matchFields.map((e) => ({ key: e.key, operator: e.operator, values: e.values })) } : {}),
    }));
  }
  const claims = (spec?.volumes ?? []).flatMap((
    v,
  ) => (v.persistentVolumeClaim ? [{ name: v.persistentVolumeClaim.claimName }] : []));
  if (claims.length > 0) p.claims = claims;
  return Object.keys(p).length > 0 ? p : undefined;
}

function volumeKind(v: { emptyDir?: unknown; hostPath?: unknown }): VolumeFacts['kind'] {
  if (v.emptyDir) return 'emptyDir';
  if (v.hostPath) return 'hostPath';
  return 'other';
}

export function toPodFacts(pod: V1Pod): PodFacts {
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    uid: pod.metadata?.uid ?? '',
    nodeName: pod.spec?.nodeName ?? '',
    phase: pod.status?.phase ?? 'Unknown',
    ready: podIsReady(pod),
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
    hostNetwork: pod.spec?.hostNetwork === true,
    controller: controllerOf(pod),
    volumes: (pod.spec?.volumes ?? []).map((v) => ({ name: v.name, kind: volumeKind(v) })),
    deleting: Boolean(pod.metadata?.deletionTimestamp),
    ...withPlacement(pod),
    ...withWaiting(pod),
  };
}

function withWaiting(pod: V1Pod): { waiting?: string } {
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
  return waiting ? { waiting } : {};
}

function withPlacement(pod: V1Pod): { placement?: PlacementFacts } {
  const placement = placementOf(pod);
  return placement ? { placement } : {};
}

export function toStatefulSetFacts(sts: V1StatefulSet): StatefulSetFacts {
  const facts: StatefulSetFacts = {
    namespace: sts.metadata?.namespace ?? '',
    name: sts.metadata?.name ?? '',
    uid: sts.metadata?.uid ?? '',
    updateStrategy: sts.spec?.updateStrategy?.type ?? 'RollingUpdate',
    partition: sts.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
    startOrdinal: sts.spec?.ordinals?.start ?? 0,
    generation: sts.metadata?.generation ?? 0,
  };
  if (sts.status?.currentRevision) facts.currentRevision = sts.status.currentRevision;
  if (sts.status?.updateRevision) facts.updateRevision = sts.status.updateRevision;
  if (sts.status?.observedGeneration !== undefined) facts.observedGeneration = sts.status.observedGeneration;
  return facts;
}

export function toPdbFacts(pdb: V1PodDisruptionBudget): PdbFacts {
  return {
    namespace: pdb.metadata?.namespace ?? '',
    name: pdb.metadata?.name ?? '',
    selector: pdb.spec?.selector ? {
      matchLabels: pdb.spec.selector.matchLabels,
      matchExpressions: pdb.spec.selector.matchExpressions?.map((e) => ({
        key: e.key,
        operator: e.operator,
        values: e.values,
      })),
    } : undefined,
    generation: pdb.metadata?.generation ?? 0,
    observedGeneration: pdb.status?.observedGeneration,
    disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
    currentHealthy: pdb.status?.currentHealthy ?? 0,
    desiredHealthy: pdb.status?.desiredHealthy ?? 0,
    expectedPods: pdb.status?.expectedPods ?? 0,
    unhealthyPodEvictionPolicy: pdb.spec?.unhealthyPodEvictionPolicy,
  };
}

/** The Multus container's volume that holds `filePath`: its hostPath and where it is mounted. */
export function hostMountFor(pod: V1Pod, containerName: string, filePath: string): { hostPath: string;
  mountPath: string } | undefined {
  const container = pod.spec?.containers.find((c) => c.name === containerName);
  const mounts = (container?.volumeMounts ?? [])
    .filter((m) => filePath === m.mountPath || filePath.startsWith(m.mountPath.replace(/\/$/, '') + '/'))
    .sort((a, b) => b.mountPath.length - a.mountPath.length);
  for (const m of mounts) {
    const vol = pod.spec?.volumes?.find((v) => v.name === m.name);
    if (vol?.hostPath?.path) return { hostPath: vol.hostPath.path, mountPath: m.mountPath };
  }
  return undefined;
}
