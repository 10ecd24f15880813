// Pacing's measured node time (report/node-times.ts): which nodes a run measures, how many are kept, the percentile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ExecutionReport, NodeExecution } from '../../../scripts/model.ts';
import { measuredNodeTime, nextNodeTimes, NODE_TIME_SAMPLES, readNodeTimes,
  renderNodeTimes } from '../../../scripts/report/node-times.ts';

const T = Date.parse('2026-11-27T00:00:00Z');

function node(name: string, outcome: NodeExecution['outcome'], workMs: number, extra: Partial<NodeExecution> = {}) {
  return { node: name, outcome, reason: '', pods: [], workMs, finishedAt: T, ...extra } satisfies NodeExecution;
}

function run(nodes: NodeExecution[]): ExecutionReport {
  return { mode: 'execute', startedAt: T, finishedAt: T, nodes };
}

test('a run keeps the working time of the nodes it rotated one by one; not repair waves, failures or dry runs', () => {
  const execution = run([node('a', 'rotated', 40_000), node('b', 'partial', 70_000), node('c', 'failed', 300_000),
    node('d', 'rotated', 5_000, { wave: 1 }), node('e', 'not-started', 0)]);
  assert.deepEqual(nextNodeTimes([], execution, 'execute').map((s) => [s.node, s.ms]), [['b', 70_000], ['a', 40_000]]);
  assert.deepEqual(nextNodeTimes([], execution, 'dry-run'), []);
  assert.deepEqual(nextNodeTimes([], execution, 'server-dry-run'), []);
});

test(`the newest ${NODE_TIME_SAMPLES} samples are kept, and survive the summary's YAML`, () => {
  let samples = nextNodeTimes([], run([node('old', 'rotated', 1)]), 'execute');
  for (let i = 0; i < NODE_TIME_SAMPLES; i++) {
    samples = nextNodeTimes(samples, run([node(`n${i}`, 'rotated', i)]), 'execute');
  }
  assert.equal(samples.length, NODE_TIME_SAMPLES);
  assert.ok(!samples.some((s) => s.node === 'old'));
  assert.deepEqual(readNodeTimes(renderNodeTimes(samples)), samples);
  assert.deepEqual(readNodeTimes('not: [a list'), []);
  assert.deepEqual(readNodeTimes('- {node: a, ms: -1, at: "2026-11-27T00:00:00Z"}\n- {node: b, ms: 5}\n'), []);
});

test('pacing takes the 90th percentile of the samples (nearest rank), none without samples', () => {
  const ms = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((x) => x * 1000);
  const samples = ms.map((x, i) => ({ node: `n${i}`, ms: x, at: T }));
  assert.deepEqual(measuredNodeTime(samples), { ms: 90_000, samples: 10 });
  assert.deepEqual(measuredNodeTime(samples.slice(0, 3)), { ms: 30_000, samples: 3 });
  assert.equal(measuredNodeTime([]), undefined);
});
