// Walks the plan in two passes, so that replacements can land. First, every planned node's Multus pod is restarted
// and its fresh token proven: the broken nodes in parallel waves of --repair-wave-size (each wave proven fresh before
// the next starts; a wave in which most nodes fail stops the run; a single failing node never stops it), then the
// preventive rotations node by node in plan order. Only then are dependents evicted, node by node, and none toward a
// node that is still broken: evicting earlier could push a replacement onto a broken node, where it cannot start.
// Meanwhile the pods the outage kept in ContainerCreating are watched until they start (stuck-pods.ts).
// Before each node of each pass it checks the gates — the signal (SIGTERM, lost lease), the run's deadline (a node is
// only started if its step timeout fits before it; each dependent only if its own wait budget does, pod-budget.ts),
// the maintenance window — and after a failed node it stops unless
// --on-failure continue. A Multus pod that does not come back stops the run whatever --on-failure says. An
// unexpected error fails the node it happened on, keeps what was done so far, and stops the run. Whatever is not
// reached is reported "not-started", with why.
import { windowContains } from '../shared/time-window.ts';
import { describeError } from '../cluster/api-errors.ts';
import type { ExecutionReport, NodeExecution, NodeStep, PodExecution, RestartPlan, Stop } from '../model.ts';
import { holdBackTowardBroken } from '../plan/evict-limits.ts';
import { type MultusGuard, waveGuard } from './multus-guard.ts';
import { planWaves, waveStopsRun } from '../plan/waves.ts';
import { finishNode, notStarted as podsNotStarted, restartDependents, restartMultus,
  type MultusPhase } from './restart-node.ts';
import { finishPhase, finishRefusal } from './finish-left.ts';
import { withRunDeadline } from './run-deadline.ts';
import { signalStop } from './stop-reason.ts';
import type { StepDeps } from './step-deps.ts';
import { stuckPodWatcher } from './stuck-pods.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { formatSeconds } from '../shared/durations.ts';

/** Nodes with nothing to evict whose Events are written at once in pass 2. */
export const EVENT_WRITES = 16;

export interface ExecuteOptions {
  /** Epoch ms after which no node is started (the run's --deadline from its start). */
  deadline: number;
}

/** Why the next node must not be started, or undefined when it may. Pure. */
export function gate(deps: Pick<StepDeps, 'config' | 'signal'>, now: number, opts: ExecuteOptions): Stop | undefined {
  const stopped = signalStop(deps.signal);
  if (stopped) return stopped;
  if (now + deps.config.stepTimeoutMs > opts.deadline) {
    return { cause: 'deadline', reason: `the run's deadline (--deadline) leaves no room for another node's ` +
      `--step-timeout (${formatSeconds(deps.config.stepTimeoutMs)})` };
  }
  const w = deps.config.window;
  if (w && !windowContains(w, now)) return { cause: 'window', reason: `outside the maintenance window (${w.text})` };
  return undefined;
}

function notStarted(step: NodeStep, stop: Stop): NodeExecution {
  const reason = `not started: ${stop.reason}`;
  return {
    node: step.node,
    outcome: 'not-started',
    reason,
    cause: stop.cause,
    pods: step.pods.map((v) => ({ namespace: v.namespace, name: v.name, uid: v.uid, outcome: 'not-started' as const,
      reason, cause: stop.cause })
    ),
  };
}

function unexpected(err: unknown): string {
  return `unexpected error: ${describeError(err)}`;
}

