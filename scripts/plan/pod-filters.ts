// Which pods on a node are restarted after its Multus pod, and why the others are not: an ordered list of small
// filters in the spirit of kubectl/pkg/drain/filters.go. The first filter that refuses wins; a pod that passes all
// of them is restarted (evicted, so that its controller recreates it with a fresh CNI ADD).
import type { Config, DependentsPolicy } from '../config/config.ts';
import type { NodeFacts, PdbFacts, PodAction, PodFacts, PodVerdict, StatefulSetFacts } from '../model.ts';
import { budgetName, budgetsFor, budgetVerdict } from './pdb-check.ts';
import { pinnedToCordonedNode } from './placement.ts';
import { statefulSetRevisionRefusal } from './statefulset-revision.ts';

export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

export interface PodFilterContext {
  config: Pick<Config, 'dependents' | 'allowLocalStorage' | 'optOutAnnotation' | 'restartKinds'>;
  /** Budgets to consider; those of other namespaces are ignored, so a per-namespace subset is enough. */
  pdbs: readonly PdbFacts[];
  /** Every node, by name: where a replacement could be scheduled. Without it, placement is not judged. */
  nodes?: ReadonlyMap<string, NodeFacts>;
  /**
   * The StatefulSets of the pods, by UID: which revision an evicted pod comes back from. When given, a StatefulSet
   * pod whose set is missing from it is not evicted; without it, revisions are not judged.
   */
  statefulSets?: ReadonlyMap<string, StatefulSetFacts>;
}

/** A filter's objection: the verdict without the pod's identity. */
export interface FilterRefusal {
  action: Exclude<PodAction, 'restart'>;
  reason: string;
  override?: string;
  pdbs?: string[];
  /** The refusal passes by itself (a cordon lifted): the pod is work left for a later run. */
  later?: true;
  cause?: PodVerdict['cause'];
}

/** Facts about the pod derived from the context, computed at most once per pod. */
export interface DerivedFacts {
  /** The budgets that cover the pod (see budgetsFor). */
  budgets: () => readonly PdbFacts[];
}

export interface PodFilter {
  name: string;
  /** undefined: no objection, go on to the next filter. */
  check: (pod: PodFacts, ctx: PodFilterContext, derived: DerivedFacts) => FilterRefusal | undefined;
}

/** Whether the pod depends on its node's Multus token at all. Pods that do not are left out of the plan. */
export function isDependent(pod: PodFacts, policy: DependentsPolicy): boolean {
  switch (policy) {
    case 'secondary-networks':
      return attachesNetworks(pod);
    case 'all':
      return !pod.hostNetwork;
    case 'none':
      return false;
  }
  return false;
}

/**
 * Whether the networks annotation asks for at least one network: a comma-separated list of names, or a JSON list of
 * selection objects. Empty, blank, `[]` and `,` ask for none; text that is neither form is taken as asking (Multus
 * would try to attach it).
 */
export function attachesNetworks(pod: PodFacts): boolean {
  const text = pod.annotations[NETWORKS_ANNOTATION]?.trim() ?? '';
  if (text.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(text);
      if (Array.isArray(list)) return list.length > 0;
    } catch {
      return true;
    }
  }
  return text.split(',').some((name) => name.trim() !== '');
}

const skip = (reason: string, override?: string): FilterRefusal =>
  override === undefined ? { action: 'skip', reason } : { action: 'skip', reason, override };

