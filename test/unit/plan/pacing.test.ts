// Pacing from the deadline (issue 12): a fleet whose tokens all expire within one hour of each other, run hourly
// through the real classifier and planner, with the executor's per-run throughput (--deadline / --node-time).
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import assert from 'node:assert/strict';
import { classifyNode } from '../../../scripts/classify/classify-node.ts';
import type { NodeScan } from '../../../scripts/model.ts';
import { pace, type PacingOptions } from '../../../scripts/plan/pacing.ts';
import { renderMetrics } from '../../../scripts/report/metrics.ts';
import { EXIT, exitCodeForRun } from '../../../scripts/report/exit-codes.ts';
import { parseMaintenanceWindow } from '../../../scripts/config/maintenance-window.ts';
import { parseConfig } from '../support/parse-config.ts';
import { HOUR, MINUTE, NOW, makeFinding, PLAN_CONFIG, planOf } from '../fixtures.ts';

const MIN = 60_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;
const config = PLAN_CONFIG;
/** Today's CronJob: hourly, 10 nodes a run, 50 min deadline, 5 min a node, act 24 h ahead. */
const PACING: PacingOptions = { intervalMs: HOUR, nodeTimeMs: 5 * MIN, runDeadlineMs: 50 * MIN, maxNodes: 10,
  marginMs: DAY };
const EXPIRING_WITHIN = DAY;

interface SimNode {
  name: string;
  exp: number;
  podUid: string;
  generation: number;
}

/** A thin Multus node whose token (bound to its pod, signed, accepted) expires at `exp` (ms). */
function scanOf(n: SimNode): NodeScan {
  return {
    node: n.name,
    multusPod: { namespace: 'kube-system', name: `kube-multus-ds-${n.name}`, uid: n.podUid, nodeName: n.name,
      mode: 'thin', serviceAccountName: 'multus',
      controller: { kind: 'DaemonSet', name: 'kube-multus-ds', uid: 'ds-uid' } },
    file: { status: 'read', via: 'exec', bytes: 1000, path: '/host/etc/cni/net.d/multus.d/multus.kubeconfig' },
    content: { status: 'token', token: { fingerprint: `fp${n.name}${n.generation}`.slice(0, 12), claims: {
      iss: 'https://kubernetes.default.svc',
      exp: Math.floor(n.exp / 1000),
      iat: Math.floor((n.exp - YEAR) / 1000),
      namespace: 'kube-system',
      serviceAccountName: 'multus',
      podName: `kube-multus-ds-${n.name}`,
      podUid: n.podUid,
    }, signature: { status: 'valid' },
      review: { status: 'authenticated', username: 'system:serviceaccount:kube-system:multus' } } },
  };
}

/** `size` nodes whose tokens expire within one hour of `at`. */
function fleet(size: number, at: number): SimNode[] {
  return Array.from({ length: size },
    (_, i) => ({ name: `node-${String(i).padStart(5, '0')}`, exp: at + Math.floor((i * HOUR) / size),
      podUid: `pod-${i}-0`, generation: 0 }));
}

interface SimResult {
  rotatedInTime: number;
  expiredFirst: number;
  runs: number;
  firstWarningAt?: number;
  maxStepsPerRun: number;
}

/**
 * Hourly runs from `start` until every token has been rotated or has expired: classify, plan, and act on the plan's
 * steps in order, as many as the run's deadline allows (the executor starts no node whose step would pass it).
 */