export async function executePlan(plan: RestartPlan, given: StepDeps, opts: ExecuteOptions): Promise<ExecutionReport> {
  // Every wait ends by the run's deadline (run-deadline.ts), so activeDeadlineSeconds never cuts a step.
  const deps: StepDeps = { ...given, writer: withRunDeadline(given.writer, opts.deadline, given.now) };
  const startedAt = deps.now();
  const nodes: NodeExecution[] = new Array<NodeExecution>(plan.steps.length);
  let stopped: Stop | undefined;
  const afterNode = (step: NodeStep, result: NodeExecution, repairing = false) => {
    deps.emit({ type: 'node-finished', node: step.node, outcome: result.outcome, reason: result.reason,
      ms: (result.finishedAt ?? deps.now()) - (result.startedAt ?? deps.now()) });
    if (deps.signal.aborted) stopped ??= signalStop(deps.signal);
    else if (result.outcome === 'failed' && deps.config.onFailure === 'stop' && !repairing) {
      // A broken node whose repair fails is reported and never blocks the others: only a wave that mostly fails stops
      // the run. A failed eviction (a replacement that did not come back) stops it, repair or not.
      stopped ??= { cause: 'on-failure', reason: `node ${step.node} failed and --on-failure is stop` };
    }
  };
  const stuck = stuckPodWatcher(deps);
  const fresh: { i: number; step: NodeStep; phase: Extract<MultusPhase, { kind: 'fresh' }> }[] = [];
  // The time spent on each node (its Multus phase, then its dependents), by plan index: pacing's measured node time.
  const work = new Map<number, number>();
  const timed = async <T>(i: number, fn: () => Promise<T>): Promise<T> => {
    const t0 = deps.now();
    try {
      return await fn();
    } finally {
      work.set(i, (work.get(i) ?? 0) + deps.now() - t0);
    }
  };
  const multus = async (i: number, step: NodeStep, guard?: MultusGuard): Promise<MultusPhase> => {
    deps.emit({ type: 'node-started', node: step.node, index: i + 1, of: plan.steps.length });
    try {
      return await timed(i, () => restartMultus(step, deps, guard));
    } catch (err) {
      const reason = unexpected(err);
      return { kind: 'done', stopRun: { cause: 'error', reason: `node ${step.node}: ${reason}` },
        execution: { node: step.node, outcome: 'failed', reason, cause: 'error',
          pods: podsNotStarted(step, { cause: 'error', reason }) } };
    }
  };
  const settle = (i: number, step: NodeStep, phase: MultusPhase, wave?: number): boolean => {
    if (phase.kind === 'fresh') {
      fresh.push({ i, step, phase });
      if (phase.freshAt !== undefined) stuck.add(step, phase.freshAt);
      return true;
    }
    nodes[i] = wave === undefined ? phase.execution : { ...phase.execution, wave };
    if (phase.stopRun && !step.repair) stopped ??= phase.stopRun;
    afterNode(step, phase.execution, step.repair === true);
    return phase.execution.outcome !== 'failed';
  };

  // Pass 1a: the broken nodes, in parallel waves, each wave's tokens proven fresh before the next.
  const waves = planWaves(plan.steps, deps.config.repairWaveSize);
  const waveOf = new Map<number, number>();
  for (const [w, wave] of waves.entries()) {
    stopped ??= gate(deps, deps.now(), opts);
    if (stopped) {
      for (const i of wave) nodes[i] = notStarted(plan.steps[i] as NodeStep, stopped);
      continue;
    }
    const waveStarted = deps.now();
    deps.emit({ type: 'wave-started', wave: w + 1, of: waves.length, nodes: wave.length });
    const guard = waveGuard(deps.writer); // one view of the DaemonSet for the whole wave, taken before its deletes
    const phases = await Promise.all(wave.map((i) => multus(i, plan.steps[i] as NodeStep, guard)));
    let failed = 0;
    for (const [k, i] of wave.entries()) {
      waveOf.set(i, w + 1);
      const phase = phases[k] as MultusPhase;
      if (!settle(i, plan.steps[i] as NodeStep, phase, w + 1)) failed += 1;
    }
    deps.emit({ type: 'wave-finished', wave: w + 1, nodes: wave.length, failed, ms: deps.now() - waveStarted });
    if (waveStopsRun(wave.length, failed)) {
      stopped ??= { cause: 'wave', reason: `${failed} of the ${wave.length} broken nodes of repair wave ${w + 1} ` +
        'failed: a fault common to them (an image that cannot be pulled, a broken DaemonSet) is likely; nothing more ' +
        'is restarted' };
    }
  }

  // Pass 1b: preventive rotations, node by node, paced as before. A finish step restarts no Multus pod: its
  // dependents wait for pass 2 like every other node's (finish-left.ts).
  for (const [i, step] of plan.steps.entries()) {
    if (step.repair) continue;
    if (step.finish) {
      fresh.push({ i, step, phase: finishPhase(step, deps) });
      continue;
    }
    stopped ??= gate(deps, deps.now(), opts);
    if (stopped) {
      nodes[i] = notStarted(step, stopped);
      continue;
    }
    settle(i, step, await multus(i, step));
  }

  // Pass 2: the dependents of every node whose token is fresh; none toward a node that is still broken. Evictions go
  // node by node, in plan order. A node with nothing to evict (every repaired node under the default --dependents)
  // only writes its Events: those nodes are finished EVENT_WRITES at a time, first — one after another, 1,000
  // repaired nodes spent ~100 s on Event writes after the last wave.
  const repaired = new Set(fresh.map((f) => f.step.node));
  fresh.sort((a, b) => a.i - b.i);
  const finishFresh = async ({ i, step: planned, phase }: (typeof fresh)[number]): Promise<void> => {
    const step = holdBackTowardBroken(planned, repaired);
    // The deadline and the window were checked for this node in pass 1; the signal and a failure since are not.
    const why = stopped ?? signalStop(deps.signal) ??
      (phase.dryRun === undefined ? gate(deps, deps.now(), opts) : undefined);
    if (why) {
      stopped ??= why;
      nodes[i] = phase.finishing ? notStarted(step, why)
        : await finishNode(step, phase, deps, podsNotStarted(step, why));
      afterNode(step, nodes[i]);
      return;
    }
    const refused = phase.finishing && phase.dryRun === undefined
      ? await finishRefusal(step, deps).catch((err: unknown) => unexpected(err)) : undefined;
    if (refused) {
      nodes[i] = { node: step.node, outcome: 'skipped', reason: refused, pods: [] };
      afterNode(step, nodes[i]);
      return;
    }
    const pods: PodExecution[] = [];
    try {
      nodes[i] = await timed(i, () => restartDependents(step, phase, deps, pods, opts.deadline));
    } catch (err) {
      const why: Stop = { cause: 'error', reason: unexpected(err) };
      stopped ??= { cause: 'error', reason: `node ${step.node}: ${why.reason}` };
      nodes[i] = await finishNode(step, phase, deps, podsNotStarted(step, why, pods), why);
    }
    afterNode(step, nodes[i]);
  };
  const quiet = (f: (typeof fresh)[number]) =>
    !f.phase.finishing && !holdBackTowardBroken(f.step, repaired).pods.some((v) => v.action === 'restart');
  await mapLimit(fresh.filter(quiet), EVENT_WRITES, finishFresh);
  for (const f of fresh.filter((x) => !quiet(x))) await finishFresh(f);
  const recovered = await stuck.finish();
  for (const [i, n] of nodes.entries()) {
    const wave = waveOf.get(i);
    const pods = recovered.get(n.node);
    const workMs = work.get(i);
    nodes[i] = { ...n, ...(wave !== undefined ? { wave } : {}), ...(pods ? { stuckPods: pods } : {}),
      ...(workMs !== undefined ? { workMs } : {}) };
  }
  if (stopped) deps.emit({ type: 'execution-stopped', reason: stopped.reason });
  return { mode: deps.config.mode, startedAt, finishedAt: deps.now(), nodes,
    ...(stopped ? { stoppedBecause: stopped.reason, stopCause: stopped.cause } : {}) };
}
