// The single-run lease (scripts/cluster/lease.ts) against the fake CoordinationV1Api: acquireLease takes a
// KubeConfig, and the fake's kubeConfig() hands it the in-memory Lease with the API server's optimistic concurrency
// (409 on a stale resourceVersion). Judging another holder by watching it is in lease-takeover.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireLease, type LeaseHandle, type LeaseOptions } from '../../../scripts/cluster/lease.ts';
import { FakeCluster, ROTATOR_NS, SECOND } from '../support/fake-cluster.ts';

const TTL = 120 * SECOND;

function opts(c: FakeCluster, holder = 'me'): LeaseOptions {
  return { namespace: ROTATOR_NS, name: 'multus-token-rotator', holder, ttlMs: TTL, now: c.now,
    sleep: c.clock.sleeper() };
}

async function acquired(c: FakeCluster, holder = 'me'): Promise<LeaseHandle> {
  const got = await acquireLease(c.kubeConfig(), opts(c, holder));
  assert.ok(got.ok, 'the lease should have been acquired');
  return got.lease;
}

/** Another run that renews its lease every 5 s from now on (for `ms`). */
function liveHolder(c: FakeCluster, holder: string, ms = 10 * 60 * SECOND): void {
  const renew = () => c.setLease({ holder, renewTime: c.now(), acquireTime: c.now() - ms, durationSeconds: 120 });
  renew();
  for (let t = 5 * SECOND; t <= ms; t += 5 * SECOND) c.after(t, renew);
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test('creates the lease when there is none, held by this run from now, at once', async () => {
  const c = new FakeCluster();
  const start = c.now();
  await acquired(c);
  const spec = c.lease()?.spec;
  assert.equal(spec?.holderIdentity, 'me');
  assert.equal(spec?.leaseDurationSeconds, 120);
  assert.equal(spec?.leaseTransitions, 0);
  assert.equal(Date.parse(String(spec?.renewTime)), start);
  assert.equal(c.now(), start, 'nobody to watch: no wait');
});

test('a lease this run already holds (a retried acquire) is renewed without a transition', async () => {
  const c = new FakeCluster();
  c.setLease({ holder: 'me', renewTime: c.now() - 5 * SECOND, transitions: 2 });
  await acquired(c);
  assert.equal(c.lease()?.spec?.leaseTransitions, 2);
  assert.equal(Date.parse(String(c.lease()?.spec?.renewTime)), c.now());
});

test('a holder that stays silent for its duration is taken over, counting a transition', async () => {
  const c = new FakeCluster();
  c.setLease({ holder: 'dead', renewTime: c.now() - 10 * SECOND, transitions: 3 });
  await acquired(c);
  assert.equal(c.lease()?.spec?.holderIdentity, 'me');
  assert.equal(c.lease()?.spec?.leaseTransitions, 4);
});

test('losing the create race to a live run (409) reports that run', async () => {
  const c = new FakeCluster();
  c.fail('lease.create', { code: 409 }, { first: (x) => liveHolder(x, 'faster') });
  const got = await acquireLease(c.kubeConfig(), opts(c));
  assert.equal(got.ok, false);
  assert.equal(!got.ok && got.info.heldBy, 'faster');
});

test('losing the takeover race (409 on replace) reports whoever holds the lease now', async () => {
  const c = new FakeCluster();
  c.setLease({ holder: 'dead', renewTime: c.now() - 10 * 60 * SECOND });
  c.fail('lease.replace', { code: 409 }, { first: (x) => x.setLease({ holder: 'faster', renewTime: x.now() }) });
  const got = await acquireLease(c.kubeConfig(), opts(c));
  assert.equal(got.ok, false);
  assert.equal(!got.ok && got.info.heldBy, 'faster');
});

test('a missing namespace says how to create it', async () => {
  const c = new FakeCluster();
  c.missingNamespaces.add(ROTATOR_NS);
  await assert.rejects(acquireLease(c.kubeConfig(), opts(c)),
    /namespace multus-token-rotator not found.*rbac\.yaml.*--lease-namespace/);
});

test('a 403 names the permission the lease needs', async () => {
  const c = new FakeCluster();
  c.fail('lease.read', { code: 403, message: 'leases.coordination.k8s.io "multus-token-rotator" is forbidden' });
  await assert.rejects(acquireLease(c.kubeConfig(), opts(c)),
    /HTTP 403.*get, create and update on leases\.coordination\.k8s\.io/);
});

test('a renewal moves renewTime to now and keeps the lease', async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  await c.clock.sleeper()(40 * SECOND);
  await lease.renew();
  assert.equal(lease.lost, false);
  assert.equal(Date.parse(String(c.lease()?.spec?.renewTime)), c.now());
});

test('a renewal that finds another holder marks the lease lost and aborts its signal with why', async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  c.setLease({ holder: 'usurper', renewTime: c.now() });
  await lease.renew();
  assert.equal(lease.lost, true);
  assert.match(String(lease.lostSignal.reason), /now held by usurper, not me/);
});

test('a renewal that finds the lease deleted marks it lost', async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  c.deleteLease();
  await lease.renew();
  assert.equal(lease.lost, true);
  assert.match(String(lease.lostSignal.reason), /was deleted while me held it/);
});

test('a renewal that conflicts while the lease is still ours renews on top of the other write', async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  c.fail('lease.replace', { code: 409 });
  await lease.renew();
  assert.equal(lease.lost, false);
  assert.equal(c.lease()?.spec?.holderIdentity, 'me');
});

test('release hands the lease back, so the next run takes it without waiting', async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  await lease.release();
  assert.equal(c.lease()?.spec?.holderIdentity, undefined);
  const start = c.now();
  assert.equal((await acquireLease(c.kubeConfig(), opts(c, 'next'))).ok, true);
  assert.equal(c.now(), start);
});

test("release after the lease was lost leaves the new holder's lease alone", async () => {
  const c = new FakeCluster();
  const lease = await acquired(c);
  c.setLease({ holder: 'usurper', renewTime: c.now() });
  await lease.renew();
  await lease.release();
  assert.equal(c.lease()?.spec?.holderIdentity, 'usurper');
});

test('renewals that keep failing lose the lease once its TTL has passed since the last success, not before', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const c = new FakeCluster();
  const lease = await acquired(c);
  c.fail('lease.replace', { code: 500, message: 'etcdserver: request timed out' }, { times: 1000 });
  lease.startRenewing(40 * SECOND);
  const advance = async (ms: number) => {
    await c.clock.sleeper()(ms);
    t.mock.timers.tick(ms);
    await flush();
  };
  for (let i = 0; i < 119; i++) await advance(SECOND);
  assert.equal(lease.lost, false);
  await advance(SECOND);
  assert.equal(lease.lost, true);
  assert.match(String(lease.lostSignal.reason), /not renewed for 120s/);
  await lease.release();
});

test('renewals that succeed keep the lease past its TTL', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const c = new FakeCluster();
  const lease = await acquired(c);
  lease.startRenewing(40 * SECOND);
  for (let i = 0; i < 300; i++) {
    await c.clock.sleeper()(SECOND);
    t.mock.timers.tick(SECOND);
    await flush();
  }
  assert.equal(lease.lost, false);
  assert.ok(Date.parse(String(c.lease()?.spec?.renewTime)) >= c.now() - 40 * SECOND);
  await lease.release();
});