function simulate(nodes: SimNode[], start: number, pacing: PacingOptions | undefined, maxNodes = 10): SimResult {
  const deadlineOf = new Map(nodes.map((n) => [n.name, n.exp]));
  const done = new Map<string, number>(); // node → when its first rotation finished
  const perRun = Math.floor(PACING.runDeadlineMs / PACING.nodeTimeMs);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const last = Math.max(...nodes.map((n) => n.exp));
  let runs = 0;
  let firstWarningAt: number | undefined;
  let maxStepsPerRun = 0;
  for (let now = start; now <= last + 2 * HOUR && runs < 24 * 400; now += HOUR, runs++) {
    const findings = nodes.map((n) => classifyNode(scanOf(n), { now, expiringWithinMs: EXPIRING_WITHIN }));
    const plan = planOf({ findings, pods: [], pdbs: [], config: { ...config, maxNodes }, now,
      ...(pacing ? { pacing: { ...pacing, maxNodes } } : {}) });
    if (firstWarningAt === undefined && (plan.pacing?.shortfall ?? 0) > 0) firstWarningAt = now;
    maxStepsPerRun = Math.max(maxStepsPerRun, plan.steps.length);
    plan.steps.slice(0, perRun).forEach((step, k) => {
      const n = byName.get(step.node);
      assert.ok(n, step.node);
      const finished = now + (k + 1) * PACING.nodeTimeMs;
      if (!done.has(n.name)) done.set(n.name, finished);
      n.generation += 1;
      n.podUid = `pod-${n.name}-${n.generation}`;
      n.exp = finished + YEAR;
    });
  }
  let rotatedInTime = 0;
  for (const [name, exp] of deadlineOf) if ((done.get(name) ?? Infinity) < exp) rotatedInTime++;
  return { rotatedInTime, expiredFirst: nodes.length - rotatedInTime, runs, firstWarningAt, maxStepsPerRun };
}

describe('pacing: a fleet whose tokens expire within one hour of each other', () => {
  const EXPIRY = NOW + 30 * DAY;
  const START = EXPIRY - 8 * DAY; // 1,000 nodes at 10 a run need 100 runs: pacing must begin about 5 days ahead

  it('paced hourly runs rotate every one of 1,000 tokens before it expires, at most 10 nodes a run', () => {
    const r = simulate(fleet(1000, EXPIRY), START, PACING);
    assert.equal(r.expiredFirst, 0, `${r.expiredFirst} of 1000 tokens expired before rotation`);
    assert.equal(r.rotatedInTime, 1000);
    assert.ok(r.maxStepsPerRun <= 10, `a run planned ${r.maxStepsPerRun} nodes`);
    assert.equal(r.firstWarningAt, undefined, 'no pacing warning when the deadline can be met');
  });

  it("with today's fixed caps (10 nodes a run, 24 h ahead, no pacing) tokens expire first", () => {
    const r = simulate(fleet(1000, EXPIRY), START, undefined);
    // 24 runs × 10 nodes before the window closes: 240 rotated, the other 760 expire.
    assert.ok(r.expiredFirst >= 700, `only ${r.expiredFirst} expired`);
  });

  it('3,000 nodes at 10 a run: the deadline cannot be met, and the plan says so from the first run, days ahead', () => {
    const start = EXPIRY - 5 * DAY; // 120 runs × 10 < 3,000
    const r = simulate(fleet(3000, EXPIRY), start, PACING);
    assert.equal(r.firstWarningAt, start, 'warned at the first run');
    assert.ok(EXPIRY - (r.firstWarningAt ?? 0) >= 4 * DAY);
    assert.ok(r.expiredFirst > 0);
    // The same fleet with a cap the warning names is rotated in time.
    const first = planOf({
      findings: fleet(3000, EXPIRY).map((n) =>
        classifyNode(scanOf(n), { now: start, expiringWithinMs: EXPIRING_WITHIN })
      ),
      pods: [],
      pdbs: [],
      config,
      now: start,
      pacing: PACING,
    });
    const needed = first.pacing?.neededPerRun ?? 0;
    assert.ok(needed > 10 && needed <= 40, `needed ${needed}`);
    const fixed = { ...PACING, nodeTimeMs: Math.floor(PACING.runDeadlineMs / needed) };
    const again = simulateWith(fleet(3000, EXPIRY), start, fixed, needed);
    assert.equal(again.expiredFirst, 0);
  });

  it('the warning is loud: plan advisory, exit code ATTENTION, metric, alert rule', () => {
    const start = EXPIRY - 10 * DAY;
    const findings = fleet(5000, EXPIRY).map((n) =>
      classifyNode(scanOf(n), { now: start, expiringWithinMs: EXPIRING_WITHIN })
    );
    const plan = planOf({ findings, pods: [], pdbs: [], config, now: start, pacing: PACING });
    assert.ok(plan.pacing && plan.pacing.shortfall > 2000, JSON.stringify(plan.pacing));
    assert.match(plan.advisories.join('\n'),
      /deadline cannot be met: 5000 Multus token\(s\).*raise --max-nodes to at least \d+/);
    assert.equal(plan.steps.length, 10);
    assert.ok(plan.steps.every((s) => s.paced === true));
    assert.equal(
      exitCodeForRun(findings, { ...plan, steps: [] }, undefined, 'execute', { interrupted: false, leaseHeld: false }),
      EXIT.ATTENTION,
    );
    const text = renderMetrics({ findings,
      run: { startedAt: start, finishedAt: start + 1000, mode: 'execute', via: 'in-cluster', exitCode: 3,
        outcome: 'x' }, pacing: plan.pacing });
    assert.match(text, /^multus_token_rotator_pacing_shortfall_nodes [1-9]\d*$/m);
    assert.match(text, /^multus_token_rotator_pacing_first_miss_timestamp_seconds \d+/m);
    assert.match(readFileSync(new URL('../../../alert-rules.yaml', import.meta.url), 'utf8'),
      /alert: MultusTokenRotationCannotKeepUp\n\s+expr: max\(multus_token_rotator_pacing_shortfall_nodes\) > 0/);
  });
});

