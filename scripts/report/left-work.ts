// Work a run left behind: the dependents of a node whose Multus pod it restarted (or whose earlier leftovers it was
// finishing) that it did not evict — a gate closed (the window, the deadline), the run was stopped (SIGTERM, the lease
// lost, its Multus restart cut off before the fresh token was proven), a budget allowed no disruption, or a refusal
// that passes by itself (a cordoned node, the cap of nodes whose workloads are evicted). The summary's
// `left-work.yaml` keeps them; the next run reads it and finishes them (plan/finish-steps.ts) once the node's token
// is healthy, because it would otherwise see a healthy token and plan nothing. Pure.
import { stringify } from 'yaml';
import type { ExecutionReport, LeftNode, LeftPod, Millis, PodExecution, RestartPlan, RunMode } from '../model.ts';
import { yamlEntries } from './summary-yaml.ts';
import { formatInstant } from '../shared/time-format.ts';

export const LEFT_WORK_KEY = 'left-work.yaml';
/** At most this many pods are kept (a ConfigMap holds 1 MiB, the summary included); the rest are counted. */
export const MAX_LEFT_PODS = 2000;
const MAX_REASON = 240;

/** A pod this run did not evict and a later run should: not started, blocked, or refused for a while only. */
export function isLeft(p: PodExecution): boolean {
  return p.outcome === 'not-started' || p.outcome === 'blocked' || p.later === true;
}

/** The previous summary's record; anything malformed is dropped (a person may have edited the ConfigMap). */
export function readLeftWork(text: string | undefined): Map<string, LeftNode> {
  const left = new Map<string, LeftNode>();
  for (const [node, entry] of yamlEntries(text)) {
    const e = entry as { since?: unknown; pods?: unknown } | null;
    const since = typeof e?.since === 'string' ? Date.parse(e.since) : Number.NaN;
    if (!Number.isFinite(since) || !Array.isArray(e?.pods)) continue;
    const pods: LeftPod[] = [];
    for (const p of e.pods as unknown[]) {
      const q = p as { pod?: unknown; uid?: unknown; reason?: unknown } | null;
      const [namespace, name, extra] = typeof q?.pod === 'string' ? q.pod.split('/') : [];
      if (!namespace || !name || extra !== undefined || typeof q?.uid !== 'string') continue;
      pods.push({ namespace, name, uid: q.uid, reason: typeof q.reason === 'string' ? q.reason : '' });
    }
    if (pods.length > 0) left.set(node, { since, pods });
  }
  return left;
}

/**
 * This run's record. A dry run keeps the previous one. Otherwise: nodes whose leftovers the plan found done (replaced
 * since) or dropped (--dependents none, the node gone) are forgotten; a node whose
 * Multus pod this run restarted, or whose leftovers it was finishing, is recorded anew from what it left (its first
 * `since` kept); every other node keeps its entry.
 */
export function nextLeftWork(previous: ReadonlyMap<string, LeftNode>, plan: RestartPlan,
  execution: ExecutionReport | undefined, mode: RunMode, startedAt: Millis): Map<string, LeftNode> {
  const next = new Map(previous);
  if (mode !== 'execute') return next;
  for (const l of plan.leftWork ?? []) {
    if (l.status === 'done' || l.status === 'dropped') next.delete(l.node);
  }
  if (execution === undefined) return next;
  const finishing = new Set(plan.steps.filter((s) => s.finish !== undefined).map((s) => s.node));
  for (const n of execution.nodes) {
    if (n.outcome === 'skipped' || (n.multus === undefined && !finishing.has(n.node))) continue;
    const left = n.pods.filter(isLeft);
    if (left.length === 0) {
      next.delete(n.node);
      continue;
    }
    next.set(n.node, { since: previous.get(n.node)?.since ?? startedAt,
      pods: left.map((p) => ({ namespace: p.namespace, name: p.name, uid: p.uid, reason: p.reason })) });
  }
  return next;
}

/** The pods this run left: on nodes whose Multus pod it restarted, or whose leftovers it was finishing. */
export function leftThisRun(plan: RestartPlan, execution: ExecutionReport | undefined): number {
  const finishing = new Set(plan.steps.filter((s) => s.finish !== undefined).map((s) => s.node));
  return (execution?.nodes ?? []).filter((n) =>
    n.outcome !== 'skipped' && (n.multus !== undefined || finishing.has(n.node))
  )
    .reduce((sum, n) => sum + n.pods.filter(isLeft).length, 0);
}

/** Pods in the record. */
export function leftPodCount(left: ReadonlyMap<string, LeftNode>): number {
  let n = 0;
  for (const l of left.values()) n += l.pods.length;
  return n;
}

/** The record as YAML, nodes sorted, at most MAX_LEFT_PODS pods (the oldest entries first). */
export function renderLeftWork(left: ReadonlyMap<string, LeftNode>): { text: string; dropped: number } {
  const entries = [...left.entries()].sort(([a, x], [b, y]) => x.since - y.since || (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  let kept = 0;
  let dropped = 0;
  for (const [node, l] of entries) {
    const room = Math.max(0, MAX_LEFT_PODS - kept);
    dropped += Math.max(0, l.pods.length - room);
    if (room === 0) continue;
    const pods = l.pods.slice(0, room);
    kept += pods.length;
    out[node] = { since: formatInstant(l.since),
      pods: pods.map((p) => ({ pod: `${p.namespace}/${p.name}`, uid: p.uid, reason: p.reason.slice(0, MAX_REASON) })) };
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { text: kept === 0 ? '{}\n' : stringify(sorted, { lineWidth: 0 }), dropped };
}
