// Walks the plan in two passes, so that replacements can land. First, every planned node's Multus pod is restarted
// and its fresh token proven, node by node in plan order; only then are dependents evicted, node by node. Evicting
// earlier could push a replacement onto another planned node that is still broken, where it cannot start.
// Before each node of each pass it checks the gates — the signal (SIGTERM, lost lease), the run's deadline (a node is
// only started if its step timeout fits before it), the maintenance window — and after a failed node it stops unless
// --on-failure continue. A Multus pod that does not come back stops the run whatever --on-failure says. An
// unexpected error fails the node it happened on, keeps what was done so far, and stops the run. Whatever is not
// reached is reported "not-started", with why.
import { windowContains } from '../config/maintenance-window.ts';
import { describeError } from '../cluster/api-errors.ts';
import type { ExecutionReport, NodeExecution, NodeStep, PodExecution, RestartPlan } from '../model.ts';
import { finishNode, notStarted as podsNotStarted, restartDependents, restartMultus,
  type MultusPhase } from './restart-node.ts';
import { withRunDeadline } from './run-deadline.ts';
import type { StepDeps } from './step-deps.ts';

export interface ExecuteOptions {
  /** Epoch ms after which no node is started (the run's --deadline from its start). */
  deadline: number;
}

/** Why the next node must not be started, or undefined when it may. Pure. */
export function gate(deps: Pick<StepDeps, 'config' | 'signal'>, now: number, opts: ExecuteOptions): string | undefined {
  if (deps.signal.aborted) return String(deps.signal.reason ?? 'stopped');
  if (now + deps.config.stepTimeoutMs > opts.deadline) {
    return `the run's deadline (--deadline) leaves no room for another node's --step-timeout ` +
      `(${Math.round(deps.config.stepTimeoutMs / 1000)} s)`;
  }
  const w = deps.config.window;
  if (w && !windowContains(w, now)) return `outside the maintenance window (${w.text})`;
  return undefined;
}

function notStarted(step: NodeStep, why: string): NodeExecution {
  return {
    node: step.node,
    outcome: 'not-started',
    reason: why,
    pods: step.pods.map((v) => ({ namespace: v.namespace, name: v.name, uid: v.uid, outcome: 'not-started' as const,
      reason: why })
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
  let stoppedBecause: string | undefined;
  const afterNode = (step: NodeStep, result: NodeExecution) => {
    deps.emit({ type: 'node-finished', node: step.node, outcome: result.outcome, reason: result.reason,
      ms: (result.finishedAt ?? deps.now()) - (result.startedAt ?? deps.now()) });
    if (deps.signal.aborted) stoppedBecause ??= String(deps.signal.reason ?? 'stopped');
    else if (result.outcome === 'failed' && deps.config.onFailure === 'stop') {
      stoppedBecause ??= `node ${step.node} failed and --on-failure is stop`;
    }
  };

  // Pass 1: every node's Multus pod, each new token proven fresh.
  const fresh: { i: number; step: NodeStep; phase: Extract<MultusPhase, { kind: 'fresh' }> }[] = [];
  for (const [i, step] of plan.steps.entries()) {
    stoppedBecause ??= gate(deps, deps.now(), opts);
    if (stoppedBecause) {
      nodes[i] = notStarted(step, `not started: ${stoppedBecause}`);
      continue;
    }
    deps.emit({ type: 'node-started', node: step.node, index: i + 1, of: plan.steps.length });
    let phase: MultusPhase;
    try {
      phase = await restartMultus(step, deps);
    } catch (err) {
      const reason = unexpected(err);
      phase = { kind: 'done', stopRun: `node ${step.node}: ${reason}`,
        execution: { node: step.node, outcome: 'failed', reason, pods: podsNotStarted(step, reason) } };
    }
    if (phase.kind === 'fresh') {
      fresh.push({ i, step, phase });
      continue;
    }
    nodes[i] = phase.execution;
    if (phase.stopRun) stoppedBecause ??= phase.stopRun;
    afterNode(step, phase.execution);
  }

  // Pass 2: the dependents of every node whose token is fresh.
  for (const { i, step, phase } of fresh) {
    // The deadline and the window were checked for this node in pass 1; the signal and a failure since are not.
    const why = stoppedBecause ?? (deps.signal.aborted ? String(deps.signal.reason ?? 'stopped') : undefined) ??
      (phase.dryRun === undefined ? gate(deps, deps.now(), opts) : undefined);
    if (why) {
      stoppedBecause ??= why;
      nodes[i] = await finishNode(step, phase, deps, podsNotStarted(step, why));
      afterNode(step, nodes[i]);
      continue;
    }
    const pods: PodExecution[] = [];
    try {
      nodes[i] = await restartDependents(step, phase, deps, pods);
    } catch (err) {
      const reason = unexpected(err);
      stoppedBecause ??= `node ${step.node}: ${reason}`;
      nodes[i] = await finishNode(step, phase, deps, podsNotStarted(step, reason, pods), reason);
    }
    afterNode(step, nodes[i]);
  }
  if (stoppedBecause) deps.emit({ type: 'execution-stopped', reason: stoppedBecause });
  return { mode: deps.config.mode, startedAt, finishedAt: deps.now(), nodes,
    ...(stoppedBecause ? { stoppedBecause } : {}) };
}