/** simulate() with another per-run throughput (and cap). */
function simulateWith(nodes: SimNode[], start: number, pacing: PacingOptions, maxNodes: number): SimResult {
  const perRun = Math.floor(pacing.runDeadlineMs / pacing.nodeTimeMs);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const deadlineOf = new Map(nodes.map((n) => [n.name, n.exp]));
  const done = new Map<string, number>();
  const last = Math.max(...nodes.map((n) => n.exp));
  let runs = 0;
  for (let now = start; now <= last + 2 * HOUR && runs < 24 * 400; now += HOUR, runs++) {
    const findings = nodes.map((n) => classifyNode(scanOf(n), { now, expiringWithinMs: EXPIRING_WITHIN }));
    const plan = planOf({ findings, pods: [], pdbs: [], config: { ...config, maxNodes }, now,
      pacing: { ...pacing, maxNodes } });
    plan.steps.slice(0, perRun).forEach((step, k) => {
      const n = byName.get(step.node) as SimNode;
      const finished = now + (k + 1) * pacing.nodeTimeMs;
      if (!done.has(n.name)) done.set(n.name, finished);
      n.generation += 1;
      n.podUid = `pod-${n.name}-${n.generation}`;
      n.exp = finished + YEAR;
    });
  }
  let ok = 0;
  for (const [name, exp] of deadlineOf) if ((done.get(name) ?? Infinity) < exp) ok++;
  return { rotatedInTime: ok, expiredFirst: nodes.length - ok, runs, maxStepsPerRun: 0 };
}

