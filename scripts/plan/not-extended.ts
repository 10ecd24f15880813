// A cluster whose service-account tokens are not extended (1 h): restarting a Multus pod cannot help for more than an
// hour, so no restart is planned there; each node is deferred with the reason (scripts/classify/token-grant.ts). Pure.
import { notExtendedReason, observedGrant } from '../classify/token-grant.ts';
import type { NodeDeferral, NodeFinding, RestartPlan } from '../model.ts';

/**
 * On a cluster whose tokens are not extended, every node the plan would restart is deferred instead, with the reason:
 * a restart cannot help for more than an hour. Deferred nodes make the run exit with the attention code.
 */
export function deferWhenNotExtended(plan: RestartPlan, findings: readonly NodeFinding[]): RestartPlan {
  const g = observedGrant(findings);
  if (g?.grant !== 'not-extended' || plan.steps.length === 0) return plan;
  const reason = notExtendedReason(g);
  const moved: NodeDeferral[] = plan.steps.map((s) => ({ node: s.node, class: s.class, reason }));
  return { ...plan, steps: [], deferred: [...moved, ...plan.deferred] };
}
