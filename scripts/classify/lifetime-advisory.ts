// Plan-level advice: nodes whose own Multus token shows a grant too short for the cadence (scripts/classify/
// token-grant.ts, the one rule): a restart there would have to be repeated on every run, so none is planned.
import type { NodeFinding } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';
import { type Cadence, shortGrant, shortGrantFix } from './token-grant.ts';

export function lifetimeAdvisories(findings: readonly NodeFinding[], cadence: Cadence): string[] {
  const lifetimes: number[] = [];
  for (const f of findings) {
    if (f.class === 'self-refreshing') continue;
    const g = shortGrant(f, cadence);
    if (g !== undefined) lifetimes.push(g.lifetimeMs);
  }
  if (lifetimes.length === 0) return [];
  const shortest = Math.min(...lifetimes);
  const longest = Math.max(...lifetimes);
  const span = formatDuration(shortest) === formatDuration(longest)
    ? formatDuration(shortest)
    : `${formatDuration(shortest)} to ${formatDuration(longest)}`;
  const nodes = lifetimes.length === 1 ? '1 node' : `${lifetimes.length} nodes`;
  return [
    `On ${nodes} the Multus token is bound to its pod and was granted only ${span}: a fresh copy would already be ` +
    `inside --expiring-within (${formatDuration(cadence.expiringWithinMs)}) by the next run (--schedule-interval ` +
    `${formatDuration(cadence.intervalMs)}), so a scheduled restart cannot keep up and none is planned there ` +
    '(the API server does not extend service-account tokens, --service-account-extend-token-expiration=false as ' +
    `in a CIS-hardened profile, or caps them). To fix: ${shortGrantFix(shortest, cadence)}, whose token watch ` +
    'rewrites the kubeconfig.',
  ];
}
