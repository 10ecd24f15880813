// Issue 10 item 7 in the executor: after a restart, "fresh" means what the API server issues — bound to the new pod,
// accepted by TokenReview, as long-lived as the API server grants — not "more than --expiring-within left".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executePlan } from '../../../scripts/execute/execute-plan.ts';
import type { RestartPlan } from '../../../scripts/model.ts';
import { DAY, FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';

const plan = (c: FakeCluster, ...nodes: string[]): RestartPlan => ({ createdAt: c.now(),
  steps: nodes.map((n) => c.step(n)), deferred: [], skipped: [], advisories: [] });
const far = (c: FakeCluster) => ({ deadline: c.now() + 10 * HOUR });

test('a new year-long token is fresh even when --expiring-within is longer than a year', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const report = await executePlan(plan(c, 'node-a'),
    await c.stepDeps({ config: { expiringWithinMs: 400 * DAY, stepTimeoutMs: 2 * MINUTE } }), far(c));
  assert.equal(report.nodes[0]?.outcome, 'rotated', report.nodes[0]?.reason);
});

test('a new token the API server did not extend (1 h, no warnafter) is not fresh, and the reason says why', async () => {
  const c = new FakeCluster();
  c.multus.tokenLifetimeMs = 3607 * SECOND;
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const report = await executePlan(plan(c, 'node-a'),
    await c.stepDeps({ config: { expiringWithinMs: 30 * MINUTE, stepTimeoutMs: 2 * MINUTE } }), far(c));
  assert.equal(report.nodes[0]?.outcome, 'failed');
  assert.match(report.nodes[0]?.reason ?? '', /lives only 1h: the API server does not extend service-account tokens/);
});
