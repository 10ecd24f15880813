// Every wait of an acting run ends by the run's deadline, so that the Job's activeDeadlineSeconds never cuts a step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WaitPodsOptions } from '../../../scripts/cluster/wait-for-pod.ts';
import { executePlan } from '../../../scripts/execute/execute-plan.ts';
import { boundedTimeout } from '../../../scripts/execute/run-deadline.ts';
import { FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';

test('a wait is cut to what is left before the deadline, never below zero', () => {
  assert.equal(boundedTimeout(30_000, 1_000, 100_000), 30_000);
  assert.equal(boundedTimeout(30_000, 95_000, 100_000), 5_000);
  assert.equal(boundedTimeout(30_000, 120_000, 100_000), 0);
});

test("late in a step, no wait outlives the run's deadline: the next pod, whose budget does not fit, is not started", async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  // The first replacement takes 4 min 55 s to become Ready: the second pod's census wait starts 15 s before the end.
  c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2, readyAfterMs: 4 * MINUTE + 55 * SECOND });
  const given = await c.stepDeps({ config: { stepTimeoutMs: 5 * MINUTE } });
  const deadline = c.now() + 5 * MINUTE + 10 * SECOND; // the node's step timeout fits, barely
  const ends: { what: string; end: number }[] = [];
  const inner = given.writer;
  const deps = { ...given, writer: { ...inner, waitForPods: <T>(o: WaitPodsOptions<T>) => {
    ends.push({ what: o.what, end: c.now() + o.timeoutMs });
    return inner.waitForPods(o);
  } } };
  const report = await executePlan(
    { createdAt: c.now(), steps: [c.step('node-a')], deferred: [], skipped: [], advisories: [] },
    deps,
    { deadline },
  );
  assert.ok(ends.length >= 3, ends.map((e) => e.what).join('; '));
  const late = ends.filter((e) => e.end > deadline);
  assert.deepEqual(late, [], 'no wait asked to end after the deadline');
  // The second pod's own wait budget (pod-budget.ts) does not fit in the 15 s left: it is not started at all.
  const second = report.nodes[0]?.pods[1];
  assert.equal(second?.outcome, 'not-started');
  assert.match(second?.reason ?? '', /the run's deadline \(--deadline\) leaves no room for its wait budget/);
});
