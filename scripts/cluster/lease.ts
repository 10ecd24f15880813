// One run at a time, whoever starts it: a coordination.k8s.io/v1 Lease. Every write is a create or a replace with
// the resourceVersion that was read, so two runs that race for the lease cannot both win: the loser gets a 409.
// This file takes the lease; lease-handle.ts holds it (renews, notices it lost, hands it back).
//
// Times: client-node 2.0.1 serialises a V1MicroTime (a Date whose toISOString has six fractional digits, as the API
// server requires) and passes anything else through; it does not deserialise MicroTime, so times read back are
// strings. A value read back is therefore written back unchanged, and new times are always `new V1MicroTime(…)`.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseInfo, Millis } from '../model.ts';
import { describeError, isConflict, isNotFound } from './api-errors.ts';
import { apiError, readLease } from './lease-api.ts';
import { HeldLease } from './lease-handle.ts';
import { formatInstant } from '../shared/time-format.ts';

export interface LeaseOptions {
  namespace: string;
  name: string;
  holder: string;
  ttlMs: number;
  now: () => Millis;
  /** How to wait while watching another holder's lease (tests pass a fake clock's). */
  sleep?: (ms: number) => Promise<unknown>;
}

export interface LeaseHandle {
  readonly info: LeaseInfo;
  /** True once another holder has the lease, or the TTL passed without a successful renewal. Never reset. */
  readonly lost: boolean;
  /** Aborts (with an Error saying why) when the lease is lost; not when it is released. */
  readonly lostSignal: AbortSignal;
  /** Writes a new renewTime. Marks the lease lost if it now has another holder; throws on other errors. */
  renew(): Promise<void>;
  /** Renews every `intervalMs` in the background until released or lost. */
  startRenewing(intervalMs?: number): void;
  /** Stops renewing and, if we still hold the lease, hands it back so the next run need not wait. Never throws. */
  release(): Promise<void>;
}

export type AcquireResult = { ok: true; lease: LeaseHandle } | { ok: false; info: LeaseInfo };

/** Where the single-run lease is kept: what a run is given (run-once.ts), not the cluster connection behind it. */
export interface LeaseStore {
  acquire(opts: LeaseOptions): Promise<AcquireResult>;
}

/** The lease as a coordination.k8s.io/v1 Lease on the cluster `kc` connects to. */
export function kubeLeaseStore(kc: KubeConfig): LeaseStore {
  return { acquire: (opts) => acquireLease(kc, opts) };
}

const LABELS = { 'app.kubernetes.io/name': 'multus-token-rotator', 'app.kubernetes.io/component': 'lease' };

