import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT, describeExitCodes, exitCodeForRun, type RunExitOptions } from '../../../scripts/report/exit-codes.ts';
import type { ExecutionReport, NodeExecution, NodeFinding, NodeOutcome, NodeStep, PodAction, PodOutcome, RestartPlan,
  RunMode } from '../../../scripts/model.ts';
import { NOW, makeFinding, makePlan } from '../fixtures.ts';

function step(actions: PodAction[] = [], node = 'a'): NodeStep {
  return {
    node,
    class: 'expired',
    reason: 'expired',
    multusPod: { namespace: 'kube-system', name: 'm', uid: 'm' },
    pods: actions.map((action, i) => ({ namespace: 'ns', name: `p${i}`, uid: `u${i}`, action, reason: action })),
  };
}

describe('exitCodeForRun without an execution report (the plan alone)', () => {
  const healthy = [makeFinding({ class: 'healthy' })];
  const expired = [makeFinding()];
  const cases: Array<{ name: string; findings: NodeFinding[]; plan: RestartPlan; mode: RunMode; want: number }> = [
    { name: 'all healthy, dry run', findings: healthy, plan: makePlan(), mode: 'dry-run', want: EXIT.OK },
    { name: 'no Multus pods at all', findings: [], plan: makePlan(), mode: 'execute', want: EXIT.OK },
    { name: 'steps in a dry run', findings: expired, plan: makePlan({ steps: [step(['restart'])] }), mode: 'dry-run',
      want: EXIT.ATTENTION },
    {
      name: 'steps in a server dry run',
      findings: expired,
      plan: makePlan({ steps: [step()] }),
      mode: 'server-dry-run',
      want: EXIT.ATTENTION,
    },
    { name: 'clean steps to execute', findings: expired, plan: makePlan({ steps: [step(['restart', 'skip'])] }),
      mode: 'execute', want: EXIT.OK },
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
    { name: 'legacy and self-refreshing need nothing',
      findings: [makeFinding({ class: 'legacy' }), makeFinding({ class: 'self-refreshing' })], plan: makePlan(),
      mode: 'dry-run', want: EXIT.OK },
  ];
  for (const c of cases) {
    it(c.name, () =>
      assert.equal(exitCodeForRun(c.findings, c.plan, undefined, c.mode, { interrupted: false, leaseHeld: false }),
        c.want));
  }
});

function nodeRun(node: string, outcome: NodeOutcome, pods: PodOutcome[] = []): NodeExecution {
  return {
    node,
    outcome,
    reason: outcome,
    pods: pods.map((o, i) => ({ namespace: 'ns', name: `p${i}`, uid: `u${i}`, outcome: o, reason: o })),
  };
}

function execution(nodes: NodeExecution[], overrides: Partial<ExecutionReport> = {}): ExecutionReport {
  return { mode: 'execute', startedAt: NOW, finishedAt: NOW + 60_000, nodes, ...overrides };
}

