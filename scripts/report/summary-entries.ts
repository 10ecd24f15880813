// The pieces of summary.yaml: each fact of the run (finding, step, pod verdict, node and pod execution) as a plain,
// compact record, and the lists collapsed or truncated to a given shape. Pure; the size fitting is fit-summary.ts.
import type { ExecutionReport, NodeDeferral, NodeExecution, NodeFinding, NodeOutcome, NodeStep, OutageVerdict,
  PodExecution, PodVerdict, ReadCounts, RestartPlan, RunInfo, TokenClass, TokenRef } from '../model.ts';
import { ACTIONABLE_CLASSES } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';
import type { RepairTotals } from './repair-totals.ts';
import { formatInstant } from '../shared/time-format.ts';

/** Node outcomes that mean the node's step ran: these keep their details when the summary is trimmed. */
export const ACTED: ReadonlySet<NodeOutcome> = new Set<NodeOutcome>(['rotated', 'finished', 'partial', 'failed']);

/** Nodes that stay listed one by one when the per-node list has to be collapsed. */
const ATTENTION: ReadonlySet<TokenClass> = new Set<TokenClass>([...ACTIONABLE_CLASSES, 'unreadable']);

export function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : formatInstant(ms);
}

/** Drop undefined values so that the YAML has no empty keys. */
function compact<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) {
      out[k] = v;
    }
  }
  return out as T;
}

/** Non-zero node counts by class, in alphabetical order. */
export function countByClass(findings: readonly NodeFinding[]): Record<string, number> {
  return countClasses(findings);
}

function countClasses(list: ReadonlyArray<{ class: string }>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const item of list) {
    counts.set(item.class, (counts.get(item.class) ?? 0) + 1);
  }
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Earliest expiry (ms) of any token that does not refresh itself, or undefined. */
export function earliestExpiry(findings: readonly NodeFinding[]): number | undefined {
  let min: number | undefined;
  for (const f of findings) {
    if (f.expiresAt !== undefined && f.class !== 'self-refreshing' && (min === undefined || f.expiresAt < min)) {
      min = f.expiresAt;
    }
  }
  return min;
}

function nodeEntry(f: NodeFinding): Record<string, unknown> {
  return compact({
    node: f.node,
    class: f.class,
    reason: f.reason,
    multusPod: `${f.multusPod.namespace}/${f.multusPod.name}`,
    fingerprint: f.fingerprint,
    expires: iso(f.expiresAt),
    timeLeft: f.timeLeftMs === undefined ? undefined : formatDuration(f.timeLeftMs),
    readVia: f.readVia,
  });
}

function podEntry(p: PodVerdict): Record<string, unknown> {
  return compact({
    pod: `${p.namespace}/${p.name}`,
    action: p.action,
    reason: p.reason,
    override: p.override,
    pdbs: p.pdbs === undefined || p.pdbs.length === 0 ? undefined : p.pdbs,
  });
}

function stepEntry(s: NodeStep, podLimit: number): Record<string, unknown> {
  const pods = s.pods.slice(0, podLimit).map(podEntry);
  const hidden = s.pods.length - pods.length;
  return compact({
    node: s.node,
    class: s.class,
    reason: s.reason,
    expires: iso(s.expiresAt),
    multusPod: `${s.multusPod.namespace}/${s.multusPod.name}`,
    repair: s.repair,
    finishes: s.finish === undefined ? undefined : `what the run of ${iso(s.finish.since)} left`,
    failedRuns: s.failedRuns,
    pods,
    podsNotShown: hidden > 0 ? countActions(s.pods.slice(podLimit)) : undefined,
    nonDependentPods: s.nonDependentPods,
    outage: s.outage === undefined ? undefined : outageEntry(s.outage, podLimit),
  });
}

