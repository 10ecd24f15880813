import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ExecutionReport, NodeStep } from '../../../scripts/model.ts';
import { describeRepair, repairEventSpec, repairTotals } from '../../../scripts/report/repair-totals.ts';
import { makePlan, NOW } from '../fixtures.ts';

const step = (node: string, repair: boolean): NodeStep => ({ node, class: repair ? 'invalid' : 'expiring', reason: '',
  pods: [], multusPod: { namespace: 'kube-system', name: `m-${node}`, uid: `u-${node}` },
  ...(repair ? { repair: true as const } : {}) });

describe('repairTotals', () => {
  it('counts broken nodes found, repaired, failed; the last fresh token from the run start; stuck pods by outcome', () => {
    const plan = makePlan({ broken: ['a', 'b', 'c', 'z'],
      steps: [step('a', true), step('b', true), step('c', true), step('p', false)] });
    const execution: ExecutionReport = { mode: 'execute', startedAt: NOW, finishedAt: NOW + 60_000, nodes: [
      { node: 'a', outcome: 'rotated', reason: '', pods: [], freshAt: NOW + 20_000, stuckPods: [
        { namespace: 'ns', name: 'p1', uid: '1', outcome: 'started', startedMs: 3000, reason: '' },
        { namespace: 'ns', name: 'p2', uid: '2', outcome: 'not-started', reason: 'not started 120 s after',
          lastEvent: 'error getting pod: Unauthorized' },
      ] },
      { node: 'b', outcome: 'rotated', reason: '', pods: [], freshAt: NOW + 31_000 },
      { node: 'c', outcome: 'failed', reason: '', pods: [] },
      { node: 'p', outcome: 'rotated', reason: '', pods: [], freshAt: NOW + 50_000 },
    ] };
    const t = repairTotals(plan, execution, NOW - 1000);
    assert.deepEqual({ ...t, stuckNotStarted: t.stuckNotStarted.map((p) => p.pod) }, { brokenFound: 4, repaired: 2,
      failed: 1, lastFreshTokenMs: 32_000, stuckPods: 2, stuckStarted: 1, slowestStartMs: 3000,
      stuckNotStarted: ['ns/p2'] });
    assert.equal(t.stuckNotStarted[0]?.lastEvent, 'error getting pod: Unauthorized');
    assert.match(describeRepair(t),
      /^4 broken node\(s\) found, 2 repaired, 1 failed, the last fresh 32 s .*1 of 2 .*ns\/p2/);
    assert.equal(repairEventSpec(t).type, 'Warning');
  });
});
