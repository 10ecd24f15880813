// The held lease (lease.ts takes it): renewed in the background at a third of its TTL, lost when another holder
// has it or a whole TTL passes without a successful renewal (its lostSignal then stops the run), and handed back on
// release so that the next run need not wait. Times are written as V1MicroTime (see lease.ts).
import { type CoordinationV1Api, V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import type { LeaseInfo, Millis } from '../model.ts';
import { isConflict, statusCode } from './api-errors.ts';
import type { LeaseHandle, LeaseOptions } from './lease.ts';
import { apiError, readLease } from './lease-api.ts';

/** A lease this process holds (see LeaseHandle in lease.ts). */
export class HeldLease implements LeaseHandle {
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