/** What the outage did to the node's pods: the stuck ones named, the others counted with why. */
function outageEntry(verdicts: readonly OutageVerdict[], limit: number): Record<string, unknown> {
  const of = (effect: OutageVerdict['effect']) => verdicts.filter((v) => v.effect === effect);
  const group = (list: readonly OutageVerdict[]) =>
    list.length === 0 ? undefined :
      compact({ count: list.length, reason: list[0]?.reason,
        pods: list.slice(0, limit).map((v) => `${v.namespace}/${v.name}`) });
  return compact({
    hurt: of('stuck').length === 0 ? undefined :
      compact({ count: of('stuck').length, reason: of('stuck')[0]?.reason,
        pods: of('stuck').slice(0, limit).map((v) =>
          compact({ pod: `${v.namespace}/${v.name}`, sandboxEvent: v.sandboxFailure?.message })
        ) }),
    untouched: group(of('untouched')),
    notAttributed: group(of('waiting')),
  });
}

function countActions(pods: readonly PodVerdict[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pods) {
    out[p.action] = (out[p.action] ?? 0) + 1;
  }
  return out;
}

function deferralEntry(d: NodeDeferral): Record<string, unknown> {
  return compact({ node: d.node, class: d.class, reason: d.reason, override: d.override });
}

function tokenEntry(t: TokenRef | undefined): Record<string, unknown> | undefined {
  return t === undefined ? undefined : compact({ fingerprint: t.fingerprint, expires: iso(t.expiresAt) });
}

function countOutcomes(list: ReadonlyArray<{ outcome: string }>): Record<string, number> {
  return countClasses(list.map((x) => ({ class: x.outcome })));
}

function podRunEntry(p: PodExecution): Record<string, unknown> {
  return compact({
    pod: `${p.namespace}/${p.name}`,
    outcome: p.outcome,
    reason: p.reason,
    attempts: p.attempts,
    evictMs: p.evictMs,
    goneMs: p.goneMs,
    replacementReadyMs: p.replacementReadyMs,
    replacement: p.replacement?.name,
  });
}

/** A node's execution; when collapsed, pods that were not started are counted rather than listed. */
function nodeRunEntry(n: NodeExecution, collapse: boolean, podLimit: number): Record<string, unknown> {
  const listed = collapse ? n.pods.filter((p) => p.outcome !== 'not-started') : n.pods;
  const hidden = [...(collapse ? n.pods.filter((p) => p.outcome === 'not-started') : []), ...listed.slice(podLimit)];
  const m = n.multus;
  return compact({
    node: n.node,
    outcome: n.outcome,
    reason: n.reason,
    startedAt: iso(n.startedAt),
    finishedAt: iso(n.finishedAt),
    workMs: n.workMs,
    multus: m === undefined
      ? undefined
      : compact({ oldPod: m.oldPod, newPod: m.newPod, readyMs: m.readyMs, tokenMs: m.tokenMs }),
    tokenBefore: tokenEntry(n.tokenBefore),
    tokenAfter: tokenEntry(n.tokenAfter),
    wave: n.wave,
    failedRuns: n.failedRuns,
    stuckPods: n.stuckPods?.slice(0, podLimit).map((p) =>
      compact({ pod: `${p.namespace}/${p.name}`, outcome: p.outcome, startedMs: p.startedMs, reason: p.reason,
        lastEvent: p.lastEvent })
    ),
    pods: listed.slice(0, podLimit).map(podRunEntry),
    podsNotShown: hidden.length > 0 ? countOutcomes(hidden) : undefined,
  });
}

/** The execution section; when collapsed, nodes that were not started are counted rather than listed. */
function executionEntry(e: ExecutionReport, collapse: boolean, limit: number): Record<string, unknown> {
  const lease = e.lease;
  // Nodes whose step ran are listed first when lists are truncated, so that truncation hides the others first.
  const kept = collapse ? e.nodes.filter((n) => n.outcome !== 'not-started') : e.nodes;
  const listed = limit < kept.length
    ? [...kept.filter((n) => ACTED.has(n.outcome)), ...kept.filter((n) => !ACTED.has(n.outcome))] : kept;
  const hidden = [...(collapse ? e.nodes.filter((n) => n.outcome === 'not-started') : []), ...listed.slice(limit)];
  return compact({
    mode: e.mode,
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
    lease: lease === undefined
      ? undefined
      : compact({
        name: `${lease.namespace}/${lease.name}`,
        holder: lease.holder,
        acquired: lease.acquired,
        heldBy: lease.heldBy,
        heldSince: lease.heldSince,
      }),
    stoppedBecause: e.stoppedBecause,
    outcomes: countOutcomes(e.nodes),
    nodes: listed.slice(0, limit).map((n) => nodeRunEntry(n, collapse, limit)),
    nodesNotShown: hidden.length > 0 ? countOutcomes(hidden) : undefined,
  });
}