describe('exitCodeForRun', () => {
  const expired = [makeFinding({ node: 'a' }), makeFinding({ node: 'b' })];
  const twoSteps = makePlan({ steps: [step(['restart']), step(['restart'], 'b')] });
  const clean: RunExitOptions = { interrupted: false, leaseHeld: false };
  const cases: Array<{
    name: string;
    plan?: RestartPlan;
    findings?: NodeFinding[];
    execution: ExecutionReport | undefined;
    mode?: RunMode;
    opts?: Partial<RunExitOptions>;
    want: number;
  }> = [
    { name: 'every node rotated',
      execution: execution([nodeRun('a', 'rotated', ['evicted']), nodeRun('b', 'rotated', ['already-gone'])]),
      want: EXIT.OK },
    { name: 'a node skipped by the re-check',
      execution: execution([nodeRun('a', 'rotated'), nodeRun('b', 'skipped', ['skipped'])]), want: EXIT.OK },
    { name: 'a node failed', execution: execution([nodeRun('a', 'failed'), nodeRun('b', 'not-started')]),
      want: EXIT.FAILED },
    { name: 'a pod failed on a partial node',
      execution: execution([nodeRun('a', 'partial', ['evicted', 'failed']), nodeRun('b', 'rotated')]),
      want: EXIT.FAILED },
    { name: 'a partial node with a blocked pod',
      execution: execution([nodeRun('a', 'partial', ['blocked']), nodeRun('b', 'rotated')]), want: EXIT.ATTENTION },
    { name: 'a not-started pod',
      execution: execution([nodeRun('a', 'rotated', ['evicted', 'not-started']), nodeRun('b', 'rotated')]),
      want: EXIT.ATTENTION },
    {
      name: 'a not-started node (deadline)',
      execution: execution([nodeRun('a', 'rotated'), nodeRun('b', 'not-started')], { stoppedBecause: 'deadline' }),
      want: EXIT.ATTENTION,
    },
    { name: 'a planned step missing from the report', execution: execution([nodeRun('a', 'rotated')]),
      want: EXIT.ATTENTION },
    { name: 'plan only, execute mode, clean steps', execution: undefined, want: EXIT.OK },
    {
      name: 'server dry run with steps',
      execution: execution([nodeRun('a', 'dry-run', ['dry-run']), nodeRun('b', 'dry-run')], { mode: 'server-dry-run' }),
      mode: 'server-dry-run',
      want: EXIT.ATTENTION,
    },
    { name: 'dry run with steps, no report', execution: undefined, mode: 'dry-run', want: EXIT.ATTENTION },
    {
      name: 'an unreadable node beside rotated ones',
      findings: [...expired, makeFinding({ node: 'u', class: 'unreadable' })],
      execution: execution([nodeRun('a', 'rotated'), nodeRun('b', 'rotated')]),
      want: EXIT.ATTENTION,
    },
    {
      name: 'deferred nodes beside rotated ones',
      plan: makePlan({ steps: twoSteps.steps,
        deferred: [{ node: 'c', class: 'expired', reason: 'cap', override: '--max-nodes' }] }),
      execution: execution([nodeRun('a', 'rotated'), nodeRun('b', 'rotated')]),
      want: EXIT.ATTENTION,
    },
    {
      name: 'a refused pod in the plan, reported as skipped',
      plan: makePlan({ steps: [step(['restart', 'refused']), step([], 'b')] }),
      execution: execution([nodeRun('a', 'rotated', ['evicted', 'skipped']), nodeRun('b', 'rotated')]),
      want: EXIT.ATTENTION,
    },
    { name: 'the lease is held by another run', execution: undefined, opts: { leaseHeld: true }, want: EXIT.LOCKED },
    {
      name: 'the report says the lease was not acquired',
      execution: execution([], {
        lease: { name: 'l', namespace: 'n', holder: 'me', acquired: false, heldBy: 'other' },
      }),
      want: EXIT.LOCKED,
    },
    {
      name: 'interrupted wins over a failure',
      execution: execution([nodeRun('a', 'failed'), nodeRun('b', 'not-started')]),
      opts: { interrupted: true, leaseHeld: true },
      want: EXIT.INTERRUPTED,
    },
    { name: 'locked wins over a failure', execution: execution([nodeRun('a', 'failed')]), opts: { leaseHeld: true },
      want: EXIT.LOCKED },
    { name: 'a failure wins over attention', findings: [...expired, makeFinding({ node: 'u', class: 'unreadable' })],
      execution: execution([nodeRun('a', 'failed')]), want: EXIT.FAILED },
  ];
  for (const c of cases) {
    it(c.name, () =>
      assert.equal(
        exitCodeForRun(c.findings ?? expired, c.plan ?? twoSteps, c.execution, c.mode ?? 'execute', { ...clean,
          ...c.opts }),
        c.want,
      ));
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
