// Work left behind is finished or not promised (issue 17 item 6), runs in a row on the in-memory cluster: dependents
// a run left — cut by SIGTERM or the deadline, refused on a cordoned node — are in the summary, and the next run,
// which sees a healthy token, finishes them and says so.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../scripts/config/config.ts';
import { readLeftWork } from '../../../scripts/report/left-work.ts';
import { runOnce } from '../../../scripts/run-once.ts';
import { FakeCluster, HOUR, MINUTE, SECOND } from '../support/fake-cluster.ts';
import { fakeRunDeps } from '../support/run-deps.ts';

function runDeps(c: FakeCluster, config: Partial<Config> = {}) {
  return fakeRunDeps(c, { dependents: 'secondary-networks', ...config });
}

/** node-a with `tokenExpiresInMs`, and one ReplicaSet pod there that attaches a secondary network. */
function world(tokenExpiresInMs: number) {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs });
  const [web] = c.addReplicaSet('apps', 'web', { node: 'node-a' });
  return { c, web: web?.metadata?.uid ?? '' };
}

const evictions = (c: FakeCluster) => c.calls.filter((x) => x.startsWith('evict '));
const left = (c: FakeCluster) => readLeftWork(c.summary?.['left-work.yaml']);

test('SIGTERM before the fresh token is proven: the dependents are left, recorded, and the next run finishes them',
  async () => {
    const { c, web } = world(-HOUR);
    const sigterm = new AbortController();
    c.after(1 * SECOND, () => sigterm.abort('interrupted by SIGTERM')); // the new Multus pod is not Ready yet
    const first = await runOnce({ ...runDeps(c), signal: sigterm.signal });
    assert.equal(first.exitCode, 130);
    assert.deepEqual(left(c).get('node-a')?.pods.map((p) => p.uid), [web]);
    assert.equal(c.summary?.['left-work'], 'pods=1,nodes=1');

    await c.clock.sleeper()(10 * SECOND); // the new Multus pod is Ready and writes its token by itself
    const next = await runOnce(runDeps(c));
    assert.equal(next.findings[0]?.class, 'healthy', 'the token is healthy: nothing would be planned for it');
    assert.equal(next.plan.steps[0]?.finish?.since, first.run.startedAt);
    assert.match(next.plan.steps[0]?.reason ?? '', /^finishes what the run of .* left: 1 dependent pod\(s\)/);
    assert.equal(next.plan.leftWork?.[0]?.status, 'finishing');
    const node = next.execution?.nodes[0];
    assert.equal(node?.outcome, 'finished', node?.reason);
    assert.match(node?.reason ?? '', /^finishing what the run of .* left: 1 pod\(s\) restarted/);
    assert.deepEqual(evictions(c).length, 1);
    assert.equal(c.multusPod('node-a').metadata?.uid, next.plan.steps[0]?.multusPod.uid, 'Multus not restarted');
    assert.equal(next.exitCode, 0, next.outcome);
    assert.match(next.outcome, /1 node\(s\) finished/);
    assert.equal(left(c).size, 0);
    assert.equal(c.summary?.['left-work'], 'pods=0,nodes=0');
  });

test('the deadline leaves no room for the dependents: left, a soft "deferred", and the next run finishes them',
  async () => {
    const { c } = world(2 * HOUR); // expiring
    const first = await runOnce(runDeps(c, { stepTimeoutMs: MINUTE, runDeadlineMs: MINUTE + SECOND }));
    assert.equal(first.execution?.nodes[0]?.pods[0]?.outcome, 'not-started');
    assert.match(first.execution?.nodes[0]?.pods[0]?.reason ?? '', /deadline \(--deadline\)/);
    assert.equal(first.execution?.nodes[0]?.pods[0]?.cause, 'deadline', 'judged on the cause, printed in words');
    assert.equal(first.exitCode, 3);
    assert.equal(first.soft, 'deferred');
    assert.match(first.outcome, /1 dependent pod\(s\) left for the next run/);
    assert.equal(left(c).get('node-a')?.pods.length, 1);

    const next = await runOnce(runDeps(c));
    assert.equal(next.execution?.nodes[0]?.outcome, 'finished');
    assert.equal(evictions(c).length, 1);
    assert.equal(next.exitCode, 0);
  });

test('a summary that cannot be written loses the record: work left is then not soft', async () => {
  const { c } = world(2 * HOUR);
  c.fail('summary.write', { code: 500, message: 'etcdserver: request timed out' }, { times: 5 });
  const first = await runOnce(runDeps(c, { stepTimeoutMs: MINUTE, runDeadlineMs: MINUTE + SECOND }));
  assert.equal(first.exitCode, 3);
  assert.equal(first.soft, undefined);
});

test('refused on a cordoned node, restarted by the next run once the node is uncordoned', async () => {
  const { c, web } = world(-HOUR);
  const pod = c.pods.get(web);
  if (pod?.spec) pod.spec.nodeSelector = { 'kubernetes.io/hostname': 'node-a' }; // can only run there
  const node = c.nodes.get('node-a');
  if (node) node.unschedulable = true;
  const first = await runOnce(runDeps(c));
  assert.equal(first.execution?.nodes[0]?.pods[0]?.outcome, 'skipped');
  assert.equal(first.exitCode, 3);
  assert.equal(left(c).get('node-a')?.pods[0]?.uid, web);

  const still = await runOnce(runDeps(c)); // still cordoned: refused again, still recorded
  assert.equal(still.execution?.nodes[0]?.pods[0]?.outcome, 'skipped');
  assert.equal(evictions(c).length, 0);
  assert.equal(left(c).get('node-a')?.since, first.run.startedAt, 'the first run that left it');

  if (node) node.unschedulable = false;
  const next = await runOnce(runDeps(c));
  assert.equal(next.execution?.nodes[0]?.outcome, 'finished');
  assert.equal(evictions(c).length, 1);
  assert.equal(left(c).size, 0);
});

test('left pods replaced since are done; under --dependents none the record is dropped, saying so', async () => {
  const { c, web } = world(2 * HOUR);
  await runOnce(runDeps(c, { stepTimeoutMs: MINUTE, runDeadlineMs: MINUTE + SECOND }));
  assert.equal(left(c).size, 1);
  const dry = await runOnce(runDeps(c, { mode: 'dry-run', dependents: 'none' }));
  assert.match(dry.plan.leftWork?.[0]?.reason ?? '', /--dependents none evicts nothing/);
  assert.equal(left(c).size, 1, 'a dry run changes nothing, the record included');
  c.removePod(web); // someone else restarted it
  await c.clock.sleeper()(10 * SECOND);
  const next = await runOnce(runDeps(c));
  assert.equal(next.plan.leftWork?.[0]?.status, 'done');
  assert.equal(next.plan.steps.length, 0);
  assert.equal(left(c).size, 0);
  assert.equal(next.exitCode, 0);
});

test('a record a person edited badly is read as far as it makes sense, never as a crash', () => {
  assert.equal(readLeftWork('node-a: [unclosed').size, 0);
  const read = readLeftWork([
    'node-a:',
    '  since: "2026-11-27T00:00:00.000Z"',
    '  pods:',
    '    - { pod: apps/web-1, uid: u1, reason: r }',
    '    - { pod: no-slash, uid: u2 }',
    '    - { pod: apps/web-3 }',
    'node-b: { since: yesterday, pods: [] }',
  ].join('\n'));
  assert.deepEqual([...read.keys()], ['node-a']);
  assert.deepEqual(read.get('node-a')?.pods.map((p) => p.uid), ['u1']);
});
