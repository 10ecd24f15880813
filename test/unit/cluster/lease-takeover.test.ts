// Lease takeover without trusting clocks (issue 10 item 13): a holder is judged by whether its lease changes while
// this run watches it, on this run's clock — not by the time of day its renewTime says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireLease } from '../../../scripts/cluster/lease.ts';
import { FakeCluster, HOUR, ROTATOR_NS, SECOND } from '../support/fake-cluster.ts';

const opts = (c: FakeCluster) => ({ namespace: ROTATOR_NS, name: 'multus-token-rotator', holder: 'me',
  ttlMs: 10 * SECOND, now: c.now, sleep: c.clock.sleeper() });

test('a dead holder whose renewTime is in the future (its clock ahead) is taken over after its duration', async () => {
  const c = new FakeCluster();
  c.setLease({ holder: 'dead-run', renewTime: c.now() + HOUR, durationSeconds: 10 });
  const start = c.now();
  const got = await acquireLease(c.kubeConfig(), opts(c));
  assert.ok(got.ok, 'taken over');
  assert.ok(c.now() - start >= 10 * SECOND, 'only after watching it unchanged for its lease duration');
  assert.equal(c.lease()?.spec?.holderIdentity, 'me');
  assert.equal(c.lease()?.spec?.leaseTransitions, 1);
});

test('a live holder whose renewTime is in the past (its clock behind) keeps the lease', async () => {
  const c = new FakeCluster();
  const renew = (at: number) =>
    c.setLease({ holder: 'live-run', renewTime: at - HOUR, acquireTime: c.now() - 2 * HOUR, durationSeconds: 10 });
  renew(c.now());
  for (let i = 1; i <= 10; i++) c.after(i * 3 * SECOND, () => renew(c.now()));
  const got = await acquireLease(c.kubeConfig(), opts(c));
  assert.equal(got.ok, false);
  assert.equal(got.ok ? undefined : got.info.heldBy, 'live-run');
  assert.equal(c.lease()?.spec?.holderIdentity, 'live-run');
});

test('a released lease is taken at once', async () => {
  const c = new FakeCluster();
  c.setLease({ holder: undefined, renewTime: c.now() + HOUR, durationSeconds: 10 });
  const start = c.now();
  const got = await acquireLease(c.kubeConfig(), opts(c));
  assert.ok(got.ok);
  assert.equal(c.now(), start);
});
