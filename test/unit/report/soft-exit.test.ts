// Exit codes the hourly Job should not fail on (issue 10 item 14): "another run held the lease" and "work left for
// later runs by design" exit 0 with --exit-zero-on; real failures and anything a person must look at do not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../support/parse-config.ts';
import type { ExecutionReport, NodeExecution, NodeStep, PodVerdict, RestartPlan,
  RunMode } from '../../../scripts/model.ts';
import { EXIT } from '../../../scripts/report/exit-codes.ts';
import { judgeRun } from '../../../scripts/report/judge-run.ts';
import { jobExitCode } from '../../../scripts/report/soft-exit.ts';
import { makeFinding, makePlan, NOW } from '../fixtures.ts';

const restart: PodVerdict = { namespace: 'apps', name: 'web-1', uid: 'u1', action: 'restart', reason: 'networks' };
const step = (node: string, pods: PodVerdict[] = [restart]): NodeStep => ({ node, class: 'expired', reason: 'expired',
  multusPod: { namespace: 'kube-system', name: `m-${node}`, uid: `m-${node}` }, pods });
const done = (node: string, extra: Partial<NodeExecution> = {}): NodeExecution => ({ node, outcome: 'rotated',
  reason: 'ok', pods: [{ namespace: 'apps', name: 'web-1', uid: 'u1', outcome: 'evicted', reason: 'replaced' }],
  ...extra });
const report = (nodes: NodeExecution[], stoppedBecause?: string): ExecutionReport => ({ mode: 'execute', startedAt: NOW,
  finishedAt: NOW, nodes, ...(stoppedBecause ? { stoppedBecause } : {}) });
const ok = { interrupted: false, leaseHeld: false };
const findings = [makeFinding({ node: 'a' }), makeFinding({ node: 'b' })];
const judge = (plan: RestartPlan, execution: ExecutionReport | undefined, mode: RunMode = 'execute', opts = ok) =>
  judgeRun({ findings, plan, execution, mode, ...opts });
const softOutcome = (plan: RestartPlan, execution: ExecutionReport | undefined, mode: RunMode = 'execute', opts = ok) =>
  judge(plan, execution, mode, opts).soft;
const cap = { node: 'b', class: 'expired' as const, reason: 'cap of 1 nodes per run reached', override: '--max-nodes',
  cause: 'cap' as const };

test('only nodes beyond --max-nodes left: exit 3 for the record, 0 for the Job with --exit-zero-on deferred', () => {
  const plan = makePlan({ steps: [step('a')], deferred: [cap] });
  const exec = report([done('a')]);
  const judged = judge(plan, exec);
  assert.equal(judged.exitCode, EXIT.ATTENTION);
  const soft = judged.soft;
  assert.equal(soft, 'deferred');
  assert.equal(jobExitCode(EXIT.ATTENTION, soft, ['deferred', 'locked']), 0);
  assert.equal(jobExitCode(EXIT.ATTENTION, soft, []), EXIT.ATTENTION, 'without the flag the code is unchanged');
  const { cause: _, ...flagOnly } = cap;
  assert.equal(judge(makePlan({ steps: [step('a')], deferred: [flagOnly] }), exec).soft, undefined,
    'the cause decides, not the flag the deferral names');
});

// The executor's words are printed, never parsed: the typed cause decides (issue 20 item 2).
const notStartedNode = (cause: NodeExecution['cause'], reason = 'not started: a gate was closed'): NodeExecution => ({
  node: 'b',
  outcome: 'not-started',
  reason,
  ...(cause ? { cause } : {}),
  pods: [],
});
const cutNode = (cause: NodeExecution['cause'], reason = 'not evicted: a gate was closed'): NodeExecution =>
  done('a', { outcome: 'partial',
    pods: [{ namespace: 'apps', name: 'web-1', uid: 'u1', outcome: 'not-started', reason,
      ...(cause ? { cause } : {}) }] });

test("outside the maintenance window or past the deadline, or a node's evictions cut by them: deferred", () => {
  const plan = makePlan({ steps: [step('a'), step('b')] });
  for (const cause of ['window', 'deadline'] as const) {
    assert.equal(softOutcome(plan, report([done('a'), notStartedNode(cause)], 'a gate was closed')), 'deferred', cause);
    assert.equal(softOutcome(makePlan({ steps: [step('a')] }), report([cutNode(cause)])), 'deferred', cause);
  }
});

test('the cause decides, not the words: a reason reworded keeps the soft outcome, a borrowed one does not make it', () => {
  const plan = makePlan({ steps: [step('a'), step('b')] });
  assert.equal(softOutcome(plan, report([done('a'), notStartedNode('window', 'not started: closed for now')])),
    'deferred');
  // The words of a gate, but the node was stopped by something a person must look at: not soft.
  const borrowed = 'not started: outside the maintenance window (Mon-Fri 22:00-06:00 Europe/Berlin)';
  for (const cause of ['signal', 'on-failure', 'error', undefined] as const) {
    assert.equal(softOutcome(plan, report([done('a'), notStartedNode(cause, borrowed)])), undefined, String(cause));
    assert.equal(
      softOutcome(makePlan({ steps: [step('a')] }),
        report([cutNode(cause, "not evicted: the run's deadline (--deadline) leaves no room")])),
      undefined,
      String(cause),
    );
  }
});