describe('pacing: pace()', () => {
  it('a token that expires before the next run is always in this run, healthy or not', () => {
    const findings = [makeFinding({ node: 'soon', class: 'healthy', expiresAt: NOW + 30 * MINUTE }),
      makeFinding({ node: 'later', class: 'healthy', expiresAt: NOW + 300 * DAY })];
    const plan = planOf({ findings, pods: [], pdbs: [], config, now: NOW, pacing: { ...PACING, marginMs: 0 } });
    assert.deepEqual(plan.steps.map((s) => [s.node, s.paced]), [['soon', true]]);
    assert.match(plan.steps[0]?.reason ?? '', /^paced ahead of --expiring-within/);
    assert.deepEqual(plan.skipped.map((s) => s.node), ['later']);
  });

  it('nothing is pulled forward while the fleet can wait; the derived horizon says when pacing begins', () => {
    const findings = Array.from({ length: 100 },
      (_, i) => makeFinding({ node: `n${i}`, class: 'healthy', expiresAt: NOW + 60 * DAY }));
    const r = pace(findings, NOW, PACING);
    assert.equal(r.dueThisRun, 0);
    assert.equal(r.shortfall, 0);
    // 100 nodes at 10 a run: 10 runs, ending a day (the margin) and one run's span before expiry.
    const expect = NOW + 60 * DAY - DAY - 50 * MIN - 9 * HOUR;
    assert.equal(r.beginsAt, expect);
    const plan = planOf({ findings, pods: [], pdbs: [], config, now: NOW, pacing: PACING });
    assert.equal(plan.steps.length, 0);
    assert.equal(plan.pacing?.pulledForward, 0);
  });

  it('capacity is the smaller of --max-nodes and --deadline / --node-time', () => {
    assert.equal(pace([makeFinding()], NOW, { ...PACING, maxNodes: 100 }).capacityPerRun, 10);
    assert.equal(pace([makeFinding()], NOW, { ...PACING, maxNodes: 100 }).limitedBy, '--deadline / --node-time');
    assert.equal(pace([makeFinding()], NOW, { ...PACING, maxNodes: 4 }).limitedBy, '--max-nodes');
  });

  it('every 5 min, a run that acts for 50 min skips the starts in between: pacing counts one run per 50 min', () => {
    // cronjob.yaml runs every 5 minutes (issue 16 item 5); concurrencyPolicy Forbid skips a start while a run acts.
    const findings = Array.from({ length: 100 },
      (_, i) => makeFinding({ node: `n${i}`, class: 'healthy', expiresAt: NOW + 60 * DAY }));
    const every5 = pace(findings, NOW, { ...PACING, intervalMs: 5 * MIN });
    assert.equal(every5.intervalMs, 50 * MIN);
    // 100 nodes at 10 a run: 10 acting runs, 50 min apart (not 5), ending a day and one span before expiry.
    assert.equal(every5.beginsAt, NOW + 60 * DAY - DAY - 50 * MIN - 9 * 50 * MIN);
    // Runs that act for less than the interval keep it.
    assert.equal(pace(findings, NOW, { ...PACING, intervalMs: 5 * MIN, maxNodes: 1 }).intervalMs, 5 * MIN);
  });

  it('runs outside the maintenance window count for nothing', () => {
    const parsed = parseMaintenanceWindow('Mon-Fri 22:00-06:00 UTC');
    assert.ok(parsed.ok);
    // NOW is a Sunday: 4 nights of 8 runs before the margin = 320 nodes; without the window, 96 runs = 960.
    const findings = Array.from({ length: 400 },
      (_, i) => makeFinding({ node: `n${i}`, class: 'healthy', expiresAt: NOW + 5 * DAY }));
    const open = pace(findings, NOW, PACING);
    const windowed = pace(findings, NOW, { ...PACING, window: parsed.window });
    assert.equal(open.shortfall, 0);
    assert.ok(windowed.shortfall > 0, JSON.stringify(windowed));
    assert.match(windowed.warning ?? '', /inside the window Mon-Fri 22:00-06:00 UTC/);
  });

  it('legacy, self-refreshing and unreadable nodes have no deadline', () => {
    const r = pace([makeFinding({ class: 'legacy', expiresAt: undefined }),
      makeFinding({ class: 'self-refreshing', expiresAt: undefined }),
      makeFinding({ class: 'unreadable', expiresAt: undefined })], NOW, PACING);
    assert.equal(r.tokens, 0);
    assert.equal(r.dueThisRun, 0);
  });

  it("cronjob.yaml's MTR_SCHEDULE_INTERVAL is its schedule's interval", () => {
    const cron = parse(readFileSync(new URL('../../../cronjob.yaml', import.meta.url), 'utf8')) as { spec: {
      schedule: string;
      jobTemplate: { spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } };
    } };
    const every = /^\*\/(\d+) \* \* \* \*$/.exec(cron.spec.schedule)?.[1];
    assert.ok(every, `schedule ${cron.spec.schedule} is every N minutes`);
    const env = Object.fromEntries(
      (cron.spec.jobTemplate.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
    );
    const parsed = parseConfig([], env, { defaultNamespace: 'x' });
    assert.ok(parsed.ok);
    assert.equal(parsed.config.scheduleIntervalMs, Number(every) * MIN);
  });

  it('--schedule-interval and --node-time are flags with MTR_ variables; --node-time is unset unless given', () => {
    const d = parseConfig([], {}, { defaultNamespace: 'x' });
    assert.ok(d.ok);
    assert.equal(d.config.scheduleIntervalMs, HOUR);
    assert.equal(d.config.nodeTimeMs, undefined); // measured by earlier runs (report/run-memory.ts)
    const c = parseConfig(['--schedule-interval=30m'], { MTR_NODE_TIME: '90s' }, { defaultNamespace: 'x' });
    assert.ok(c.ok);
    assert.equal(c.config.scheduleIntervalMs, 30 * MIN);
    assert.equal(c.config.nodeTimeMs, 90_000);
    const bad = parseConfig(['--schedule-interval=10s'], {}, { defaultNamespace: 'x' });
    assert.ok(!bad.ok);
  });
});
