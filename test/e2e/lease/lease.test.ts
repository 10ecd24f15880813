// One run at a time: the Lease against a real API server. Refusal, release, takeover of a dead holder, a race of
// five, renewal past the TTL, and noticing that someone else took the lease.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { acquireLease, makeHolderIdentity, type AcquireResult, type LeaseHandle,
  type LeaseOptions } from '../../../scripts/cluster/lease.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';

const env = clusterEnv();
const coordination = env.kc.makeApiClient(CoordinationV1Api);
const NAME = 'multus-token-rotator';

function opts(namespace: string, ttlMs = 60_000): LeaseOptions {
  return { namespace, name: NAME, holder: makeHolderIdentity(), ttlMs, now: Date.now };
}

function held(r: AcquireResult, who: string): LeaseHandle {
  assert.ok(r.ok, `${who} acquires the lease (${r.ok ? '' : `held by ${r.info.heldBy}`})`);
  return r.lease;
}

describe('lease', { timeout: 60_000 }, () => {
  test('makeHolderIdentity is hostname/pid/6 hex digits, and differs per call', () => {
    const a = makeHolderIdentity();
    assert.match(a, new RegExp(`^[^/]+/${process.pid}/[0-9a-f]{6}$`));
    assert.notEqual(a, makeHolderIdentity());
  });

  test('a second holder is refused with heldBy and heldSince', async (t) => {
    const ns = await withNamespace(t, env);
    const a = opts(ns);
    const before = Date.now();
    const first = held(await acquireLease(env.kc, a), 'the first holder');
    assert.deepEqual(first.info, { name: NAME, namespace: ns, holder: a.holder, acquired: true });
    first.startRenewing(300); // alive: the second holder sees it renew while it watches
    const b = opts(ns);
    const second = await acquireLease(env.kc, b);
    assert.ok(!second.ok, 'the second holder is refused');
    assert.equal(second.info.acquired, false);
    assert.equal(second.info.holder, b.holder);
    assert.equal(second.info.heldBy, a.holder);
    assert.match(second.info.heldSince ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const since = Date.parse(second.info.heldSince ?? '');
    assert.ok(since >= before - 1000 && since <= Date.now(), `heldSince ${second.info.heldSince} is when A acquired`);

    // On the wire: six fractional digits, the duration in whole seconds, no transition yet.
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.match(String(lease.spec?.renewTime), /\.\d{6}Z$/);
    assert.equal(lease.spec?.leaseDurationSeconds, 60);
    assert.equal(lease.spec?.leaseTransitions, 0);
    assert.equal(lease.spec?.holderIdentity, a.holder);
    await first.release();
  });

  test('after a release the next holder acquires at once', async (t) => {
    const ns = await withNamespace(t, env);
    const first = held(await acquireLease(env.kc, opts(ns)), 'the first holder');
    await first.release();
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(lease.spec?.holderIdentity, undefined);
    assert.equal(lease.spec?.renewTime, undefined);
    assert.equal(first.lost, false, 'a release is not a loss');
    const second = held(await acquireLease(env.kc, opts(ns)), 'the next holder');
    await second.release();
  });

  test('a holder that stops renewing is taken over once this run has seen it unchanged for the TTL', async (t) => {
    const ns = await withNamespace(t, env);
    const dead = held(await acquireLease(env.kc, opts(ns, 2000)), 'the first holder');
    const b = opts(ns, 2000);
    const asked = Date.now();
    const next = held(await acquireLease(env.kc, b), 'the next holder after the TTL');
    assert.ok(Date.now() - asked >= 2000, `waited ${Date.now() - asked} ms, at least the TTL, on this run's clock`);
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(lease.spec?.holderIdentity, b.holder);
    assert.equal(lease.spec?.leaseTransitions, 1);
    // The dead holder wakes up: its renewal finds another holder, and its release leaves the new holder alone.
    await dead.renew();
    assert.equal(dead.lost, true);
    await dead.release();
    const after = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(after.spec?.holderIdentity, b.holder);
    await next.release();
  });

  test('five acquirers at the same moment: exactly one wins, the others name it', async (t) => {
    const ns = await withNamespace(t, env);
    const all = Array.from({ length: 5 }, () => opts(ns));
    // As a run does: the winner renews at once, so the others see it alive.
    const results = await Promise.all(all.map((o) =>
      acquireLease(env.kc, o).then((r) => {
        if (r.ok) r.lease.startRenewing(300);
        return r;
      })
    ));
    const winners = results.flatMap((r) => (r.ok ? [r.lease] : []));
    assert.equal(winners.length, 1, `winners: ${winners.map((w) => w.info.holder).join(', ')}`);
    const winner = winners[0];
    assert.ok(winner);
    for (const r of results) {
      if (!r.ok) assert.equal(r.info.heldBy, winner.info.holder);
    }
    await winner.release();
  });

  test('five acquirers race for a lease whose holder died: exactly one wins', async (t) => {
    const ns = await withNamespace(t, env);
    held(await acquireLease(env.kc, opts(ns, 1000)), 'the holder that dies');
    await sleep(1500);
    const results = await Promise.all(Array.from({ length: 5 }, () => acquireLease(env.kc, opts(ns, 1000))));
    const winners = results.flatMap((r) => (r.ok ? [r.lease] : []));
    assert.equal(winners.length, 1);
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(lease.spec?.holderIdentity, winners[0]?.info.holder);
    assert.equal(lease.spec?.leaseTransitions, 1);
    await winners[0]?.release();
  });

  test('renewing keeps the lease held past the TTL', async (t) => {
    const ns = await withNamespace(t, env);
    const a = held(await acquireLease(env.kc, opts(ns, 2000)), 'the holder');
    a.startRenewing();
    await sleep(4500);
    const other = await acquireLease(env.kc, opts(ns, 2000));
    assert.equal(other.ok, false, 'still held after more than twice the TTL');
    assert.equal(a.lost, false);
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    const age = Date.now() - Date.parse(String(lease.spec?.renewTime));
    assert.ok(age < 2000, `renewed ${age} ms ago`);
    await a.release();
    // Released: the background renewal has stopped and does not take the lease back.
    const next = held(await acquireLease(env.kc, opts(ns, 2000)), 'the next holder');
    await sleep(1000);
    const after = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(after.spec?.holderIdentity, next.info.holder);
    await next.release();
  });

  test('a takeover by someone else marks the lease lost at the next renewal', async (t) => {
    const ns = await withNamespace(t, env);
    const a = held(await acquireLease(env.kc, opts(ns, 3000)), 'the holder');
    a.startRenewing(300);
    const current = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    await coordination.replaceNamespacedLease({ namespace: ns, name: NAME,
      body: { ...current, spec: { ...current.spec, holderIdentity: 'someone-else' } } });
    if (!a.lostSignal.aborted) await once(a.lostSignal, 'abort', { signal: AbortSignal.timeout(5000) });
    assert.equal(a.lost, true);
    assert.match(String((a.lostSignal.reason as Error).message), /now held by someone-else/);
    await a.release();
    const after = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(after.spec?.holderIdentity, 'someone-else', 'release leaves the new holder alone');
  });

  test('a dead holder whose renewTime is an hour in the future (its clock ahead) is still taken over', async (t) => {
    const ns = await withNamespace(t, env);
    const future = new V1MicroTime(Date.now() + 3600_000);
    await coordination.createNamespacedLease({ namespace: ns,
      body: { metadata: { name: NAME },
        spec: { holderIdentity: 'run-with-a-fast-clock', leaseDurationSeconds: 2, acquireTime: future,
          renewTime: future, leaseTransitions: 0 } } });
    const asked = Date.now();
    const next = held(await acquireLease(env.kc, opts(ns, 2000)), 'the next holder');
    const waited = Date.now() - asked;
    assert.ok(waited >= 2000 && waited < 10_000, `taken over after ${waited} ms: its 2 s duration on our clock`);
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: NAME });
    assert.equal(lease.spec?.holderIdentity, next.info.holder);
    assert.equal(lease.spec?.leaseTransitions, 1);
    await next.release();
  });

  test('a missing namespace is an error that names it and the fix', async () => {
    const ns = `e2e-missing-${process.pid}`;
    await assert.rejects(acquireLease(env.kc, opts(ns)),
      (err: Error) =>
        err.message.includes(`namespace ${ns} not found`) && /rbac\.yaml/.test(err.message) &&
        /--lease-namespace/.test(err.message));
  });
});
