// Proof the outage is over, in numbers: broken nodes found, repaired and failed; the time from the run's start to the
// last fresh token; the pods the outage kept in ContainerCreating, and how many started. For the summary, the metrics
// and the run's closing Event. Pure.
import type { ExecutionReport, NodeExecution, RestartPlan } from '../model.ts';
import { formatSeconds } from '../shared/durations.ts';

export interface StuckPodNotStarted {
  pod: string;
  node: string;
  reason: string;
  lastEvent?: string;
}

export interface RepairTotals {
  /** Nodes whose token is invalid or expired, planned or not. */
  brokenFound: number;
  /** Broken nodes whose new token was proven fresh in this run. */
  repaired: number;
  /** Broken nodes whose repair failed in this run. */
  failed: number;
  /** From the run's start until the last broken node's token was fresh. */
  lastFreshTokenMs?: number;
  stuckPods: number;
  stuckStarted: number;
  /** The slowest of the stuck pods that started, from its node's fresh token. */
  slowestStartMs?: number;
  stuckNotStarted: StuckPodNotStarted[];
}

const FRESH: ReadonlySet<string> = new Set(['rotated', 'partial']);

export function repairTotals(plan: RestartPlan, execution: ExecutionReport | undefined,
  runStartedAt: number): RepairTotals {
  const repairSteps = new Set(plan.steps.filter((s) => s.repair).map((s) => s.node));
  const nodes: NodeExecution[] = (execution?.nodes ?? []).filter((n) => repairSteps.has(n.node));
  const repaired = nodes.filter((n) => FRESH.has(n.outcome) && n.freshAt !== undefined);
  const lastFresh = repaired.reduce<number | undefined>((m, n) => Math.max(m ?? 0, n.freshAt ?? 0), undefined);
  const stuck = nodes.flatMap((n) => (n.stuckPods ?? []).map((p) => ({ ...p, node: n.node })));
  const started = stuck.filter((p) => p.outcome === 'started');
  const totals: RepairTotals = {
    brokenFound: plan.broken?.length ?? 0,
    repaired: repaired.length,
    failed: nodes.filter((n) => n.outcome === 'failed').length,
    stuckPods: stuck.length,
    stuckStarted: started.length,
    stuckNotStarted: stuck.filter((p) => p.outcome === 'not-started').map((p) => ({
      pod: `${p.namespace}/${p.name}`,
      node: p.node,
      reason: p.reason,
      ...(p.lastEvent ? { lastEvent: p.lastEvent } : {}),
    })),
  };
  if (lastFresh !== undefined) totals.lastFreshTokenMs = lastFresh - runStartedAt;
  if (started.length > 0) totals.slowestStartMs = Math.max(...started.map((p) => p.startedMs ?? 0));
  return totals;
}

/** One line for the run's closing Event and the log. */
export function describeRepair(t: RepairTotals): string {
  const time = t.lastFreshTokenMs === undefined ? '' : `, the last fresh ${formatSeconds(t.lastFreshTokenMs)} ` +
    'after the run started';
  const pods = t.stuckPods === 0 ? '' : `; ${t.stuckStarted} of ${t.stuckPods} pod(s) stuck in ContainerCreating ` +
    `started by themselves${t.slowestStartMs === undefined ? '' : ` (slowest ${formatSeconds(t.slowestStartMs)})`}` +
    (t.stuckNotStarted.length === 0 ? '' :
      `; not started: ${t.stuckNotStarted.slice(0, 5).map((p) => p.pod).join(', ')}` +
      `${t.stuckNotStarted.length > 5 ? ` and ${t.stuckNotStarted.length - 5} more` : ''}`);
  return `${t.brokenFound} broken node(s) found, ${t.repaired} repaired, ${t.failed} failed${time}${pods}`;
}

/** The run's closing Event on the Multus DaemonSet: Normal when every broken node was repaired and its pods started. */
export function repairEventSpec(
  t: RepairTotals,
): { reason: string; type: 'Normal' | 'Warning'; action: string; note: string } {
  const whole = t.failed === 0 && t.repaired === t.brokenFound && t.stuckNotStarted.length === 0;
  return { reason: whole ? 'MultusOutageRepaired' : 'MultusOutageRepairIncomplete', type: whole ? 'Normal' : 'Warning',
    action: 'Repair', note: describeRepair(t) };
}
