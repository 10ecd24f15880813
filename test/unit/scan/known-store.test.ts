// Runs one after the other on the in-memory cluster (issue 16 item 5): the second reads no node when nothing changed,
// exactly the node whose Multus pod was replaced, every node after the service account was recreated, and every node
// once --reread-every has passed. The real-cluster proof is test/e2e/rotator/steady-state.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../scripts/config/config.ts';
import type { RunEvent } from '../../../scripts/log/events.ts';
import { runOnce } from '../../../scripts/run-once.ts';
import { FakeCluster, HOUR, testConfig } from '../support/fake-cluster.ts';

async function run(c: FakeCluster, config: Partial<Config> = {}) {
  const events: RunEvent[] = [];
  const result = await runOnce({ acting: 'dry-run', config: testConfig({ mode: 'dry-run', ...config }),
    reader: c.reader, writeSummary: c.writeSummary, via: 'local', identity: 'test', now: c.now,
    emit: (e) => events.push(e) });
  const read = events.flatMap((e) => (e.type === 'node-read' ? [e.node] : [])).sort();
  return { result, read, events };
}

function fleet(): FakeCluster {
  const c = new FakeCluster();
  for (const n of ['node-a', 'node-b', 'node-c']) c.addNode(n);
  return c;
}

test('nothing changed: the second run reads no node, judges every node again, and writes no facts', async () => {
  const c = fleet();
  const first = await run(c);
  assert.deepEqual(first.read, ['node-a', 'node-b', 'node-c']);
  assert.equal(c.factsWrites, 1);
  await c.clock.sleeper()(60_000);
  const second = await run(c);
  assert.deepEqual(second.read, []);
  assert.deepEqual(second.result.findings.map((f) => f.class), ['healthy', 'healthy', 'healthy']);
  assert.equal(c.factsWrites, 1, 'the facts did not change: not written again');
  assert.match(c.summary?.['summary.yaml'] ?? '', /reads:\n {2}read: 0\n {2}reused: 3/);
  assert.equal(c.summary?.['nodes-read'], '0');
});

test('a node whose Multus pod was replaced is read, and only it', async () => {
  const c = fleet();
  await run(c);
  c.removePod(c.multusPod('node-b').metadata?.uid ?? '');
  c.setReady(c.multusPod('node-b').metadata?.uid ?? '', true); // the new pod writes its token
  const second = await run(c);
  assert.deepEqual(second.read, ['node-b']);
  assert.equal(second.result.findings.find((f) => f.node === 'node-b')?.class, 'healthy');
  assert.deepEqual((second.events.find((e) => e.type === 'nodes-reused') as { reasons?: unknown })?.reasons, {
    'new Multus pod': 1,
  });
});

test('the service account recreated: every node is read, and found invalid', async () => {
  const c = fleet();
  await run(c);
  assert.deepEqual((await run(c)).read, [], 'before: nothing to read');
  c.recreateMultusServiceAccount();
  const second = await run(c);
  assert.deepEqual(second.read, ['node-a', 'node-b', 'node-c']);
  assert.deepEqual(second.result.findings.map((f) => f.class), ['invalid', 'invalid', 'invalid']);
});

test('--reread-every after the last read, or 0: every node is read', async () => {
  const c = fleet();
  await run(c);
  await c.clock.sleeper()(HOUR);
  assert.deepEqual((await run(c)).read, ['node-a', 'node-b', 'node-c']);
  assert.deepEqual((await run(c)).read, []);
  assert.deepEqual((await run(c, { rereadEveryMs: 0 })).read, ['node-a', 'node-b', 'node-c']);
});

test('a token that enters --expiring-within between runs is judged expiring from its facts, and read', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: 25 * HOUR });
  await run(c);
  assert.deepEqual((await run(c, { rereadEveryMs: 24 * HOUR })).read, [], 'before: nothing to read');
  await c.clock.sleeper()(2 * HOUR);
  const second = await run(c, { rereadEveryMs: 24 * HOUR });
  assert.deepEqual(second.read, ['node-a']);
  assert.equal(second.result.findings[0]?.class, 'expiring');
});