test('dependents left by the cap or until a broken node is repaired: deferred; a cordon is for a person', () => {
  const left = (cause: NodeExecution['cause']): NodeExecution =>
    done('a', { outcome: 'rotated',
      pods: [{ namespace: 'apps', name: 'web-1', uid: 'u1', outcome: 'skipped', reason: 'left for later', later: true,
        ...(cause ? { cause } : {}) }] });
  const plan = makePlan({ steps: [step('a')] });
  assert.equal(softOutcome(plan, report([left('cap')])), 'deferred');
  assert.equal(softOutcome(plan, report([left('toward-broken')])), 'deferred');
  assert.equal(judge(plan, report([left('cordoned')])).exitCode, EXIT.ATTENTION);
  assert.equal(softOutcome(plan, report([left('cordoned')])), undefined);
});

test('acting that could not start keeps its code and is never soft, even with every node left undone', () => {
  const plan = makePlan({ steps: [step('a')] });
  const stopped: ExecutionReport = { ...report([], 'acting could not start: HTTP 403'), stopCause: 'cannot-act' };
  for (const failedToAct of [EXIT.CLUSTER, EXIT.ERROR]) {
    const judged = judgeRun({ findings, plan, execution: stopped, mode: 'execute', ...ok, failedToAct });
    assert.equal(judged.exitCode, failedToAct);
    assert.equal(judged.soft, undefined);
  }
});

test('a summary not written: an OK run exits CLUSTER, work left is no longer soft, a missing namespace keeps the code',
  () => {
    const clean = judge(makePlan({ steps: [step('a')] }), report([done('a')]));
    assert.deepEqual([clean.exitCode, clean.outcome], [EXIT.OK, '1 node(s) rotated']);
    assert.deepEqual(clean.unrecorded.failed, { exitCode: EXIT.CLUSTER, outcome: 'summary not written' });
    assert.deepEqual(clean.unrecorded.setup, { exitCode: EXIT.OK, outcome: '1 node(s) rotated' });
    // Left on a node whose Multus pod this run restarted: the record is what the next run finishes.
    const left = judge(makePlan({ steps: [step('a')] }),
      report([{ ...cutNode('window'), multus: { oldPod: 'm-a', oldUid: 'm-a' } }]));
    assert.equal(left.soft, 'deferred');
    assert.equal(left.unrecorded.failed.soft, undefined);
    assert.equal(left.unrecorded.failed.exitCode, EXIT.ATTENTION);
    assert.equal(left.unrecorded.setup.soft, undefined);
    const capped = judge(makePlan({ steps: [step('a')], deferred: [cap] }), report([done('a')]));
    assert.equal(capped.unrecorded.failed.soft, 'deferred', 'nothing left on a node: the next run finds it anyway');
  });

test('another run holds the lease: locked', () => {
  const plan = makePlan({ steps: [step('a')] });
  const soft = softOutcome(plan, report([]), 'execute', { interrupted: false, leaseHeld: true });
  assert.equal(soft, 'locked');
  assert.equal(jobExitCode(EXIT.LOCKED, soft, ['locked']), 0);
});

test('real failures and anything a person must look at still fail the Job', () => {
  const blocked: PodVerdict = { ...restart, action: 'blocked', reason: 'budget allows no disruption' };
  const withBlocked = makePlan({ steps: [step('a', [blocked])], deferred: [cap] });
  assert.equal(softOutcome(withBlocked, report([done('a', { outcome: 'partial', pods: [] })])), undefined);
  const failed = report([done('a', { outcome: 'failed' })]);
  assert.equal(softOutcome(makePlan({ steps: [step('a')] }), failed), undefined);
  const notReady = { node: 'b', class: 'expired' as const, reason: 'node b is NotReady' };
  assert.equal(
    softOutcome(makePlan({ steps: [step('a')], deferred: [notReady] }), report([done('a')])),
    undefined,
  );
  assert.equal(softOutcome(makePlan({ steps: [step('a')] }), undefined, 'dry-run', ok), undefined,
    'a report-only run with work to do is for a person');
});

test('--exit-zero-on parses locked and deferred, refuses others; cronjob.yaml sets both', () => {
  const parsed = parseConfig([], { MTR_EXIT_ZERO_ON: 'deferred, locked' }, { defaultNamespace: 'x' });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.ok && parsed.config.exitZeroOn, ['deferred', 'locked']);
  const bad = parseConfig(['--exit-zero-on', 'failed'], {}, { defaultNamespace: 'x' });
  assert.ok(!bad.ok && bad.problems.some((p) => /unknown outcomes: "failed"/.test(p.message)));
  const cron = parse(readFileSync(new URL('../../../cronjob.yaml', import.meta.url), 'utf8')) as {
    spec: {
      jobTemplate: { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
    };
  };
  const env = cron.spec.jobTemplate.spec.template.spec.containers[0]?.env ?? [];
  const value = env.find((e) => e.name === 'MTR_EXIT_ZERO_ON')?.value ?? '';
  assert.deepEqual(value.split(',').map((v) => v.trim()).sort(), ['deferred', 'locked']);
});
