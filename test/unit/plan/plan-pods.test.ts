// The planner's second step: the pods of the selected nodes, each with a verdict, on the step of its node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planPods } from '../../../scripts/plan/plan-pods.ts';
import { selectNodes } from '../../../scripts/plan/select-nodes.ts';
import { DAY, HOUR, NOW, makeFinding, makePdb, makePod, PLAN_CONFIG, planOf, type PlanInput } from '../fixtures.ts';

const config = PLAN_CONFIG;

function plan(overrides: Partial<PlanInput>) {
  return planOf({ findings: [], pods: [], pdbs: [], config, now: NOW, ...overrides });
}

describe('planPods: pods of a step', () => {
  const pods = [
    makePod({ namespace: 'b', name: 'p1', nodeName: 'a' }),
    makePod({ namespace: 'a', name: 'p2', nodeName: 'a' }),
    makePod({ namespace: 'a', name: 'p1', nodeName: 'a', controller: undefined }),
    makePod({ namespace: 'a', name: 'plain', nodeName: 'a', annotations: {} }),
    makePod({ namespace: 'a', name: 'other-node', nodeName: 'b' }),
    makePod({ namespace: 'default', name: 'web-1', nodeName: 'a' }),
  ];
  it('lists dependents of that node only, sorted by namespace/name, and counts the rest', () => {
    const p = plan({ findings: [makeFinding({ node: 'a' })], pods, pdbs: [makePdb({ disruptionsAllowed: 0 })] });
    const [step] = p.steps;
    assert.ok(step);
    assert.deepEqual(
      step.pods.map((v) => [`${v.namespace}/${v.name}`, v.action]),
      [
        ['a/p1', 'manual'],
        ['a/p2', 'restart'],
        ['b/p1', 'restart'],
        ['default/web-1', 'blocked'],
      ],
    );
    assert.equal(step.nonDependentPods, 1);
  });
  it('policy none leaves only the Multus pod', () => {
    const [step] =
      plan({ findings: [makeFinding({ node: 'a' })], pods, config: { ...config, dependents: 'none' } }).steps;
    assert.deepEqual(step?.pods, []);
    assert.equal(step?.nonDependentPods, 5);
  });
  it('policy all includes pods without the annotation', () => {
    const [step] =
      plan({ findings: [makeFinding({ node: 'a' })], pods, config: { ...config, dependents: 'all' } }).steps;
    assert.equal(step?.pods.length, 5);
  });
  it('never lists the Multus pod among the dependents', () => {
    const multus = makePod({ name: 'kube-multus-ds-a', uid: 'multus-a', nodeName: 'a',
      controller: { kind: 'ReplicaSet', name: 'x', uid: 'x' } });
    const [step] = plan({ findings: [makeFinding({ node: 'a' })], pods: [multus] }).steps;
    assert.deepEqual(step?.pods, []);
    assert.equal(step?.nonDependentPods, 0);
  });
  it('gives the same verdicts whatever the pod order', () => {
    const a = plan({ findings: [makeFinding({ node: 'a' })], pods });
    const b = plan({ findings: [makeFinding({ node: 'a' })], pods: [...pods].reverse() });
    assert.deepEqual(a, b);
  });
  it('assigns every pod on planned nodes to the step of its node', () => {
    const many = Array.from({ length: 2000 },
      (_, i) => makePod({ name: `p${String(i).padStart(4, '0')}`, nodeName: `n${i % 20}` }));
    const findings = Array.from({ length: 20 }, (_, i) => makeFinding({ node: `n${i}`, expiresAt: NOW - HOUR }));
    const p = plan({ findings, pods: many, config: { ...config, maxNodes: 20 } });
    assert.equal(
      p.steps.reduce((n, s) => n + s.pods.length, 0),
      2000,
    );
  });
});

describe('planPods: completes the selection, never revises it (issue 20 item 1)', () => {
  const findings = [
    makeFinding({ node: 'a', class: 'expired' }),
    makeFinding({ node: 'b', class: 'expiring', expiresAt: NOW + HOUR }),
    makeFinding({ node: 'c', class: 'expiring', expiresAt: NOW + 2 * HOUR }),
    makeFinding({ node: 'h', class: 'healthy', expiresAt: NOW + 300 * DAY }),
  ];
  const input = { findings, config: { ...config, maxNodes: 1 }, now: NOW,
    leftWork: new Map([['h', { since: NOW - HOUR,
      pods: [{ namespace: 'apps', name: 'left', uid: 'u-left', reason: 'the budget allowed no disruption' }] }]]) };
  const pods = [
    makePod({ name: 'on-a', nodeName: 'a' }),
    makePod({ name: 'on-b', nodeName: 'b' }),
    makePod({ namespace: 'apps', name: 'left', uid: 'u-left', nodeName: 'h' }),
  ];
  it('the rotation steps are the selected nodes, in order, whatever the pods', () => {
    const selection = selectNodes(input);
    for (const given of [[], pods]) {
      const p = planPods(selection, { pods: given, pdbs: [] });
      assert.deepEqual(p.steps.filter((s) => !s.finish).map((s) => s.node), selection.rotations.map((r) =>
        r.finding.node
      ));
      assert.deepEqual(p.deferred, selection.deferred);
    }
    assert.deepEqual(planPods(selection, { pods, pdbs: [] }).steps.map((s) => [s.node, s.finish !== undefined]), [['a',
      false], ['b', false], ['h', true]]);
  });
  it("pods on nodes not selected change nothing: listing only the selected nodes' pods is enough", () => {
    const selection = selectNodes(input);
    const elsewhere = [makePod({ name: 'on-c', nodeName: 'c' }), makePod({ name: 'on-z', nodeName: 'z' })];
    assert.deepEqual(planPods(selection, { pods: [...pods, ...elsewhere], pdbs: [] }),
      planPods(selection, { pods, pdbs: [] }));
  });
  it('leaves the selection as it was: the same selection planned twice gives the same plan', () => {
    const selection = selectNodes(input);
    const before = structuredClone(selection);
    const first = planPods(selection, { pods, pdbs: [makePdb({ disruptionsAllowed: 0 })] });
    assert.deepEqual(selection, before);
    assert.deepEqual(planPods(selection, { pods, pdbs: [makePdb({ disruptionsAllowed: 0 })] }), first);
  });
});
