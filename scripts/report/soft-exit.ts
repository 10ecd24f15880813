// The exit code the Job sees. A CronJob with backoffLimit 0 marks its Job failed on any non-zero exit, and
// kube_job_status_failed alerts on it; two outcomes are expected in a healthy hourly job and should not page anyone:
//   locked    another run held the lease (exit 5): that run is doing the work;
//   deferred  nothing is wrong, work is left for later runs by design (exit 3 only because of nodes beyond
//             --max-nodes, a run outside --window, a --deadline that left no room for a node or a dependent, or
//             dependents held back by the cap of nodes whose workloads are evicted or until a broken node is
//             repaired). Left dependents are recorded in the summary and the next run finishes them; when the
//             summary could not be written, that promise is not kept and the run is not soft (judge-run.ts).
// --exit-zero-on (MTR_EXIT_ZERO_ON; cronjob.yaml sets "deferred,locked") turns those into 0 for the process only:
// the summary, its exit-code key and the Pushgateway metric keep the real code. Every other code still fails the Job.
// (A podFailurePolicy cannot do this: its only non-failing action, Ignore, starts another pod at once.)
import type { SoftOutcome } from '../config/config.ts';
import type { Cause, ExecutionReport, NodeExecution, PodExecution, RestartPlan } from '../model.ts';
import { EXIT } from './exit-codes.ts';

/**
 * The causes of work left for a later run by design: a gate or a cap, not a fault (execute-plan.ts, restart-pod.ts,
 * plan/evict-limits.ts). The summary records such pods and the next run finishes them (report/left-work.ts), so the
 * promise is kept; a cordoned node or a budget needs a person, and is not by design.
 */
const BY_DESIGN: ReadonlySet<Cause> = new Set<Cause>(['window', 'deadline', 'cap', 'toward-broken']);

const byDesignCause = (x: { cause?: Cause }): boolean => x.cause !== undefined && BY_DESIGN.has(x.cause);
const leftByDesign = (p: PodExecution): boolean =>
  (p.outcome === 'not-started' || p.later === true) && byDesignCause(p);

/** The node without what it left by design; undefined when the whole node was. */
function nodeWithoutByDesign(n: NodeExecution): NodeExecution | undefined {
  if (n.outcome === 'not-started' && byDesignCause(n)) return undefined;
  if (!n.pods.some(leftByDesign)) return n;
  const pods = n.pods.filter((p) => !leftByDesign(p));
  const troubled = pods.some((p) => p.outcome === 'blocked' || p.outcome === 'failed' || p.outcome === 'not-started');
  return { ...n, pods, outcome: n.outcome === 'partial' && !troubled ? 'rotated' : n.outcome };
}

/**
 * The run without the work it left by design: the nodes beyond --max-nodes, and the nodes and pods left by a cause in
 * BY_DESIGN (a node's partial outcome made whole when nothing else is wrong with it). A run whose exit code is
 * ATTENTION only because of that work is 'deferred' (judge-run.ts). Pure.
 */
export function withoutByDesign(plan: RestartPlan,
  execution: ExecutionReport | undefined): { plan: RestartPlan; execution: ExecutionReport | undefined } {
  const nodes = execution?.nodes.map(nodeWithoutByDesign).filter((n): n is NodeExecution => n !== undefined);
  const kept = new Set(nodes?.map((n) => n.node));
  return {
    plan: { ...plan, deferred: plan.deferred.filter((d) => d.cause !== 'cap'),
      steps: execution ? plan.steps.filter((s) => kept.has(s.node)) : plan.steps },
    execution: execution && nodes ? { ...execution, nodes } : execution,
  };
}

/** The process's exit code: 0 for an outcome listed in --exit-zero-on, else the run's own code. */
export function jobExitCode(exitCode: number, soft: SoftOutcome | undefined,
  exitZeroOn: readonly SoftOutcome[]): number {
  return soft !== undefined && exitZeroOn.includes(soft) ? EXIT.OK : exitCode;
}
