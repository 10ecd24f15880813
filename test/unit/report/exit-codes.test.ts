import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, describeExitCodes, exitCodeForPlan } from '../../../scripts/report/exit-codes.ts';
import type { NodeFinding, NodeStep, PodAction, RestartPlan, RunMode } from '../../../scripts/model.ts';
import { makeFinding, makePlan } from '../fixtures.ts';

function step(actions: PodAction[] = []): NodeStep {
  return {
    node: 'a',
    class: 'expired',
    reason: 'expired',
    multusPod: { namespace: 'kube-system', name: 'm', uid: 'm' },
    pods: actions.map((action, i) => ({ namespace: 'ns', name: `p${i}`, uid: `u${i}`, action, reason: action })),
  };
}

describe('exitCodeForPlan', () => {
  const healthy = [makeFinding({ class: 'healthy' })];
  const expired = [makeFinding()];
  const cases: Array<{ name: string; findings: NodeFinding[]; plan: RestartPlan; mode: RunMode; want: number }> = [
    { name: 'all healthy, dry run', findings: healthy, plan: makePlan(), mode: 'dry-run', want: EXIT.OK },
    { name: 'no Multus pods at all', findings: [], plan: makePlan(), mode: 'execute', want: EXIT.OK },
    { name: 'steps in a dry run', findings: expired, plan: makePlan({ steps: [step(['restart'])] }), mode: 'dry-run', want: EXIT.ATTENTION },
    {
      name: 'steps in a server dry run',
      findings: expired,
      plan: makePlan({ steps: [step()] }),
      mode: 'server-dry-run',
      want: EXIT.ATTENTION,
    },
    { name: 'clean steps to execute', findings: expired, plan: makePlan({ steps: [step(['restart', 'skip'])] }), mode: 'execute', want: EXIT.OK },
    ...(['blocked', 'refused', 'manual'] as const).map((action) => ({
      name: `a ${action} pod in an executed step`,
      findings: expired,
      plan: makePlan({ steps: [step(['restart', action])] }),
      mode: 'execute' as const,
      want: EXIT.ATTENTION,
    })),
    {
      name: 'deferred nodes',
      findings: expired,
      plan: makePlan({ deferred: [{ node: 'a', class: 'expired', reason: 'cap', override: '--max-nodes' }] }),
      mode: 'execute',
      want: EXIT.ATTENTION,
    },
    {
      name: 'an unreadable node, nothing else',
      findings: [...healthy, makeFinding({ node: 'u', class: 'unreadable' })],
      plan: makePlan(),
      mode: 'execute',
      want: EXIT.ATTENTION,
    },
    { name: 'legacy and self-refreshing need nothing', findings: [makeFinding({ class: 'legacy' }), makeFinding({ class: 'self-refreshing' })], plan: makePlan(), mode: 'dry-run', want: EXIT.OK },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(exitCodeForPlan(c.findings, c.plan, c.mode), c.want));
  }
});

describe('EXIT and describeExitCodes', () => {
  it('has distinct codes', () => {
    const codes = Object.values(EXIT);
    assert.equal(new Set(codes).size, codes.length);
  });
  it('lists every code with its name, one per line, in order', () => {
    const lines = describeExitCodes().trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^CODE\s+NAME\s+MEANING$/);
    const rows = lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2));
    assert.deepEqual(
      rows,
      Object.entries(EXIT).map(([name, code]) => [String(code), name]),
    );
    assert.match(describeExitCodes(), /^3\s+ATTENTION\s+.*dry run, deferred, blocked/m);
    assert.match(describeExitCodes(), /^130\s+INTERRUPTED\s+stopped by SIGTERM or SIGINT$/m);
  });
});
