import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NOW, PLAN_CONFIG, makeFinding, makeNode, makePod, nodeMap, planOf, type PlanInput } from '../fixtures.ts';

function plan(overrides: Partial<PlanInput>) {
  return planOf({ findings: [], pods: [], pdbs: [], config: PLAN_CONFIG, now: NOW, ...overrides });
}

describe('evictions: --max-nodes and broken nodes', () => {
  const nodes = nodeMap(
    ...['a', 'b', 'c'].map((name) => makeNode({ name, labels: { 'kubernetes.io/hostname': name } })),
  );
  const pinned = (name: string, node: string, to: string[]) =>
    makePod({ name, nodeName: node, placement: { requiredTerms: [{ matchExpressions: [
      { key: 'kubernetes.io/hostname', operator: 'In', values: to },
    ] }] } });

  it('evicts on at most --max-nodes nodes; the other broken nodes are repaired without evictions', () => {
    const findings = ['a', 'b', 'c'].map((n, i) => makeFinding({ node: n, expiresAt: NOW + (i - 100) * 1000 }));
    const pods = [pinned('pa', 'a', ['a']), pinned('pb', 'b', ['b']), pinned('pc', 'c', ['c'])];
    const p = plan({ findings, pods, nodes, config: { ...PLAN_CONFIG, maxNodes: 1 } });
    assert.deepEqual(p.steps.map((s) => [s.node, s.pods.map((v) => [v.name, v.action, v.override])]), [
      ['a', [['pa', 'restart', undefined]]],
      ['b', [['pb', 'skip', '--max-nodes']]],
      ['c', [['pc', 'skip', '--max-nodes']]],
    ]);
    assert.deepEqual(p.steps.map((s) => s.pods.map((v) => [v.later, v.cause])), [[[undefined, undefined]], [[true,
      'cap']], [[true, 'cap']]], 'left for a later run, and why');
  });

  it('a pod whose replacement fits a planned broken node carries it; one that fits an unplanned broken node is not evicted', () => {
    const findings = [makeFinding({ node: 'a' }), makeFinding({ node: 'b' })];
    // c is broken and schedulable, but its Multus pod was not scanned: deferred, so it stays broken this run.
    const withC = [...findings, makeFinding({ node: 'c' })];
    const pods = [pinned('to-b', 'a', ['a', 'b']), pinned('to-c', 'a', ['a', 'c']), pinned('only-a', 'a', ['a'])];
    const p = plan({ findings: withC, pods, nodes,
      multusPods: findings.map((f) => ({ namespace: 'kube-system', name: f.multusPod.name, uid: f.multusPod.uid,
        nodeName: f.node, ready: true, image: 'multus:v3.9', mode: 'thin' as const, serviceAccountName: 'multus',
        createdAt: 0, controller: { kind: 'DaemonSet', name: 'kube-multus-ds', uid: 'ds' } })
      ) });
    assert.deepEqual(p.deferred.map((d) => d.node), ['c']);
    const a = p.steps.find((s) => s.node === 'a');
    assert.deepEqual(a?.pods.map((v) => [v.name, v.action, v.brokenTargets]), [
      ['only-a', 'restart', undefined],
      ['to-b', 'restart', ['b']],
      ['to-c', 'skip', undefined],
    ]);
    assert.match(a?.pods[2]?.reason ?? '', /could land on broken node\(s\) c that this run does not repair/);
    assert.equal(a?.pods[2]?.cause, 'toward-broken');
  });
});
