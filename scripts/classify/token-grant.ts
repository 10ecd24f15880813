// What the API server grants a Multus pod's token, read from the tokens the scan found, and what "fresh" means after
// a restart. Pure.
//
// The kubelet requests a pod's service-account token for 3607 s. With --service-account-extend-token-expiration=true
// (the default) the API server makes such a pod-bound token live a year (or its external signer's maximum) and adds
// kubernetes.io.warnafter; with extension off, or a --service-account-max-token-expiration that shortens the request
// (to no less than 1 h), it lives 3600–3607 s and has no warnafter (kubernetes pkg/registry/core/serviceaccount/
// storage/token.go). The Multus thin plugin copies that token once, so on such a cluster a restart buys at most an hour.
import type { NodeFinding, TokenClaims } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';

/** The lifetime the API server gives a kubelet-requested token it does not extend (3607 s, or a max of ≥ 3600 s). */
const NOT_EXTENDED_MIN_S = 3600;
const NOT_EXTENDED_MAX_S = 3607 + 5; // a few seconds of rounding between iat and exp

export type Grant = 'extended' | 'not-extended';

/** What a token says of the API server's grant, or undefined when it says nothing (not pod-bound, custom lifetime…). */
export function grantOf(claims: TokenClaims | undefined): Grant | undefined {
  if (claims?.podUid === undefined || claims.exp === undefined || claims.iat === undefined) return undefined;
  if (claims.warnafter !== undefined) return 'extended';
  const lifetime = claims.exp - claims.iat;
  return lifetime >= NOT_EXTENDED_MIN_S && lifetime <= NOT_EXTENDED_MAX_S ? 'not-extended' : undefined;
}

export interface ObservedGrant {
  grant: Grant;
  /** The evidence: the most recently issued pod-bound token that says something about the grant. */
  node: string;
  fingerprint?: string;
  /** Seconds since the epoch. */
  iat: number;
  lifetimeS: number;
}

/**
 * The grant the API server gives now, from the most recently issued pod-bound token among the findings (a cluster
 * reconfigured since shows it in the tokens issued after). Tokens the cluster did not sign are no evidence.
 */
export function observedGrant(findings: readonly NodeFinding[]): ObservedGrant | undefined {
  let best: ObservedGrant | undefined;
  for (const f of findings) {
    if (f.signature === 'invalid' && f.review !== 'authenticated') continue; // forged or foreign: says nothing
    const grant = grantOf(f.claims);
    const c = f.claims;
    if (grant === undefined || c?.iat === undefined || c.exp === undefined) continue;
    if (best === undefined || c.iat > best.iat || (c.iat === best.iat && f.node < best.node)) {
      best = { grant, node: f.node, fingerprint: f.fingerprint, iat: c.iat, lifetimeS: c.exp - c.iat };
    }
  }
  return best;
}

const iso = (s: number): string => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');

/** Why no restart is planned on a cluster whose tokens are not extended. */
export function notExtendedReason(g: ObservedGrant): string {
  const life = formatDuration(g.lifetimeS * 1000);
  return `no restart planned: the API server does not extend service-account tokens — the newest Multus token ` +
    `(${g.fingerprint ?? 'unnamed'} on ${g.node}, issued ${
      iso(g.iat)
    }) is bound to its pod and lives ${life} with no ` +
    `kubernetes.io.warnafter claim, so a restarted Multus pod's copy would die ${life} later and the node would break ` +
    'again. Run the API server with --service-account-extend-token-expiration=true (the default) and no ' +
    '--service-account-max-token-expiration under 3607s, or move to the Multus thick plugin, or to 4.x thin with ' +
    '--cleanup-config-on-exit=true; if the API server was changed since, restart one Multus pod by hand and the next ' +
    'run sees the new grant';
}

export type Freshness = { fresh: true } | { fresh: false; reason: string };

/**
 * After a restart: is the node's new token what the API server issues to the new pod? Bound to the new pod, accepted
 * by TokenReview, not expired, and as long-lived as the API server grants (extended: it has warnafter) — judged on the
 * token itself, not on --expiring-within.
 */
export function freshAfterRestart(after: NodeFinding, newPodUid: string): Freshness {
  const named = `the token ${after.fingerprint ?? '(none)'}`;
  if (after.class === 'unreadable' || after.claims === undefined) {
    return { fresh: false, reason: `${after.class}: ${after.reason}` };
  }
  if (after.claims.podUid !== newPodUid) {
    return { fresh: false, reason: `${named} is bound to ${
      after.claims.podUid === undefined ? 'no pod'
        : `pod ${after.claims.podName ?? ''} (uid ${after.claims.podUid})`
    }, not to the new Multus pod (uid ${newPodUid})` };
  }
  if (!['healthy', 'expiring'].includes(after.class)) {
    return { fresh: false, reason: `${after.class}: ${after.reason}` };
  }
  if (after.review !== 'authenticated') {
    return { fresh: false,
      reason: `the API server has not accepted ${named} (TokenReview: ${after.review ?? 'not asked'})` };
  }
  if (grantOf(after.claims) === 'not-extended') {
    const life = formatDuration(((after.claims.exp ?? 0) - (after.claims.iat ?? 0)) * 1000);
    return { fresh: false,
      reason: `${named} lives only ${life}: the API server does not extend service-account tokens ` +
        '(--service-account-extend-token-expiration=false or a --service-account-max-token-expiration under 3607s)' };
  }
  return { fresh: true };
}
