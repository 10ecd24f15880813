// How many runs in a row each node's step failed: the summary's `failed-runs.yaml` is the memory between runs. A node
// that failed last time is planned after the rest (plan/select-nodes.ts), so that it never blocks the fleet; the count
// is in the summary and in a metric to alert on. Pure.
import { stringify } from 'yaml';
import type { ExecutionReport, RunMode } from '../model.ts';
import { yamlEntries } from './summary-yaml.ts';

export const FAILED_RUNS_KEY = 'failed-runs.yaml';

/** The previous summary's counts; anything malformed is dropped (a person may have edited the ConfigMap). */
export function readFailedRuns(text: string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [node, n] of yamlEntries(text)) {
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) counts.set(node, n);
  }
  return counts;
}

/**
 * This run's counts: a node whose step failed counts one more; a node rotated (or partly) starts again at zero; a
 * node this run did not act on keeps its count. A dry run changes nothing.
 */
export function nextFailedRuns(previous: ReadonlyMap<string, number>, execution: ExecutionReport | undefined,
  mode: RunMode): Map<string, number> {
  const next = new Map(previous);
  if (mode !== 'execute' || execution === undefined) return next;
  for (const n of execution.nodes) {
    if (n.outcome === 'failed') next.set(n.node, (previous.get(n.node) ?? 0) + 1);
    else if (n.outcome === 'rotated' || n.outcome === 'partial') next.delete(n.node);
  }
  return next;
}

export function renderFailedRuns(counts: ReadonlyMap<string, number>): string {
  const sorted = [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.length === 0 ? '{}\n' : stringify(Object.fromEntries(sorted));
}

/** The execution with each failed node's count of runs in a row. */
export function withFailedRuns(execution: ExecutionReport | undefined, counts: ReadonlyMap<string, number>):
  | ExecutionReport
  | undefined {
  return execution &&
    { ...execution,
      nodes: execution.nodes.map((n) => (n.outcome === 'failed' ? { ...n, failedRuns: counts.get(n.node) ?? 1 } : n)) };
}
