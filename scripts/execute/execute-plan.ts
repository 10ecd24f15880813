// Walks the plan node by node, in order. Before each node it checks the gates — the signal (SIGTERM, lost lease),
// the run's deadline (a node is only started if its step timeout fits before it), the maintenance window — and after
// a failed node it stops unless --on-failure continue. Whatever is not reached is reported "not-started", with why.
import { windowContains } from '../config/maintenance-window.ts';
import type { ExecutionReport, NodeExecution, NodeStep, RestartPlan } from '../model.ts';
import { restartNode } from './restart-node.ts';
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
    node: step.node, outcome: 'not-started', reason: why,
    pods: step.pods.map((v) => ({ namespace: v.namespace, name: v.name, uid: v.uid, outcome: 'not-started' as const,
      reason: why })),
  };
}

export async function executePlan(plan: RestartPlan, deps: StepDeps, opts: ExecuteOptions): Promise<ExecutionReport> {
  const startedAt = deps.now();
  const nodes: NodeExecution[] = [];
  let stoppedBecause: string | undefined;
  for (const [i, step] of plan.steps.entries()) {
    stoppedBecause ??= gate(deps, deps.now(), opts);
    if (stoppedBecause) {
      nodes.push(notStarted(step, `not started: ${stoppedBecause}`));
      continue;
    }
    deps.emit({ type: 'node-started', node: step.node, index: i + 1, of: plan.steps.length });
    const result = await restartNode(step, deps);
    nodes.push(result);
    deps.emit({ type: 'node-finished', node: step.node, outcome: result.outcome, reason: result.reason,
      ms: (result.finishedAt ?? deps.now()) - (result.startedAt ?? deps.now()) });
    if (deps.signal.aborted) stoppedBecause = String(deps.signal.reason ?? 'stopped');
    else if (result.outcome === 'failed' && deps.config.onFailure === 'stop') {
      stoppedBecause = `node ${step.node} failed and --on-failure is stop`;
    }
  }
  if (stoppedBecause) deps.emit({ type: 'execution-stopped', reason: stoppedBecause });
  return { mode: deps.config.mode, startedAt, finishedAt: deps.now(), nodes,
    ...(stoppedBecause ? { stoppedBecause } : {}) };
}
