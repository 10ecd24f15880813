// Whether a node's file must be read this run, or its facts from the last read can be judged again. Pure: the known
// facts, what this run learnt cheaply (the Multus pod list, the service account's UID, the JWKS's key ids, the
// issuer: one request each, whatever the fleet's size) and `now`. A node is read again when anything its token's
// validity depends on changed; when in doubt, it is read.
import type { Millis, MultusPodFacts } from '../model.ts';
import type { KnownFacts } from './known-facts.ts';

export type RereadVerdict =
  | { read: false }
  | { read: true; reason: RereadReason; flag?: string };

/** Why a node is read: short and fixed, so that a run can count them. */
export type RereadReason =
  | 'every run (--reread-every 0)'
  | 'no facts from an earlier run'
  | 'new Multus pod'
  | 'several Multus pods (a rollout)'
  | 'kubeconfig path changed'
  | 'issuer changed'
  | 'service account recreated'
  | 'service account not found'
  | 'JWKS not readable'
  | 'signing key gone from the JWKS'
  | 'expiry within --expiring-within'
  | 'periodic read (--reread-every)';

/** What the run knows now, for every node. */
export interface RereadContext {
  known?: KnownFacts;
  now: Millis;
  rereadEveryMs: number;
  expiringWithinMs: number;
  path: string;
  issuer?: string;
  /** The key ids of the cluster's JWKS; undefined when it could not be read. */
  keyIds?: ReadonlySet<string>;
}

const read = (reason: RereadReason, flag?: string): RereadVerdict => ({ read: true, reason,
  ...(flag === undefined ? {} : { flag }) });

/** The decision for one node, whose newest Multus pod is `pod` (`pods` Multus pods on it in all). */
export function rereadVerdict(node: string, pod: MultusPodFacts, pods: number, serviceAccountUid: string | undefined,
  ctx: RereadContext): RereadVerdict {
  if (ctx.rereadEveryMs <= 0) return read('every run (--reread-every 0)', '--reread-every');
  const k = ctx.known?.nodes.get(node);
  if (ctx.known === undefined || k === undefined) return read('no facts from an earlier run');
  if (pods > 1) return read('several Multus pods (a rollout)');
  if (k.pod !== pod.uid) return read('new Multus pod');
  if (ctx.known.path !== ctx.path) return read('kubeconfig path changed');
  if (ctx.known.issuer !== ctx.issuer) return read('issuer changed');
  if (serviceAccountUid === undefined) return read('service account not found');
  if (k.profile.serviceAccountUid !== serviceAccountUid) return read('service account recreated');
  if (ctx.keyIds === undefined) return read('JWKS not readable');
  if (k.profile.kid === undefined || !ctx.keyIds.has(k.profile.kid)) return read('signing key gone from the JWKS');
  if (k.exp * 1000 - ctx.now < ctx.expiringWithinMs) {
    return read('expiry within --expiring-within', '--expiring-within');
  }
  if (ctx.now - k.readAt >= ctx.rereadEveryMs) return read('periodic read (--reread-every)', '--reread-every');
  return { read: false };
}

/** The key ids of a JWKS document ({"keys": [{"kid": …}]}); undefined when it is not one. */
export function keyIdsOf(jwks: unknown): ReadonlySet<string> | undefined {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) return undefined;
  const ids = new Set<string>();
  for (const key of (jwks as { keys: unknown[] }).keys) {
    const kid = typeof key === 'object' && key !== null ? (key as { kid?: unknown }).kid : undefined;
    if (typeof kid === 'string') ids.add(kid);
  }
  return ids;
}
