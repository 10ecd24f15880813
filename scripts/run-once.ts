// One run of the pipeline: scan ─► classify ─► select nodes ─► list their workloads ─► plan their pods ─► execute ─►
// report, each step called once. The same code path for the local zx run, the CronJob and a manual Job; only the
// connection differs. The clock, the cluster and the stop signal are passed in. Only --execute takes the lease and
// changes the cluster; a dry run and --server-dry-run change nothing.
import { classifyNode } from './classify/classify-node.ts';
import { lifetimeAdvisories } from './classify/lifetime-advisory.ts';
import { describeError, isForbidden, isNotFound } from './cluster/api-errors.ts';
import { executePlan } from './execute/execute-plan.ts';
import { requireGuardRails } from './execute/guard-rails.ts';
import type { Recheck } from './execute/recheck-port.ts';
import { abortableSleep, type StepDeps } from './execute/step-deps.ts';
import type { SoftOutcome } from './config/config.ts';
import type { ExecutionReport, LeaseInfo, NodeFinding, RestartPlan, RunInfo } from './model.ts';
import { planPods } from './plan/plan-pods.ts';
import { selectNodes } from './plan/select-nodes.ts';
import { recheckOn } from './recheck.ts';
import type { ActingDeps, RunDeps } from './run-deps.ts';
import { buildSummary } from './report/build-summary.ts';
import { nextFailedRuns, withFailedRuns } from './report/failure-streaks.ts';
import { pacingNodeTime, readRunMemory } from './report/run-memory.ts';
import { renderMetrics } from './report/metrics.ts';
import { pacingEvent, repairEvent } from './report/daemonset-event.ts';
import { repairTotals } from './report/repair-totals.ts';
import { exitCodeForError } from './report/error-exit.ts';
import { judgeRun, type RunVerdict } from './report/judge-run.ts';
import { resolveClaimAffinity } from './scan/claim-affinity.ts';
import { loadKnownFacts, saveKnownFacts } from './scan/known-store.ts';
import { scanStatefulSets } from './scan/statefulsets.ts';
import { stuckEvidence } from './scan/stuck-evidence.ts';
import { findMultusPods, readNodes } from './scan/scan-nodes.ts';
import { listWorkloads, narrowWorkloads, scanWorkloads } from './scan/scan-workloads.ts';

export interface RunResult {
  exitCode: number;
  outcome: string;
  findings: NodeFinding[];
  plan: RestartPlan;
  warnings: string[];
  run: RunInfo;
  execution?: ExecutionReport;
  /** Set when the exit code says only "another run held the lease" or "work left for later runs" (--exit-zero-on). */
  soft?: SoftOutcome;
}