export const POD_FILTERS: readonly PodFilter[] = [
  {
    name: 'finished',
    check: (pod) =>
      pod.phase === 'Succeeded' || pod.phase === 'Failed' ? skip(`has finished (${pod.phase}); nothing to restart`)
        : undefined,
  },
  {
    name: 'terminating',
    check: (pod) => (pod.deleting ? skip('is already terminating') : undefined),
  },
  {
    name: 'mirror',
    check: (pod) =>
      Object.hasOwn(pod.annotations, MIRROR_ANNOTATION)
        ? skip('is a static (mirror) pod; the kubelet owns it and the API cannot restart it')
        : undefined,
  },
  {
    // A DaemonSet pod is not evicted (no budget logic fits a pod that is recreated on the same node), but one that
    // attaches secondary networks has the same stale attachments as any dependent: a person decides when.
    name: 'daemonset',
    check: (pod) =>
      pod.controller?.kind !== 'DaemonSet'
        ? undefined
        : attachesNetworks(pod) && !pod.hostNetwork
        ? { action: 'manual', reason: `is owned by DaemonSet ${pod.controller.name} and attaches secondary networks ` +
          `(${NETWORKS_ANNOTATION}); this tool does not restart DaemonSet pods: delete it by hand once Multus on ` +
          'this node has a fresh token, and its DaemonSet recreates it here' }
        : skip(
          `is owned by DaemonSet ${pod.controller.name}; its controller would recreate it in place, so it is not a workload this tool restarts`,
        ),
  },
  {
    name: 'job',
    check: (pod) =>
      pod.controller?.kind === 'Job'
        ? skip(`is owned by Job ${pod.controller.name}; evicting it would cost the job its progress`)
        : undefined,
  },
  {
    name: 'host-network',
    check: (
      pod,
    ) => (pod.hostNetwork ? skip('uses the host network; it has no CNI interfaces and does not use Multus')
      : undefined),
  },
  {
    // A pod that never started (on a broken node: stuck in ContainerCreating because Multus cannot reach the API
    // server) has nothing to restart: the kubelet keeps retrying its sandbox, and it starts by itself once the node's
    // Multus has a fresh token. Evicting it would only move the wait elsewhere — and never bring back a bare pod.
    name: 'not-started',
    check: (pod) =>
      pod.phase === 'Pending'
        ? skip('has not started yet (Pending, e.g. waiting in ContainerCreating for its network); the kubelet ' +
          'retries it, and it starts by itself once Multus on this node has a fresh token')
        : undefined,
  },
  {
    name: 'opt-out',
    check: (pod, ctx) =>
      pod.annotations[ctx.config.optOutAnnotation] === 'true'
        ? skip(`is opted out by the annotation ${ctx.config.optOutAnnotation}="true"`,
          `annotation ${ctx.config.optOutAnnotation}`)
        : undefined,
  },
  {
    name: 'no-controller',
    check: (pod) =>
      pod.controller === undefined
        ? { action: 'manual', reason: 'has no controller, so it would not come back if evicted; restart it by hand' }
        : undefined,
  },
  {
    name: 'unknown-controller',
    check: (pod, ctx) =>
      pod.controller !== undefined && !ctx.config.restartKinds.includes(pod.controller.kind)
        ? {
          action: 'manual',
          reason:
            `is owned by ${pod.controller.kind} ${pod.controller.name}, a controller not known to bring an evicted pod back; restart it by hand`,
          override: '--restart-kinds',
        }
        : undefined,
  },
  {
    // A StatefulSet with a pending revision (OnDelete, a partition, a rollout) would bring the pod back changed.
    name: 'statefulset-revision',
    check: (pod, ctx) => (ctx.statefulSets ? statefulSetRevisionRefusal(pod, ctx.statefulSets) : undefined),
  },
  {
    name: 'local-storage',
    check: (pod, ctx) => {
      if (ctx.config.allowLocalStorage) {
        return undefined;
      }
      const emptyDirs = pod.volumes.filter((v) => v.kind === 'emptyDir').map((v) => v.name);
      return emptyDirs.length === 0
        ? undefined
        : {
          action: 'refused',
          reason: `has emptyDir volumes (${emptyDirs.join(', ')}) whose data would be lost`,
          override: '--allow-local-storage',
        };
    },
  },
  {
    // A cordoned node takes no new pods: a pod that can only run there would be evicted into Pending for good.
    name: 'pinned-to-cordoned-node',
    check: (pod, ctx) => {
      const why = ctx.nodes && pinnedToCordonedNode(pod, ctx.nodes);
      return why === undefined || why === ''
        ? undefined
        : { action: 'refused', reason: `can only run on node ${pod.nodeName} (${why}), which is cordoned ` +
          '(unschedulable): its replacement could not be scheduled anywhere; uncordon the node and the next run ' +
          'restarts it', later: true, cause: 'cordoned' };
    },
  },
  {
    name: 'budgets',
    check: (pod, _ctx, derived) => {
      const verdict = budgetVerdict(pod, derived.budgets());
      if (verdict === undefined) {
        return undefined;
      }
      const refusal: FilterRefusal = { action: 'blocked', reason: verdict.reason };
      if (verdict.pdbs !== undefined) {
        refusal.pdbs = verdict.pdbs;
      }
      return refusal;
    },
  },
];

function restartReason(policy: DependentsPolicy): string {
  return policy === 'secondary-networks'
    ? `attaches secondary networks through Multus (${NETWORKS_ANNOTATION})`
    : 'is on the pod network, which goes through Multus';
}

/** The verdict of the first filter that refuses, or 'restart'. */
export function podVerdict(pod: PodFacts, ctx: PodFilterContext,
  filters: readonly PodFilter[] = POD_FILTERS): PodVerdict {
  const id = { namespace: pod.namespace, name: pod.name, uid: pod.uid };
  let budgets: readonly PdbFacts[] | undefined;
  const derived: DerivedFacts = {
    budgets: () => (budgets ??= ctx.pdbs.length === 0 ? [] : budgetsFor(pod, ctx.pdbs)),
  };
  for (const filter of filters) {
    const refusal = filter.check(pod, ctx, derived);
    if (refusal !== undefined) {
      return { ...id, ...refusal };
    }
  }
  const covering = derived.budgets();
  const verdict: PodVerdict = { ...id, action: 'restart', reason: restartReason(ctx.config.dependents) };
  if (covering.length > 0) {
    verdict.pdbs = covering.map(budgetName);
  }
  return verdict;
}
