// The whole pipeline on the in-memory cluster: an error while acting still leaves a summary of what was done
// (issue 10 item 12), with the exit code that says what went wrong.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acquireLease } from '../../scripts/cluster/lease.ts';
import type { Config } from '../../scripts/config/config.ts';
import { runOnce } from '../../scripts/run-once.ts';
import { FakeCluster, HOUR, testConfig } from './support/fake-cluster.ts';

function deps(c: FakeCluster, config: Partial<Config> = {}) {
  return {
    config: testConfig(config), reader: c.reader, writer: c.writer, writeSummary: c.writeSummary,
    via: 'local' as const, identity: 'test', now: c.now, emit: () => undefined, holder: 'me',
    acquireLease: (o: Parameters<typeof acquireLease>[1]) => acquireLease(c.kubeConfig(), { ...o, sleep: c.clock.sleeper() }),
  };
}

test('an error thrown half-way through a node: the summary records the pod already evicted, exit 6', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  const [first, second] = c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2 })
    .map((p) => p.metadata?.name ?? '').sort();
  c.fail('evict', new TypeError('Cannot read properties of undefined (reading \'status\')'), { target: `apps/${second}` });
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 6);
  const node = result.execution?.nodes[0];
  assert.equal(node?.outcome, 'failed');
  assert.match(node?.reason ?? '', /unexpected error: Cannot read properties/);
  assert.deepEqual(node?.pods.map((p) => [p.name, p.outcome]), [[first, 'evicted'], [second, 'not-started']]);
  assert.equal(c.summaryWrites, 1);
  assert.equal(c.summary?.['exit-code'], '6');
  assert.match(c.summary?.['summary.yaml'] ?? '', new RegExp(`${first}[\\s\\S]*evicted`));
  assert.equal(c.lease()?.spec?.holderIdentity, undefined, 'the lease was released');
});

test('the lease cannot be read (403): nothing is changed, the summary is written, exit 4', async () => {
  const c = new FakeCluster();
  c.addNode('node-a', { tokenExpiresInMs: -HOUR });
  c.fail('lease.read', { code: 403, message: 'leases.coordination.k8s.io is forbidden' }, { times: 5 });
  const result = await runOnce(deps(c));
  assert.equal(result.exitCode, 4);
  assert.equal(c.calls.filter((x) => x.startsWith('delete') || x.startsWith('evict')).length, 0);
  assert.equal(c.summaryWrites, 1);
  assert.match(c.summary?.['summary.yaml'] ?? '', /acting could not start: .*forbidden/);
});

test('no rbac.yaml namespace for the summary (404): one line saying what to do, and the run\'s own exit code', async () => {
  const c = new FakeCluster();
  c.addNode('node-a'); // healthy: exit 0
  c.fail('summary.read', { code: 404, message: 'namespaces "multus-token-rotator" not found' });
  const emitted: unknown[] = [];
  const result = await runOnce({ ...deps(c, { mode: 'dry-run' }), emit: (e) => emitted.push(e) });
  assert.equal(result.exitCode, 0);
  const warning = result.warnings.find((w) => w.includes('summary')) ?? '';
  assert.match(warning, /namespace multus-token-rotator does not exist: apply rbac\.yaml .* or pass --summary-namespace/);
  assert.doesNotMatch(warning, /HTTP-Code|Unknown API Status|\n/);
});