/** `${hostname}/${pid}/${6 random hex digits}`: unique per process, and says where the holder runs. */
export function makeHolderIdentity(): string {
  return `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
}

export async function acquireLease(kc: KubeConfig, opts: LeaseOptions): Promise<AcquireResult> {
  const api = kc.makeApiClient(CoordinationV1Api);
  const { namespace, name, holder, now } = opts;
  const what = `lease ${namespace}/${name}`;
  const durationSeconds = leaseDurationSeconds(opts.ttlMs);
  const refused = (lease: V1Lease | undefined): AcquireResult => ({ ok: false, info: heldInfo(opts, lease) });

  // A create that conflicts (created meanwhile) or a read that finds nothing (deleted meanwhile) goes round again.
  for (let attempt = 1; attempt <= 3; attempt++) {
    let current = await readLease(api, namespace, name);
    const seenHolder = current?.spec?.holderIdentity ?? '';
    if (current && seenHolder !== '' && seenHolder !== holder) {
      const watched = await outlast(api, opts, current);
      if (watched.alive) return refused(watched.lease);
      current = watched.lease;
    }
    if (!current) {
      const t = new V1MicroTime(now());
      const body: V1Lease = {
        metadata: { name, namespace, labels: LABELS },
        spec: { holderIdentity: holder, leaseDurationSeconds: durationSeconds, acquireTime: t, renewTime: t,
          leaseTransitions: 0 },
      };
      try {
        const created = await api.createNamespacedLease({ namespace, body });
        return { ok: true, lease: new HeldLease(api, opts, created) };
      } catch (err) {
        if (isConflict(err)) continue; // another run created it first: read it and judge
        if (isNotFound(err)) {
          throw new Error(`${what}: namespace ${namespace} not found (${describeError(err)}); ` +
            'apply rbac.yaml, which creates it, or pass --lease-namespace NS with an existing namespace');
        }
        throw apiError(`${what}: create`, err);
      }
    }

    const spec = current.spec ?? {};
    const heldBy = spec.holderIdentity ?? '';

    const t = new V1MicroTime(now());
    const body: V1Lease = {
      ...current,
      spec: {
        ...spec,
        holderIdentity: holder,
        leaseDurationSeconds: durationSeconds,
        acquireTime: heldBy === holder ? spec.acquireTime : t,
        renewTime: t,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (heldBy === holder ? 0 : 1),
      },
    };
    try {
      const replaced = await api.replaceNamespacedLease({ namespace, name, body });
      return { ok: true, lease: new HeldLease(api, opts, replaced) };
    } catch (err) {
      if (isNotFound(err)) continue; // deleted since the read: create it
      if (!isConflict(err)) throw apiError(`${what}: update`, err);
      // Lost the race: the lease changed since our read. Report whoever holds it now.
      return refused(await readLease(api, namespace, name).catch(() => undefined));
    }
  }
  throw new Error(`${what}: created and deleted by someone else three times while acquiring it; ` +
    'find what else manages this Lease, or pass --lease-name with a name of its own');
}

// ───────────────────────────── helpers ─────────────────────────────

/** The API server takes whole seconds; never round a TTL down to nothing. */
function leaseDurationSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

/** What a holder changes when it renews or hands over (not labels or annotations others may write). */
function recordOf(lease: V1Lease): string {
  const s = lease.spec ?? {};
  return JSON.stringify([s.holderIdentity ?? '', String(s.renewTime ?? ''), String(s.acquireTime ?? ''),
    s.leaseTransitions ?? 0, s.leaseDurationSeconds ?? 0]);
}

/**
 * Whether another holder is alive, judged as client-go's leader election does: without trusting any clock's time of
 * day. The holder's renewTime was written by its clock, which may be ahead (it would look alive for ever) or behind
 * (a live holder would look dead). So the lease is watched, on our own clock, from the moment we first saw it: if its
 * record changes within its leaseDurationSeconds, the holder is alive; if it does not, the holder is dead and the
 * unchanged lease (its resourceVersion) may be taken over. A lease already released when first read is free at once; a
 * lease deleted while watched is created again.
 */
async function outlast(api: CoordinationV1Api, opts: LeaseOptions,
  seen: V1Lease): Promise<{ alive: true; lease: V1Lease } | { alive: false; lease: V1Lease | undefined }> {
  const durationMs = (seen.spec?.leaseDurationSeconds ?? leaseDurationSeconds(opts.ttlMs)) * 1000;
  const wait = opts.sleep ?? ((ms: number) => sleep(ms));
  const pollMs = Math.min(2000, Math.max(50, Math.floor(durationMs / 10)));
  const observedAt = opts.now();
  while (opts.now() - observedAt <= durationMs) {
    await wait(pollMs);
    const fresh = await readLease(api, opts.namespace, opts.name);
    if (!fresh) return { alive: false, lease: undefined };
    // Renewed, handed over or released while we watched: someone was acting meanwhile, and the plan this run made
    // before may be stale. Report who held it; the next run starts from the cluster as it is then.
    if (recordOf(fresh) !== recordOf(seen)) return { alive: true, lease: fresh.spec?.holderIdentity ? fresh : seen };
  }
  return { alive: false, lease: seen };
}

/** A MicroTime as read back (a string) or as written (a Date). */
function millisOf(t: unknown): Millis | undefined {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function heldInfo(opts: LeaseOptions, lease: V1Lease | undefined): LeaseInfo {
  const spec = lease?.spec;
  const since = millisOf(spec?.acquireTime) ?? millisOf(spec?.renewTime);
  return {
    name: opts.name,
    namespace: opts.namespace,
    holder: opts.holder,
    acquired: false,
    ...(spec?.holderIdentity ? { heldBy: spec.holderIdentity } : {}),
    ...(since !== undefined ? { heldSince: formatInstant(since) } : {}),
  };
}
