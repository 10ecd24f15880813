// Exit codes the hourly Job should not fail on (issue 10 item 14): "another run held the lease" and "work left for
// later runs by design" exit 0 with --exit-zero-on; real failures and anything a person must look at do not.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse } from 'yaml';
import { parseConfig } from '../support/parse-config.ts';
import type { ExecutionReport, NodeExecution, NodeStep, PodVerdict } from '../../../scripts/model.ts';
import { EXIT, exitCodeForRun } from '../../../scripts/report/exit-codes.ts';
import { jobExitCode, softOutcome } from '../../../scripts/report/soft-exit.ts';
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
const cap = { node: 'b', class: 'expired' as const, reason: 'cap of 1 nodes per run reached', override: '--max-nodes' };

test('only nodes beyond --max-nodes left: exit 3 for the record, 0 for the Job with --exit-zero-on deferred', () => {
  const plan = makePlan({ steps: [step('a')], deferred: [cap] });
  const exec = report([done('a')]);
  assert.equal(exitCodeForRun(findings, plan, exec, 'execute', ok), EXIT.ATTENTION);
  const soft = softOutcome(findings, plan, exec, 'execute', ok);
  assert.equal(soft, 'deferred');
  assert.equal(jobExitCode(EXIT.ATTENTION, soft, ['deferred', 'locked']), 0);
  assert.equal(jobExitCode(EXIT.ATTENTION, soft, []), EXIT.ATTENTION, 'without the flag the code is unchanged');
});

test("outside the maintenance window, or a node's evictions cut by it: deferred", () => {
  const plan = makePlan({ steps: [step('a'), step('b')] });
  const why = 'outside the maintenance window (Mon-Fri 22:00-06:00 Europe/Berlin)';
  const notStarted = { node: 'b', outcome: 'not-started' as const, reason: `not started: ${why}`, pods: [] };
  assert.equal(softOutcome(findings, plan, report([done('a'), notStarted], why), 'execute', ok), 'deferred');
  const cut = done('a', { outcome: 'partial',
    pods: [{ namespace: 'apps', name: 'web-1', uid: 'u1', outcome: 'not-started', reason: `not evicted: ${why}` }] });
  assert.equal(softOutcome(findings, makePlan({ steps: [step('a')] }), report([cut]), 'execute', ok), 'deferred');
});

test('another run holds the lease: locked', () => {
  const plan = makePlan({ steps: [step('a')] });
  const soft = softOutcome(findings, plan, report([]), 'execute', { interrupted: false, leaseHeld: true });
  assert.equal(soft, 'locked');
  assert.equal(jobExitCode(EXIT.LOCKED, soft, ['locked']), 0);
});

test('real failures and anything a person must look at still fail the Job', () => {
  const blocked: PodVerdict = { ...restart, action: 'blocked', reason: 'budget allows no disruption' };
  const withBlocked = makePlan({ steps: [step('a', [blocked])], deferred: [cap] });
  assert.equal(softOutcome(findings, withBlocked, report([done('a', { outcome: 'partial', pods: [] })]), 'execute', ok),
    undefined);
  const failed = report([done('a', { outcome: 'failed' })]);
  assert.equal(softOutcome(findings, makePlan({ steps: [step('a')] }), failed, 'execute', ok), undefined);
  const notReady = { ...cap, reason: 'node b is NotReady', override: undefined };
  assert.equal(
    softOutcome(findings, makePlan({ steps: [step('a')], deferred: [notReady] }), report([done('a')]), 'execute', ok),
    undefined,
  );
  assert.equal(softOutcome(findings, makePlan({ steps: [step('a')] }), undefined, 'dry-run', ok), undefined,
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
