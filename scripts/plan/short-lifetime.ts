// A node whose own Multus token shows a grant too short for the cadence is deferred, with why and the flag that
// changes it: restarting it would only start the same restart again on the next run (the rule and its reason live
// in scripts/classify/token-grant.ts). Pure.
import { type Cadence, shortGrant, shortGrantOverride, shortGrantReason } from '../classify/token-grant.ts';
import type { NodeFinding } from '../model.ts';

export function shortLifetimeRefusal(f: NodeFinding, cadence: Cadence):
  | { reason: string; override: string }
  | undefined {
  const g = shortGrant(f, cadence);
  if (g === undefined) return undefined;
  return { reason: shortGrantReason(g, cadence, `${f.multusPod.namespace}/${f.multusPod.name}`),
    override: shortGrantOverride(g, cadence) };
}
