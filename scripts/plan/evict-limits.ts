// Two limits on evictions, applied to the pod verdicts once every step is planned. Pure.
//   - --max-nodes limits the nodes whose workloads are evicted: broken nodes are all repaired, but only the first
//     --max-nodes steps (plan order) evict anything; the others' restartable pods are skipped, with the flag.
//   - Repair first, evict after: a pod's replacement must not land on a node that is still broken, where it could not
//     start. Each restartable pod carries the broken, schedulable nodes (not its own) it fits; the executor evicts it
//     only once every one of them is repaired, and the planner refuses it now when one of them is not planned.
import type { Cause, NodeFacts, NodeStep, PodFacts, PodVerdict } from '../model.ts';
import { fits } from './placement.ts';

export interface EvictLimitsInput {
  steps: NodeStep[];
  maxNodes: number;
  /** The pods of the planned nodes, by UID (for their placement). */
  pods: ReadonlyMap<string, PodFacts>;
  /** Broken nodes found (planned or not). */
  broken: readonly string[];
  nodes?: ReadonlyMap<string, NodeFacts>;
}

/** The broken, Ready, schedulable nodes other than the pod's own where its replacement could land. */
export function brokenTargets(pod: PodFacts, broken: readonly NodeFacts[]): string[] {
  return broken.filter((n) => n.name !== pod.nodeName && n.ready && !n.unschedulable && fits(pod, n))
    .map((n) => n.name);
}

/** Each of these limits passes by itself (a later run's cap, a broken node repaired): the pod is left for later. */
function skip(v: PodVerdict, cause: Cause, reason: string, override?: string): PodVerdict {
  const { brokenTargets: _, ...rest } = v;
  return { ...rest, action: 'skip', reason, ...(override ? { override } : {}), later: true, cause };
}

/** Why a pod is held back: the broken nodes (three named) its replacement could land on, and why they still are. */
function towardBroken(nodes: readonly string[], why: string): string {
  const more = nodes.length > 3 ? ` and ${nodes.length - 3} more` : '';
  return `not evicted: its replacement could land on broken node(s) ${nodes.slice(0, 3).join(', ')}${more} ${why}, ` +
    'where it could not start; repair first, evict after';
}

export function applyEvictLimits(input: EvictLimitsInput): void {
  const planned = new Set(input.steps.map((s) => s.node));
  const broken = input.nodes === undefined ? []
    : input.broken.flatMap((b) => {
      const n = input.nodes?.get(b);
      return n ? [n] : [];
    });
  let evicting = 0;
  for (const step of input.steps) {
    if (!step.pods.some((v) => v.action === 'restart')) continue;
    if (evicting >= input.maxNodes) {
      step.pods = step.pods.map((v) =>
        v.action !== 'restart' ? v
          : skip(v, 'cap',
            `not evicted: the cap of ${input.maxNodes} nodes whose workloads are evicted per run is reached ` +
              '(the token is repaired all the same; a later run may evict it)', '--max-nodes')
      );
      continue;
    }
    evicting += 1;
    step.pods = step.pods.map((v) => {
      const pod = input.pods.get(v.uid);
      if (v.action !== 'restart' || pod === undefined) return v;
      const targets = brokenTargets(pod, broken);
      if (targets.length === 0) return v;
      const unplanned = targets.filter((t) => !planned.has(t));
      if (unplanned.length > 0) {
        return skip(v, 'toward-broken', towardBroken(unplanned, 'that this run does not repair'));
      }
      return { ...v, brokenTargets: targets };
    });
  }
}

/**
 * The step as the executor runs its evictions: a pod whose replacement could land on a broken node that this run did
 * not repair (its repair failed, or was not reached) is not evicted. Pure.
 */
export function holdBackTowardBroken(step: NodeStep, repaired: ReadonlySet<string>): NodeStep {
  if (!step.pods.some((v) => v.action === 'restart' && v.brokenTargets?.some((n) => !repaired.has(n)))) return step;
  return { ...step, pods: step.pods.map((v) => {
    const still = v.action === 'restart' ? (v.brokenTargets ?? []).filter((n) => !repaired.has(n)) : [];
    return still.length === 0 ? v
      : skip(v, 'toward-broken', towardBroken(still, 'whose repair did not succeed in this run'));
  }) };
}
