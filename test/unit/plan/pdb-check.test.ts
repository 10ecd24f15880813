import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { budgetsFor, budgetVerdict } from '../../../scripts/plan/pdb-check.ts';
import type { PdbFacts, PodFacts } from '../../../scripts/model.ts';
import { makePdb, makePod } from '../fixtures.ts';

describe('budgetsFor', () => {
  const pod = makePod({ namespace: 'shop', labels: { app: 'web', tier: 'front' } });
  const cases: Array<{ name: string; pdb: PdbFacts; matches: boolean }> = [
    { name: 'matchLabels that match', pdb: makePdb({ namespace: 'shop' }), matches: true },
    { name: 'another namespace', pdb: makePdb({ namespace: 'other' }), matches: false },
    { name: 'no selector matches nothing', pdb: makePdb({ namespace: 'shop', selector: undefined }), matches: false },
    { name: 'empty selector matches all in the namespace', pdb: makePdb({ namespace: 'shop', selector: {} }),
      matches: true },
    { name: 'empty selector in another namespace', pdb: makePdb({ namespace: 'other', selector: {} }), matches: false },
    { name: 'labels that differ', pdb: makePdb({ namespace: 'shop', selector: { matchLabels: { app: 'db' } } }),
      matches: false },
    {
      name: 'matchExpressions In',
      pdb: makePdb({ namespace: 'shop',
        selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'x'] }] } }),
      matches: true,
    },
    {
      name: 'matchExpressions DoesNotExist',
      pdb: makePdb({ namespace: 'shop', selector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } }),
      matches: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(budgetsFor(pod, [c.pdb]), c.matches ? [c.pdb] : []);
    });
  }
  it('keeps every matching budget, in input order', () => {
    const a = makePdb({ namespace: 'shop', name: 'a' });
    const b = makePdb({ namespace: 'shop', name: 'b', selector: {} });
    const c = makePdb({ namespace: 'shop', name: 'c', selector: { matchLabels: { app: 'db' } } });
    assert.deepEqual(
      budgetsFor(pod, [a, c, b]).map((p) => p.name),
      ['a', 'b'],
    );
  });
});

describe('budgetVerdict', () => {
  const ready = makePod({ name: 'web-1' });
  const unready = makePod({ name: 'web-1', ready: false });
  const cases: Array<{
    name: string;
    pod: PodFacts;
    budgets: PdbFacts[];
    blocked?: RegExp;
    pdbs?: string[];
  }> = [
    { name: 'no budget: no objection', pod: ready, budgets: [] },
    { name: 'a budget with room', pod: ready, budgets: [makePdb()] },
    {
      name: 'several budgets: the eviction API answers 500',
      pod: ready,
      budgets: [makePdb({ name: 'a' }), makePdb({ name: 'b' })],
      blocked: /covered by 2 budgets \(default\/a, default\/b\).*more than one budget \(500\)/,
      pdbs: ['default/a', 'default/b'],
    },
    {
      name: 'several budgets block even an unready pod under AlwaysAllow',
      pod: unready,
      budgets: [makePdb({ name: 'a', unhealthyPodEvictionPolicy: 'AlwaysAllow' }), makePdb({ name: 'b' })],
      blocked: /500/,
    },
    {
      name: 'status never observed',
      pod: ready,
      budgets: [makePdb({ observedGeneration: undefined })],
      blocked: /budget default\/web status is not yet observed .*never observed, generation 1/,
      pdbs: ['default/web'],
    },
    {
      name: 'status observed for an older generation',
      pod: ready,
      budgets: [makePdb({ generation: 3, observedGeneration: 2 })],
      blocked: /observed generation 2, generation 3/,
    },
    {
      name: 'unknown policy',
      pod: ready,
      budgets: [makePdb({ unhealthyPodEvictionPolicy: 'Sometimes' })],
      blocked: /unknown unhealthyPodEvictionPolicy "Sometimes"; refusing to guess/,
    },
    {
      name: 'unknown policy is refused even for an unready pod',
      pod: unready,
      budgets: [makePdb({ unhealthyPodEvictionPolicy: 'alwaysallow' })],
      blocked: /refusing to guess/,
    },
    {
      name: 'no disruption allowed for a ready pod',
      pod: ready,
      budgets: [makePdb({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })],
      blocked: /^budget default\/web allows no disruption now \(healthy 2 of desired 2\)$/,
    },
    {
      name: 'negative disruptions allowed',
      pod: ready,
      budgets: [makePdb({ disruptionsAllowed: -1, currentHealthy: 1, desiredHealthy: 2 })],
      blocked: /allows no disruption now \(healthy 1 of desired 2\)/,
    },
    {
      name: 'explicit IfHealthyBudget with no room for a ready pod',
      pod: ready,
      budgets: [makePdb({ disruptionsAllowed: 0, unhealthyPodEvictionPolicy: 'IfHealthyBudget' })],
      blocked: /allows no disruption now/,
    },
    {
      name: 'unready pod, default policy, unhealthy budget',
      pod: unready,
      budgets: [makePdb({ disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 })],
      blocked: /budget default\/web is not healthy \(healthy 1 of desired 2\) and the pod is not ready/,
    },
    {
      name: 'unready pod, default policy, healthy budget with no spare disruption',
      pod: unready,
      budgets: [makePdb({ disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 })],
    },
    {
      name: 'unready pod, IfHealthyBudget, unhealthy budget',
      pod: unready,
      budgets: [
        makePdb({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 1,
          unhealthyPodEvictionPolicy: 'IfHealthyBudget' }),
      ],
      blocked: /not healthy/,
    },
    {
      name: 'unready pod, AlwaysAllow, unhealthy budget: passes',
      pod: unready,
      budgets: [
        makePdb({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 2,
          unhealthyPodEvictionPolicy: 'AlwaysAllow' }),
      ],
    },
    {
      name: 'unready pod, AlwaysAllow, even with an unobserved status: passes (the API server does not look)',
      pod: unready,
      budgets: [makePdb({ observedGeneration: undefined, unhealthyPodEvictionPolicy: 'AlwaysAllow' })],
    },
    {
      name: 'ready pod, AlwaysAllow, no room: blocked (the policy is only about unready pods)',
      pod: ready,
      budgets: [makePdb({ disruptionsAllowed: 0, unhealthyPodEvictionPolicy: 'AlwaysAllow' })],
      blocked: /allows no disruption now/,
    },
    {
      name: 'a pending pod is evicted without a budget check',
      pod: makePod({ phase: 'Pending', ready: false }),
      budgets: [makePdb({ name: 'a', disruptionsAllowed: 0 }), makePdb({ name: 'b' })],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const verdict = budgetVerdict(c.pod, c.budgets);
      if (c.blocked === undefined) {
        assert.equal(verdict, undefined);
        return;
      }
      assert.ok(verdict, 'expected a blocked verdict');
      assert.equal(verdict.action, 'blocked');
      assert.match(verdict.reason, c.blocked);
      assert.equal(verdict.name, c.pod.name);
      assert.equal(verdict.uid, c.pod.uid);
      if (c.pdbs !== undefined) {
        assert.deepEqual(verdict.pdbs, c.pdbs);
      }
    });
  }
});
