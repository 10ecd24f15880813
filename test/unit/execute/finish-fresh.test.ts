// After the repair waves (issue 16): a repaired node with nothing to evict only writes its Events. One after another,
// with a PodDisruptionBudget list each, 1,000 such nodes kept the run going ~100 s after its last fresh token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_WRITES, executePlan } from '../../../scripts/execute/execute-plan.ts';
import type { RestartPlan } from '../../../scripts/model.ts';
import { FakeCluster, HOUR } from '../support/fake-cluster.ts';

const NODES = Array.from({ length: 40 }, (_, i) => `node-${String(i).padStart(2, '0')}`);

function brokenFleet(): { c: FakeCluster; plan: RestartPlan } {
  const c = new FakeCluster();
  for (const n of NODES) c.addNode(n, { tokenExpiresInMs: -HOUR });
  const plan = { createdAt: c.now(), steps: NODES.map((n) => ({ ...c.step(n), repair: true as const })), deferred: [],
    skipped: [], advisories: [] };
  return { c, plan };
}

test('repaired nodes with nothing to evict are finished EVENT_WRITES at a time, not one after another', async () => {
  const { c, plan } = brokenFleet();
  const deps = await c.stepDeps({ config: { repairWaveSize: NODES.length } });
  let inFlight = 0;
  let most = 0;
  const event: typeof deps.event = async (spec) => {
    if (spec.reason !== 'MultusTokenRotated') return deps.event(spec);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve)); // an API round trip: the next writes may start meanwhile
    inFlight -= 1;
    return deps.event(spec);
  };
  const report = await executePlan(plan, { ...deps, event }, { deadline: c.now() + 10 * HOUR });
  assert.deepEqual(new Set(report.nodes.map((n) => n.outcome)), new Set(['rotated']));
  assert.equal(c.events.filter((e) => e.reason === 'MultusTokenRotated').length, NODES.length);
  assert.equal(most, EVENT_WRITES, `at most ${most} node Event(s) in flight at once`);
});

test('a repaired node with nothing to evict lists no PodDisruptionBudgets', async () => {
  const { c, plan } = brokenFleet();
  const deps = await c.stepDeps({ config: { repairWaveSize: NODES.length } });
  let lists = 0;
  const reader = { ...deps.reader, listPdbs: async () => {
    lists += 1;
    return deps.reader.listPdbs();
  } };
  const report = await executePlan(plan, { ...deps, reader }, { deadline: c.now() + 10 * HOUR });
  assert.equal(report.nodes.filter((n) => n.outcome === 'rotated').length, NODES.length);
  assert.equal(lists, 0);
});
