// Plan-level advice: pod-bound tokens that the API server did not extend die an hour after their Multus pod starts,
// faster than any schedule of restarts can follow.
import type { NodeFinding } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';

/** Bound tokens living this long or less, with no warnafter, were not extended (extended ones live ~1 year). */
const SHORT_LIFETIME_S = 2 * 3600;

export function lifetimeAdvisories(findings: NodeFinding[]): string[] {
  const lifetimes: number[] = [];
  for (const f of findings) {
    const c = f.claims;
    if (f.class === 'self-refreshing' || c === undefined) continue;
    if (c.podUid === undefined || c.warnafter !== undefined || c.exp === undefined || c.iat === undefined) continue;
    const lifetime = c.exp - c.iat;
    if (lifetime > 0 && lifetime <= SHORT_LIFETIME_S) {
      lifetimes.push(lifetime);
    }
  }
  if (lifetimes.length === 0) {
    return [];
  }
  const shortest = Math.min(...lifetimes);
  const longest = Math.max(...lifetimes);
  const span = formatDuration(shortest * 1000) === formatDuration(longest * 1000)
    ? formatDuration(shortest * 1000)
    : `${formatDuration(shortest * 1000)} to ${formatDuration(longest * 1000)}`;
  const nodes = lifetimes.length === 1 ? '1 node' : `${lifetimes.length} nodes`;
  return [
    `On ${nodes} the Multus token is bound to its pod and lives only ${span} with no kubernetes.io.warnafter claim: ` +
    'the API server does not extend service-account tokens (--service-account-extend-token-expiration=false, ' +
    `e.g. a CIS-hardened profile), so each copy in the kubeconfig dies ${span} after its Multus pod starts and a ` +
    'scheduled restart cannot keep up. Enable --service-account-extend-token-expiration=true on the API server, ' +
    'or move to the Multus thick plugin, or to the Multus 4.x thin plugin with --cleanup-config-on-exit=true, ' +
    'whose token watch rewrites the kubeconfig.',
  ];
}
