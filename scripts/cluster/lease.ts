// One run at a time, whoever starts it: a coordination.k8s.io/v1 Lease. Every write is a create or a replace with
// the resourceVersion that was read, so two runs that race for the lease cannot both win: the loser gets a 409.
//
// Times: client-node 2.0.1 serialises a V1MicroTime (a Date whose toISOString has six fractional digits, as the API
// server requires) and passes anything else through; it does not deserialise MicroTime, so times read back are
// strings. A value read back is therefore written back unchanged, and new times are always `new V1MicroTime(…)`.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { LeaseInfo, Millis } from '../model.ts';
import { describeError, isConflict, isNotFound, statusCode } from './api-errors.ts';
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
        return { ok: true, lease: new Handle(api, opts, created) };
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
      return { ok: true, lease: new Handle(api, opts, replaced) };
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

class Handle implements LeaseHandle {
  readonly info: LeaseInfo;
  private readonly controller = new AbortController();
  private current: V1Lease;
  private inFlight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** `now()` when the last successful renewal was sent (the lease holds until this + TTL at the earliest). */
  private renewedAt: Millis;
  private released = false;
  private readonly api: CoordinationV1Api;
  private readonly opts: LeaseOptions;

  constructor(api: CoordinationV1Api, opts: LeaseOptions, lease: V1Lease) {
    this.api = api;
    this.opts = opts;
    this.current = lease;
    this.renewedAt = opts.now();
    this.info = { name: opts.name, namespace: opts.namespace, holder: opts.holder, acquired: true };
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  get lostSignal(): AbortSignal {
    return this.controller.signal;
  }

  renew(): Promise<void> {
    if (this.lost || this.released) return Promise.resolve();
    this.inFlight ??= this.renewOnce().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  startRenewing(intervalMs = Math.max(1, Math.floor(this.opts.ttlMs / 3))): void {
    if (this.timer || this.lost || this.released) return;
    const tick = async () => {
      try {
        await this.renew();
      } catch {
        // Transient (timeout, 5xx, connection): the watchdog decides when it has been too long.
      }
      if (!this.lost && !this.released) this.timer = setTimeout(tick, intervalMs).unref();
    };
    this.timer = setTimeout(tick, intervalMs).unref();
    this.armWatchdog();
  }

  async release(): Promise<void> {
    this.stopTimers();
    this.released = true;
    await this.inFlight?.catch(() => undefined);
    if (this.lost) return;
    const { namespace, name } = this.opts;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const spec = this.current.spec ?? {};
      if (spec.holderIdentity !== this.opts.holder) return;
      try {
        await this.api.replaceNamespacedLease({ namespace, name,
          body: { ...this.current, spec: { ...spec, holderIdentity: undefined, renewTime: undefined } } });
        return;
      } catch (err) {
        if (!isConflict(err)) return; // the next run waits for the TTL instead
        const fresh = await readLease(this.api, namespace, name).catch(() => undefined);
        if (!fresh) return;
        this.current = fresh;
      }
    }
  }

  private async renewOnce(): Promise<void> {
    const { namespace, name, holder } = this.opts;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const sentAt = this.opts.now();
      const spec = this.current.spec ?? {};
      try {
        this.current = await this.api.replaceNamespacedLease({ namespace, name,
          body: { ...this.current, spec: { ...spec, renewTime: new V1MicroTime(sentAt) } } });
        if (this.released) return;
        this.renewedAt = sentAt;
        if (this.timer) this.armWatchdog();
        return;
      } catch (err) {
        const code = statusCode(err);
        if (code === 404) {
          this.markLost(`lease ${namespace}/${name} was deleted while ${holder} held it`);
          return;
        }
        if (code !== 409) throw apiError(`lease ${namespace}/${name}: renew`, err);
      }
      // Conflict: someone wrote the lease. Still ours (a label, an annotation)? Then renew on top of their change.
      const fresh = await readLease(this.api, namespace, name);
      const holderNow = fresh?.spec?.holderIdentity;
      if (holderNow !== holder) {
        this.markLost(`lease ${namespace}/${name} is now held by ${holderNow || 'nobody'}, not ${holder}`);
        return;
      }
      if (fresh) this.current = fresh;
    }
    throw new Error(`lease ${namespace}/${name}: renew conflicted twice while ${holder} still held it; ` +
      'something else keeps writing this Lease: find it, or pass --lease-name with a name of its own');
  }

  /** Lost when the TTL passes with no successful renewal: from then on another run may take the lease. */
  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    const ttl = this.opts.ttlMs;
    const left = this.renewedAt + ttl - this.opts.now();
    this.watchdog = setTimeout(() => {
      if (this.released || this.lost) return;
      if (this.opts.now() - this.renewedAt >= ttl) {
        this.markLost(`lease ${this.opts.namespace}/${this.opts.name}: not renewed for ${ttl / 1000}s (its TTL); ` +
          'another run may hold it now');
      } else {
        this.armWatchdog();
      }
    }, Math.max(0, left)).unref();
  }

  private markLost(reason: string): void {
    if (this.lost) return;
    this.stopTimers();
    this.controller.abort(new Error(reason));
  }

  private stopTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    this.timer = undefined;
    this.watchdog = undefined;
  }
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

async function readLease(api: CoordinationV1Api, namespace: string, name: string): Promise<V1Lease | undefined> {
  try {
    return await api.readNamespacedLease({ name, namespace });
  } catch (err) {
    if (isNotFound(err)) return undefined; // no lease, or no namespace: the create tells which
    throw apiError(`lease ${namespace}/${name}: read`, err);
  }
}

function apiError(what: string, err: unknown): Error {
  const code = statusCode(err);
  const fix = code === 403
    ? ': the rotator needs get, create and update on leases.coordination.k8s.io (rbac.yaml grants them for the ' +
      'lease named multus-token-rotator only); apply rbac.yaml, or bind the same rules for your --lease-name'
    : '';
  return new Error(`${what} failed${code ? ` (HTTP ${code})` : ''}: ${describeError(err)}${fix}`, { cause: err });
}
