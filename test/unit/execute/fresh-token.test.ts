// Issue 10 item 7 and issue 17 item 3 in the executor: after a restart, "fresh" means what the API server issues —
// bound to the new pod, accepted by TokenReview, granted long enough that it is not inside --expiring-within by the
// next run (the plan's rule, scripts/classify/token-grant.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { executePlan } from '../../../scripts/execute/execute-plan.ts';
import type { RestartPlan } from '../../../scripts/model.ts';
import { DAY, FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';

const plan = (c: FakeCluster, ...nodes: string[]): RestartPlan => ({ createdAt: c.now(),
  steps: nodes.map((n) => c.step(n)), deferred: [], skipped: [], advisories: [] });
const far = (c: FakeCluster) => ({ deadline: c.now() + 10 * HOUR });

test('a new year-long token is fresh at the defaults, though --expiring-within says nothing of it', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const report = await executePlan(plan(c, 'node-a'),
    await c.stepDeps({ config: { expiringWithinMs: DAY, stepTimeoutMs: 2 * MINUTE } }), far(c));
  assert.equal(report.nodes[0]?.outcome, 'rotated', report.nodes[0]?.reason);
});

test('a new token granted too short for the cadence (1 h, or 12 h) is not fresh: the same rule as the plan', async () => {
  for (const lifetime of [3607 * SECOND, 12 * HOUR]) {
    const c = new FakeCluster();
    c.multus.tokenLifetimeMs = lifetime;
    c.addNode('node-a', { tokenExpiresInMs: -HOUR });
    const report = await executePlan(plan(c, 'node-a'),
      await c.stepDeps({ config: { expiringWithinMs: DAY, stepTimeoutMs: 2 * MINUTE } }), far(c));
    assert.equal(report.nodes[0]?.outcome, 'failed');
    assert.match(report.nodes[0]?.reason ?? '',
      /was granted only \d+h: it would already be inside --expiring-within \(1d\) by the next run/);
  }
});
