// What the API server grants a Multus pod's token, judged per node from its own tokens, and the one rule that says
// whether a restart can keep that node working: a fresh token must not already be inside --expiring-within by the
// next run. Pure.
//
// The kubelet requests a pod's service-account token for 3607 s. With --service-account-extend-token-expiration=true
// (the default) the API server makes such a pod-bound token live a year (or its external signer's maximum) and adds
// kubernetes.io.warnafter; with extension off, or a --service-account-max-token-expiration that shortens the request,
// it lives as long as that (kubernetes pkg/registry/core/serviceaccount/storage/token.go). The Multus thin plugin
// copies that token once, so a restart buys exactly one such lifetime: when that is shorter than --expiring-within
// plus the time to the next run, the node would be restarted on every run, forever.
import type { NodeFinding, TokenClaims } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';

/** How early the rotator acts on a token and how often it runs: what a token's lifetime must outlast. */
export interface Cadence {
  /** --expiring-within. */
  expiringWithinMs: number;
  /** --schedule-interval: the time to the next run. */
  intervalMs: number;
}

/**
 * The lifetime the API server gave a pod-bound token, exp − iat, in ms (the JWT's seconds become milliseconds here, at
 * the classify boundary); undefined when the token does not say.
 */
export function grantedLifetimeMs(claims: TokenClaims | undefined): number | undefined {
  if (claims?.podUid === undefined || claims.exp === undefined || claims.iat === undefined) return undefined;
  const lifetime = (claims.exp - claims.iat) * 1000;
  return lifetime > 0 ? lifetime : undefined;
}

/** The rule: a token of this lifetime, written now, would already be inside --expiring-within by the next run. */
export function tooShortForCadence(lifetimeMs: number, cadence: Cadence): boolean {
  return lifetimeMs - cadence.intervalMs < cadence.expiringWithinMs;
}

export interface ShortGrant {
  node: string;
  fingerprint?: string;
  lifetimeMs: number;
  /** The token has kubernetes.io.warnafter: the API server extended it (and still it is too short). */
  extended: boolean;
}

/**
 * The node's own token says the API server grants its Multus pod tokens too short for the cadence: a restart would
 * have to be repeated on every run. Undefined when the token says nothing of the grant (not pod-bound, no iat) or is
 * no evidence of it (not signed by the cluster and not accepted by it).
 */
export function shortGrant(f: NodeFinding, cadence: Cadence): ShortGrant | undefined {
  if (f.signature === 'invalid' && f.review !== 'authenticated') return undefined;
  const lifetimeMs = grantedLifetimeMs(f.claims);
  if (lifetimeMs === undefined || !tooShortForCadence(lifetimeMs, cadence)) return undefined;
  return { node: f.node, fingerprint: f.fingerprint, lifetimeMs, extended: f.claims?.warnafter !== undefined };
}

/** The flag that lets restarts keep up: a shorter --expiring-within if the lifetime outlasts a run interval. */
export function shortGrantOverride(g: ShortGrant, cadence: Cadence): '--expiring-within' | '--schedule-interval' {
  return g.lifetimeMs > cadence.intervalMs ? '--expiring-within' : '--schedule-interval';
}

/** What to change so that restarts can keep up (shared by the deferral and the fleet advisory). */
export function shortGrantFix(lifetimeMs: number, cadence: Cadence): string {
  const headroom = lifetimeMs - cadence.intervalMs;
  return `have the API server grant longer tokens (--service-account-extend-token-expiration=true, the default, and ` +
    `no --service-account-max-token-expiration under ${
      formatDuration(cadence.expiringWithinMs + cadence.intervalMs)
    }), ` +
    (headroom > 0 ? `or lower --expiring-within below ${formatDuration(headroom)}, `
      : `or run more often than every ${formatDuration(lifetimeMs)} (--schedule-interval), `) +
    'or move to the Multus thick plugin, or to 4.x thin with --cleanup-config-on-exit=true';
}

/** Why no restart is planned on a node whose own token shows a grant too short for the cadence. */
export function shortGrantReason(g: ShortGrant, cadence: Cadence, multusPod: string): string {
  const life = formatDuration(g.lifetimeMs);
  return `no restart planned: the token ${g.fingerprint ?? '(unnamed)'} is bound to its pod and was granted ` +
    `${life}${g.extended ? '' : ' with no kubernetes.io.warnafter claim'}, so a fresh one would already be inside ` +
    `--expiring-within (${formatDuration(cadence.expiringWithinMs)}) by the next run (--schedule-interval ` +
    `${formatDuration(cadence.intervalMs)}) and the node would be restarted on every run; ${
      shortGrantFix(g.lifetimeMs, cadence)
    }; if the API server was changed since, restart ${multusPod} by hand and the next run judges its new token`;
}

export type Freshness = { fresh: true } | { fresh: false; reason: string };

/**
 * After a restart: is the node's new token what the API server issues to the new pod? Bound to the new pod, accepted
 * by TokenReview, not expired, and granted long enough for the cadence (the plan's rule, on the new token itself).
 */
export function freshAfterRestart(after: NodeFinding, newPodUid: string, cadence: Cadence): Freshness {
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
  const lifetimeMs = grantedLifetimeMs(after.claims);
  if (lifetimeMs !== undefined && tooShortForCadence(lifetimeMs, cadence)) {
    return { fresh: false,
      reason: `${named} was granted only ${formatDuration(lifetimeMs)}: it would already be inside ` +
        `--expiring-within (${formatDuration(cadence.expiringWithinMs)}) by the next run; ${
          shortGrantFix(lifetimeMs, cadence)
        }` };
  }
  return { fresh: true };
}
