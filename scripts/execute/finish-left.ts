// A finish step (plan/finish-steps.ts): the node's token is healthy, and an earlier run left some of its dependents.
// No Multus restart: the executor goes straight to the dependents (pass 2 of execute-plan.ts), after one look at the
// node — if its Multus pod is not the one the scan judged, the token the plan trusted may be gone, and the next run
// judges the node again (the record is kept).
import type { NodeStep } from '../model.ts';
import type { MultusPhase } from './restart-node.ts';
import type { StepDeps } from './step-deps.ts';

/** The phase a finish step enters pass 2 with. */
export function finishPhase(step: NodeStep,
  deps: Pick<StepDeps, 'now' | 'config'>): Extract<MultusPhase, { kind: 'fresh' }> {
  const token = { ...(step.expiresAt === undefined ? {} : { expiresAt: step.expiresAt }) };
  return { kind: 'fresh', startedAt: deps.now(), tokenBefore: token, tokenAfter: token,
    finishing: { since: step.finish?.since ?? deps.now() }, ...(deps.config.mode === 'server-dry-run'
      ? { dryRun: "the node's token is healthy; its left dependents are judged by the API server (dryRun=All)" }
      : {}) };
}

/** Why the finish step must not evict now (its Multus pod changed since the scan), or undefined. */
export async function finishRefusal(step: NodeStep, deps: Pick<StepDeps, 'writer'>): Promise<string | undefined> {
  const mp = step.multusPod;
  const current = await deps.writer.readPod(mp.namespace, mp.name);
  if (current && current.metadata?.uid === mp.uid && !current.metadata.deletionTimestamp) return undefined;
  return `the Multus pod ${mp.name} changed since the scan; the next run judges the node again and finishes ` +
    'what was left then';
}
