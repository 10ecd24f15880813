// PodDisruptionBudgets as the eviction API (policy/v1) judges them, so that the plan can say in advance what an
// eviction would answer, and refuse where the API server's answer would be a failure or a guess.
import type { PdbFacts, PodFacts, PodVerdict } from '../model.ts';
import { matchesLabelSelector } from '../shared/label-match.ts';

const KNOWN_POLICIES: ReadonlySet<string> = new Set(['IfHealthyBudget', 'AlwaysAllow']);

/** "namespace/name" of a budget. */
export function budgetName(pdb: PdbFacts): string {
  return `${pdb.namespace}/${pdb.name}`;
}

/**
 * The budgets that cover `pod`: same namespace and a selector that matches its labels. policy/v1 semantics: a budget
 * with no selector matches nothing; an empty selector ({}) matches every pod in the namespace.
 */
export function budgetsFor(pod: PodFacts, pdbs: readonly PdbFacts[]): PdbFacts[] {
  const out: PdbFacts[] = [];
  for (const pdb of pdbs) {
    if (pdb.namespace === pod.namespace && pdb.selector !== undefined &&
      matchesLabelSelector(pdb.selector, pod.labels)) {
      out.push(pdb);
    }
  }
  return out;
}

function blocked(pod: PodFacts, budgets: readonly PdbFacts[], reason: string): PodVerdict {
  return { namespace: pod.namespace, name: pod.name, uid: pod.uid, action: 'blocked', reason,
    pdbs: budgets.map(budgetName) };
}

/**
 * What the eviction API would say of `pod` given the budgets that cover it (from `budgetsFor`): undefined when it
 * would evict, or a blocked verdict naming the budget(s). Mirrors pkg/registry/core/pod/storage/eviction.go, with
 * two deliberate refusals of our own: an unknown unhealthyPodEvictionPolicy, and a status not yet observed even where
 * the API server would let an unready pod through on stale numbers.
 */
export function budgetVerdict(pod: PodFacts, budgets: readonly PdbFacts[]): PodVerdict | undefined {
  if (budgets.length === 0) {
    return undefined;
  }
  // The API server deletes pending and finished pods without looking at budgets (terminating ones are skipped earlier).
  if (pod.phase === 'Pending' || pod.phase === 'Succeeded' || pod.phase === 'Failed') {
    return undefined;
  }
  const [pdb, ...more] = budgets;
  if (pdb === undefined) {
    return undefined;
  }
  if (more.length > 0) {
    return blocked(
      pod,
      budgets,
      `covered by ${budgets.length} budgets (${budgets.map(budgetName).join(', ')}); the eviction API refuses a pod ` +
        'with more than one budget (500), so make exactly one budget select it',
    );
  }
  const name = budgetName(pdb);
  const policy = pdb.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !KNOWN_POLICIES.has(policy)) {
    return blocked(pod, budgets,
      `budget ${name} has unknown unhealthyPodEvictionPolicy ${JSON.stringify(policy)}; refusing to guess`);
  }
  if (!pod.ready && policy === 'AlwaysAllow') {
    return undefined;
  }
  if (pdb.observedGeneration === undefined || pdb.observedGeneration < pdb.generation) {
    const seen = pdb.observedGeneration === undefined ? 'never observed'
      : `observed generation ${pdb.observedGeneration}`;
    return blocked(
      pod,
      budgets,
      `budget ${name} status is not yet observed by the disruption controller (${seen}, generation ${pdb.generation}); try again on the next run`,
    );
  }
  const health = `healthy ${pdb.currentHealthy} of desired ${pdb.desiredHealthy}`;
  if (!pod.ready) {
    // IfHealthyBudget (the default): an unready pod goes when the budget is healthy, else only with a disruption to spare.
    if ((pdb.currentHealthy >= pdb.desiredHealthy && pdb.desiredHealthy > 0) || pdb.disruptionsAllowed > 0) {
      return undefined;
    }
    return blocked(
      pod,
      budgets,
      `budget ${name} is not healthy (${health}) and the pod is not ready; under unhealthyPodEvictionPolicy ` +
        `${
          policy ?? 'IfHealthyBudget (default)'
        } it cannot be evicted until the budget recovers (AlwaysAllow would allow it)`,
    );
  }
  if (pdb.disruptionsAllowed <= 0) {
    return blocked(pod, budgets, `budget ${name} allows no disruption now (${health})`);
  }
  return undefined;
}