/** What summary.yaml shows of a run, before any notes on trimming. */
export interface SummaryFacts {
  run: RunInfo;
  findings: readonly NodeFinding[];
  plan: RestartPlan;
  execution?: ExecutionReport;
  warnings: readonly string[];
  /** Which nodes' files the scan read (the others were judged from their last read). */
  reads?: ReadCounts;
  /** The repair's totals (report/repair-totals.ts), when the run found broken nodes. */
  repair?: RepairTotals;
}

/** Which nodes the scan read, and why (a full read of a big fleet lists its first nodes only when collapsed). */
function readsEntry(r: ReadCounts, limit: number): Record<string, unknown> {
  return compact({ read: r.read, reused: r.reused, why: Object.keys(r.reasons).length > 0 ? r.reasons : undefined,
    nodes: r.readNodes.length > 0 ? r.readNodes.slice(0, limit) : undefined,
    nodesNotShown: r.readNodes.length > limit ? r.readNodes.length - limit : undefined });
}

/**
 * The body of summary.yaml for one shape: with `collapse`, only nodes that need attention are listed and the others
 * counted; every per-node list is cut at `limit` entries, the rest counted.
 */
export function summaryBody(facts: SummaryFacts, collapse: boolean, limit: number): Record<string, unknown> {
  const { run, findings, plan, execution } = facts;
  const listed = collapse ? findings.filter((f) => ATTENTION.has(f.class)) : findings;
  const nodesHidden = [...(collapse ? findings.filter((f) => !ATTENTION.has(f.class)) : []), ...listed.slice(limit)];
  const deferred = plan.deferred.slice(0, limit).map(deferralEntry);
  const skippedList = collapse ? plan.skipped.filter((d) => ATTENTION.has(d.class)) : plan.skipped;
  const skippedHidden = [...(collapse ? plan.skipped.filter((d) => !ATTENTION.has(d.class)) : []),
    ...skippedList.slice(limit)];
  return compact({
    run: compact({
      startedAt: iso(run.startedAt),
      finishedAt: iso(run.finishedAt),
      mode: run.mode,
      via: run.via,
      identity: run.identity,
      outcome: run.outcome,
      exitCode: run.exitCode,
    }),
    counts: countByClass(findings),
    earliestExpiry: iso(earliestExpiry(findings)) ?? null,
    reads: facts.reads === undefined ? undefined : readsEntry(facts.reads, collapse ? Math.min(limit, 50) : limit),
    nodes: listed.slice(0, limit).map(nodeEntry),
    nodesNotShown: nodesHidden.length > 0 ? countClasses(nodesHidden) : undefined,
    plan: compact({
      createdAt: iso(plan.createdAt),
      steps: plan.steps.map((s) => stepEntry(s, limit)),
      deferred,
      deferredNotShown: plan.deferred.length > deferred.length ? countClasses(plan.deferred.slice(limit)) : undefined,
      skipped: skippedList.slice(0, limit).map(deferralEntry),
      skippedNotShown: skippedHidden.length > 0 ? countClasses(skippedHidden) : undefined,
      advisories: plan.advisories,
      leftWork: plan.leftWork?.slice(0, limit).map((l) =>
        compact({ node: l.node, status: l.status, pods: l.pods, since: iso(l.since), reason: l.reason })
      ),
      pacing: plan.pacing === undefined ? undefined :
        compact({ perRun: plan.pacing.capacityPerRun, limitedBy: plan.pacing.limitedBy,
          nodeTime: formatDuration(plan.pacing.nodeTimeMs), nodeTimeFrom: plan.pacing.nodeTimeFrom }),
    }),
    repair: facts.repair === undefined || facts.repair.brokenFound === 0 ? undefined
      : compact({ ...facts.repair, stuckNotStarted: facts.repair.stuckNotStarted.slice(0, limit) }),
    execution: execution === undefined ? undefined : executionEntry(execution, collapse, limit),
    warnings: facts.warnings,
  });
}