export async function runOnce(deps: RunDeps): Promise<RunResult> {
  const { config, reader, emit } = deps;
  const startedAt = deps.now();
  emit({ type: 'run-started', mode: config.mode, via: deps.via, identity: deps.identity });

  // Scan: the Multus pods and the nodes first (two lists), then the nodes' files.
  const known = await loadKnownFacts(reader, config.summaryNamespace, config.summaryName, emit); // scan/reread.ts
  const [found, memory] = await Promise.all([findMultusPods(reader, config, emit), readRunMemory(reader, config)]);
  // When --max-nodes covers every Multus node, any of them may be planned: the workload list then runs while the
  // files are read (it keeps pods on every node, as the plan would). Otherwise it waits for the plan's nodes and keeps
  // only theirs — at --max-nodes 10 that is 10 nodes' pods out of the whole cluster's.
  const early = found.groups.length > 0 && found.groups.length <= config.maxNodes
    ? listWorkloads(reader, () => true) : undefined;
  early?.catch(() => undefined); // awaited (and thrown) below
  const scanned = await readNodes(reader, config, found, emit, { known: known.facts, now: deps.now() });

  // Classify each node's token.
  const judgedAt = deps.now();
  const findings = scanned.nodes.map((n) =>
    classifyNode(n, { now: judgedAt, expiringWithinMs: config.expiringWithinMs })
  );
  await saveKnownFacts(deps.writeSummary, config, scanned, findings, known, judgedAt, emit);
  for (const f of findings) emit({ type: 'node-classified', node: f.node, class: f.class, reason: f.reason });

  // Select the nodes: which ones the plan acts on does not depend on their pods.
  const selection = selectNodes({
    findings,
    nodes: found.nodeFacts,
    multusPods: scanned.nodes.map((n) => n.multusPod),
    config,
    now: judgedAt,
    advisories: lifetimeAdvisories(findings, { expiringWithinMs: config.expiringWithinMs,
      intervalMs: config.scheduleIntervalMs }),
    failedRuns: memory.failedRuns,
    leftWork: memory.leftWork,
    pacing: { intervalMs: config.scheduleIntervalMs, ...pacingNodeTime(config, memory.nodeTimes),
      runDeadlineMs: config.runDeadlineMs, maxNodes: config.maxNodes, marginMs: config.expiringWithinMs,
      window: config.window },
  });

  // List their workloads: only the selected nodes' pods (the early list narrowed to them, or listed now).
  const multusUids = new Set(scanned.nodes.map((n) => n.multusPod.uid));
  const workloads = early !== undefined ? narrowWorkloads(await early, selection.podNodes, multusUids)
    : await scanWorkloads(reader, selection.podNodes, multusUids);
  emit({ type: 'workloads-listed', pods: workloads.pods.length, pdbs: workloads.pdbs.length,
    nodes: selection.podNodes.size });
  // On a cordoned node, a pod whose volume is local can only come back there: look its claims' volumes up.
  const warnings = [...scanned.warnings];
  const pods = await stuckEvidence(reader, await resolveClaimAffinity(reader, workloads.pods, found.nodeFacts),
    findings, warnings, emit);
  // A StatefulSet with a pending revision would bring an evicted pod back changed: read the dependents' sets.
  const statefulSets = await scanStatefulSets(reader, pods);

  // Plan their pods: a verdict for every dependent on the selected nodes.
  const plan = planPods(selection, { pods, pdbs: workloads.pdbs, statefulSets });
  emit({ type: 'plan-built', steps: plan.steps.length, deferred: plan.deferred.length, skipped: plan.skipped.length });
  if (plan.pacing?.warning !== undefined) {
    emit({ type: 'warning', message: plan.pacing.warning });
    if (deps.acting === 'execute') {
      await pacingEvent(deps.writer, scanned.nodes.map((n) => n.multusPod), plan.pacing.warning, emit);
    }
  }

  const interrupt = deps.signal ?? new AbortController().signal;
  let execution: ExecutionReport | undefined;
  let leaseHeld = false;
  let declined = false;
  let failedToAct: number | undefined;
  if (deps.acting !== 'dry-run' && plan.steps.length > 0 && !interrupt.aborted) {
    declined = deps.confirm ? !(await deps.confirm(plan, findings)) : false;
    if (declined) {
      warnings.push('not confirmed: nothing was changed');
    } else {
      try {
        ({ execution, leaseHeld } = await execute({ ...deps, signal: interrupt }, plan,
          recheckOn(reader, config, scanned.context, deps.now), startedAt));
      } catch (err) {
        // Acting could not begin (the lease could not be read or written, …): the summary still says so. Errors
        // while acting on a node are the executor's: it reports them as that node's failure.
        const reason = `acting could not start: ${describeError(err)}`;
        failedToAct = exitCodeForError(err);
        warnings.push(reason);
        emit({ type: 'warning', message: reason });
        const now = deps.now();
        execution = { mode: config.mode, startedAt: now, finishedAt: now, nodes: [], stoppedBecause: reason,
          stopCause: 'cannot-act' };
      }
    }
  }
  const failuresNow = nextFailedRuns(memory.failedRuns, execution, declined ? 'dry-run' : config.mode);
  execution = withFailedRuns(execution, failuresNow);
  if (execution && plan.steps.some((s) => s.repair) && deps.acting === 'execute') {
    await repairEvent(deps.writer, scanned.nodes.map((n) => n.multusPod), repairTotals(plan, execution, startedAt),
      emit);
  }
  // Declined, the plan's steps are left undone: judged like a dry run.
  const judged = judgeRun({ findings, plan, execution, mode: declined ? 'dry-run' : config.mode,
    interrupted: interrupt.aborted, leaseHeld, ...(failedToAct === undefined ? {} : { failedToAct }) });
  let verdict: RunVerdict = judged;
  const run = (): RunInfo => ({ startedAt, finishedAt: deps.now(), mode: config.mode, via: deps.via,
    identity: deps.identity, exitCode: verdict.exitCode, outcome: verdict.outcome });
  try {
    await deps.writeSummary(config.summaryNamespace, config.summaryName, (previous) =>
      buildSummary({ run: run(), findings, plan, warnings, previous, historyLimit: config.historyLimit, execution,
        reads: scanned.reads }));
    emit({ type: 'summary-written', namespace: config.summaryNamespace, name: config.summaryName });
  } catch (err) {
    // The create answers 404 only when the namespace does not exist: a local run against a cluster where rbac.yaml
    // (which creates it) was never applied. That is a setup step, not a cluster failure: say it, keep the run's code.
    const noNamespace = isNotFound(err);
    const reason = isForbidden(err)
      ? 'forbidden: grant create/get/update on this ConfigMap (rbac.yaml), or set --summary-namespace'
      : noNamespace ? `namespace ${config.summaryNamespace} does not exist: apply rbac.yaml (it creates it) or pass ` +
        '--summary-namespace NS with an existing namespace'
      : describeError(err);
    emit({ type: 'summary-failed', namespace: config.summaryNamespace, name: config.summaryName, reason });
    warnings.push(
      `the summary could not be written to ConfigMap ${config.summaryNamespace}/${config.summaryName}: ${reason}`,
    );
    verdict = judged.unrecorded[noNamespace ? 'setup' : 'failed'];
  }
  const info = run();
  if (config.pushgatewayUrl && deps.pushMetrics) {
    try {
      await deps.pushMetrics(config.pushgatewayUrl,
        renderMetrics({ findings, run: info, execution, pacing: plan.pacing,
          repair: repairTotals(plan, execution, startedAt), failedRuns: failuresNow }));
      emit({ type: 'metrics-pushed', url: config.pushgatewayUrl });
    } catch (err) {
      const message = `the metrics could not be pushed to ${config.pushgatewayUrl}: ${describeError(err)}`;
      warnings.push(message);
      emit({ type: 'warning', message });
    }
  }
  const { exitCode, outcome, soft } = verdict;
  emit({ type: 'run-finished', exitCode, outcome, ms: info.finishedAt - startedAt });
  return { exitCode, outcome, findings, plan, warnings, run: info, execution, ...(soft ? { soft } : {}) };
}

