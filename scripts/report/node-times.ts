// How long a node takes, as runs measured it: pacing's node time (plan/pacing.ts) comes from here, not from an
// assumption. Each node a run rotated one after the other (not a repair wave's parallel restarts, not a node whose
// leftovers it was finishing) adds its working time — its Multus restart with the fresh token proven, and its
// dependents evicted and replaced, without the time spent on other nodes in between — to the summary's
// `node-times.yaml`, which keeps the newest NODE_TIME_SAMPLES. Pacing takes their 90th percentile. Pure.
import { stringify } from 'yaml';
import type { ExecutionReport, Millis, RunMode } from '../model.ts';
import { yamlItems } from './summary-yaml.ts';
import { formatInstant } from '../shared/time-format.ts';

export const NODE_TIMES_KEY = 'node-times.yaml';
export const NODE_TIME_SAMPLES = 50;

export interface NodeTimeSample {
  node: string;
  ms: number;
  at: Millis;
}

export function readNodeTimes(text: string | undefined): NodeTimeSample[] {
  const out: NodeTimeSample[] = [];
  for (const v of yamlItems(text)) {
    const s = v as { node?: unknown; ms?: unknown; at?: unknown } | null;
    const at = typeof s?.at === 'string' ? Date.parse(s.at) : Number.NaN;
    if (typeof s?.node !== 'string' || typeof s.ms !== 'number' || !Number.isFinite(s.ms) || s.ms < 0) continue;
    if (!Number.isFinite(at)) continue;
    out.push({ node: s.node, ms: Math.round(s.ms), at });
  }
  return out.slice(0, NODE_TIME_SAMPLES);
}

/** The newest samples first: this run's rotated nodes, then the previous ones. A dry run measures nothing. */
export function nextNodeTimes(previous: readonly NodeTimeSample[], execution: ExecutionReport | undefined,
  mode: RunMode): NodeTimeSample[] {
  if (mode !== 'execute' || execution === undefined) return [...previous];
  const measured = execution.nodes
    .filter((n) =>
      (n.outcome === 'rotated' || n.outcome === 'partial') && n.wave === undefined &&
      n.workMs !== undefined
    )
    .map((n) => ({ node: n.node, ms: n.workMs ?? 0, at: n.finishedAt ?? execution.finishedAt }))
    .reverse();
  return [...measured, ...previous].slice(0, NODE_TIME_SAMPLES);
}

export function renderNodeTimes(samples: readonly NodeTimeSample[]): string {
  return samples.length === 0 ? '[]\n'
    : stringify(samples.map((s) => ({ node: s.node, ms: s.ms, at: formatInstant(s.at) })), { lineWidth: 0 });
}

/** The node time pacing uses: the 90th percentile (nearest rank) of the samples; undefined when there are none. */
export function measuredNodeTime(samples: readonly NodeTimeSample[]): { ms: number; samples: number } | undefined {
  if (samples.length === 0) return undefined;
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  const rank = Math.ceil(0.9 * sorted.length);
  return { ms: Math.max(1, sorted[rank - 1] ?? sorted[sorted.length - 1] ?? 1), samples: sorted.length };
}
