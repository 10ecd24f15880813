import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeStep } from '../../../scripts/model.ts';
import { planWaves, waveStopsRun } from '../../../scripts/plan/waves.ts';

function step(node: string, repair: boolean): NodeStep {
  return { node, class: repair ? 'expired' : 'expiring', reason: '', pods: [],
    multusPod: { namespace: 'kube-system', name: `m-${node}`, uid: `u-${node}` }, ...(repair ? { repair: true } : {}) };
}

describe('planWaves', () => {
  it('cuts the repair steps, in plan order, into waves of the given size; preventive steps are in none', () => {
    const steps = [step('a', true), step('b', true), step('c', true), step('d', true), step('e', true),
      step('p', false)];
    assert.deepEqual(planWaves(steps, 2), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(planWaves(steps, 100), [[0, 1, 2, 3, 4]]);
    assert.deepEqual(planWaves([step('p', false)], 10), []);
  });
  it('1,000 broken nodes at the default wave size of 100 are 10 waves', () => {
    const steps = Array.from({ length: 1000 }, (_, i) => step(`n${i}`, true));
    assert.equal(planWaves(steps, 100).length, 10);
  });
});

describe('waveStopsRun', () => {
  it('stops only when most of a wave failed, never for a single node', () => {
    assert.equal(waveStopsRun(1, 1), false, "a wave of one that fails is that node's problem");
    assert.equal(waveStopsRun(10, 1), false);
    assert.equal(waveStopsRun(10, 5), false, 'half is not most');
    assert.equal(waveStopsRun(10, 6), true);
    assert.equal(waveStopsRun(2, 2), true);
    assert.equal(waveStopsRun(3, 2), true);
  });
});