/** Takes the lease (execute only), walks the plan, and always releases the lease. */
async function execute(deps: ActingDeps & { signal: AbortSignal }, plan: RestartPlan, recheck: Recheck,
  startedAt: number): Promise<{ execution?: ExecutionReport; leaseHeld: boolean }> {
  const { config, emit, writer } = deps;
  if (deps.acting === 'execute' && deps.guardRails) await requireGuardRails(deps.guardRails, config, plan, emit);
  let signal = deps.signal;
  let lease: LeaseInfo | undefined;
  let release = async () => undefined as void;
  if (deps.acting === 'execute') {
    const got = await deps.lease.acquire({ namespace: config.leaseNamespace, name: config.leaseName,
      holder: deps.holder, ttlMs: config.leaseTtlMs, now: deps.now });
    if (!got.ok) {
      emit({ type: 'lease-held', namespace: config.leaseNamespace, name: config.leaseName,
        heldBy: got.info.heldBy ?? 'unknown', since: got.info.heldSince });
      const now = deps.now();
      return { leaseHeld: true,
        execution: { mode: config.mode, startedAt: now, finishedAt: now, lease: got.info, nodes: [],
          stoppedBecause: `another run holds the lease: ${got.info.heldBy ?? 'unknown'}`, stopCause: 'lease-held' } };
    }
    emit({ type: 'lease-acquired', namespace: config.leaseNamespace, name: config.leaseName, holder: deps.holder });
    got.lease.startRenewing();
    lease = got.lease.info;
    signal = AbortSignal.any([deps.signal, got.lease.lostSignal]);
    release = () => got.lease.release();
  }
  let eventWarned = false;
  // An Event is a courtesy: failing to write one never stops the run (the summary records everything); say it once.
  // A server-side dry run changes nothing, Events included.
  const event: StepDeps['event'] = deps.acting === 'server-dry-run' ? async () => undefined
    : (e) =>
      writer.event(e).catch((err: unknown) => {
        if (eventWarned) return;
        eventWarned = true;
        emit({ type: 'warning',
          message: `could not write Events (${describeError(err)}); grant create on events.k8s.io ` +
            'events (rbac.yaml). The run goes on; the summary records every action' });
      });
  const stepDeps: StepDeps = {
    config,
    reader: deps.reader,
    writer,
    recheck,
    now: deps.now,
    emit,
    signal,
    sleep: abortableSleep(signal),
    random: Math.random,
    event,
  };
  try {
    const execution = await executePlan(plan, stepDeps, { deadline: startedAt + config.runDeadlineMs });
    return { execution: lease ? { ...execution, lease } : execution, leaseHeld: false };
  } finally {
    await release();
    if (lease) emit({ type: 'lease-released', namespace: config.leaseNamespace, name: config.leaseName });
  }
}
