// The run summary as ConfigMap data: summary.yaml (this run in full), history.yaml (short entries, newest first) and
// flat keys for `kubectl get -o jsonpath`. Pure: run facts in, strings out, one write by the caller. The input types
// hold no token (only fingerprints), and nothing here adds one.
import { parseDocument, stringify } from 'yaml';
import type {
  ExecutionReport,
  NodeDeferral,
  NodeExecution,
  NodeFinding,
  NodeOutcome,
  NodeStep,
  PodExecution,
  PodVerdict,
  RestartPlan,
  RunInfo,
  TokenClass,
  TokenRef,
} from '../model.ts';
import { ACTIONABLE_CLASSES } from '../model.ts';
import { formatDuration } from '../shared/durations.ts';

export const DEFAULT_MAX_BYTES = 900_000;

export interface SummaryInput {
  run: RunInfo;
  findings: readonly NodeFinding[];
  plan: RestartPlan;
  /** What the executor did (execute and server-dry-run modes). */
  execution?: ExecutionReport;
  warnings: readonly string[];
  /** The ConfigMap's current data, if any. */
  previous?: Readonly<Record<string, string>>;
  historyLimit: number;
  /** Total size of keys and values, in UTF-8 bytes. */
  maxBytes?: number;
}

/** One entry of history.yaml. */
export interface HistoryEntry {
  startedAt: string;
  mode: string;
  via: string;
  outcome: string;
  exitCode: number;
  counts: Record<string, number>;
  /** Nodes whose step ran (execute mode only). */
  actedOn: string[];
  /** Nodes whose step ran, with its outcome (rotated, partial or failed); only when the run has an execution report. */
  acted?: ActedNode[];
}

export interface ActedNode {
  node: string;
  outcome: string;
}

/** Node outcomes that mean the node's step ran: these keep their details when the summary is trimmed. */
const ACTED: ReadonlySet<NodeOutcome> = new Set<NodeOutcome>(['rotated', 'partial', 'failed']);

/** Nodes that stay listed one by one when the per-node list has to be collapsed. */
const ATTENTION: ReadonlySet<TokenClass> = new Set<TokenClass>([...ACTIONABLE_CLASSES, 'unreadable']);

const YAML_OPTIONS = { lineWidth: 0 } as const;

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

function isoSeconds(s: number | undefined): string | undefined {
  return s === undefined ? undefined : iso(s * 1000);
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

/** Earliest `exp` (seconds) of any token that does not refresh itself, or undefined. */
export function earliestExpiry(findings: readonly NodeFinding[]): number | undefined {
  let min: number | undefined;
  for (const f of findings) {
    if (f.exp !== undefined && f.class !== 'self-refreshing' && (min === undefined || f.exp < min)) {
      min = f.exp;
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
    expires: isoSeconds(f.exp),
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
    expires: isoSeconds(s.exp),
    multusPod: `${s.multusPod.namespace}/${s.multusPod.name}`,
    pods,
    podsNotShown: hidden > 0 ? countActions(s.pods.slice(podLimit)) : undefined,
    nonDependentPods: s.nonDependentPods,
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
  return t === undefined ? undefined : compact({ fingerprint: t.fingerprint, expires: isoSeconds(t.exp) });
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
    multus:
      m === undefined
        ? undefined
        : compact({ oldPod: m.oldPod, newPod: m.newPod, readyMs: m.readyMs, tokenMs: m.tokenMs }),
    tokenBefore: tokenEntry(n.tokenBefore),
    tokenAfter: tokenEntry(n.tokenAfter),
    pods: listed.slice(0, podLimit).map(podRunEntry),
    podsNotShown: hidden.length > 0 ? countOutcomes(hidden) : undefined,
  });
}

/** The execution section; when collapsed, nodes that were not started are counted rather than listed. */
function executionEntry(e: ExecutionReport, collapse: boolean, limit: number): Record<string, unknown> {
  const lease = e.lease;
  // Nodes whose step ran are listed first when lists are truncated, so that truncation hides the others first.
  const kept = collapse ? e.nodes.filter((n) => n.outcome !== 'not-started') : e.nodes;
  const listed = limit < kept.length ? [...kept.filter((n) => ACTED.has(n.outcome)), ...kept.filter((n) => !ACTED.has(n.outcome))] : kept;
  const hidden = [...(collapse ? e.nodes.filter((n) => n.outcome === 'not-started') : []), ...listed.slice(limit)];
  return compact({
    mode: e.mode,
    startedAt: iso(e.startedAt),
    finishedAt: iso(e.finishedAt),
    lease:
      lease === undefined
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

function byteSize(data: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const [k, v] of Object.entries(data)) {
    n += Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8');
  }
  return n;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A previous entry, keeping only known fields of the right types; undefined when it is not a history entry. */
function readEntry(v: unknown): HistoryEntry | undefined {
  if (!isRecord(v)) {
    return undefined;
  }
  const { startedAt, mode, via, outcome, exitCode, counts, actedOn, acted } = v;
  if (
    typeof startedAt !== 'string' ||
    typeof mode !== 'string' ||
    typeof via !== 'string' ||
    typeof outcome !== 'string' ||
    typeof exitCode !== 'number' ||
    !Number.isInteger(exitCode)
  ) {
    return undefined;
  }
  const cleanCounts: Record<string, number> = {};
  if (isRecord(counts)) {
    for (const [k, n] of Object.entries(counts)) {
      if (typeof n === 'number' && Number.isFinite(n)) {
        cleanCounts[k] = n;
      }
    }
  }
  const cleanActedOn = Array.isArray(actedOn) ? actedOn.filter((x): x is string => typeof x === 'string') : [];
  const entry: HistoryEntry = { startedAt, mode, via, outcome, exitCode, counts: cleanCounts, actedOn: cleanActedOn };
  if (Array.isArray(acted)) {
    entry.acted = acted.flatMap((a): ActedNode[] =>
      isRecord(a) && typeof a.node === 'string' && typeof a.outcome === 'string' ? [{ node: a.node, outcome: a.outcome }] : [],
    );
  }
  return entry;
}

/** The previous history, newest first, and a warning for each part that could not be used. */
export function readHistory(text: string | undefined): { entries: HistoryEntry[]; warnings: string[] } {
  if (text === undefined || text.trim() === '') {
    return { entries: [], warnings: [] };
  }
  let doc: unknown;
  try {
    // parseDocument rather than parse: no console output for YAML warnings; errors are reported here instead.
    const parsed = parseDocument(text, { uniqueKeys: false });
    const [first] = parsed.errors;
    if (first !== undefined) {
      throw first;
    }
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    return { entries: [], warnings: [`the previous history.yaml could not be parsed and was dropped: ${why}`] };
  }
  if (!Array.isArray(doc)) {
    return { entries: [], warnings: ['the previous history.yaml is not a list of runs and was dropped'] };
  }
  const entries: HistoryEntry[] = [];
  let bad = 0;
  for (const item of doc) {
    const entry = readEntry(item);
    if (entry === undefined) {
      bad += 1;
    } else {
      entries.push(entry);
    }
  }
  const warnings = bad > 0 ? [`${bad} malformed entr${bad === 1 ? 'y' : 'ies'} of the previous history.yaml ${bad === 1 ? 'was' : 'were'} dropped`] : [];
  return { entries, warnings };
}

/**
 * This run's history entry. With an execution report, `actedOn` and `acted` name the nodes whose step ran (rotated,
 * partial or failed); without one, `actedOn` names the planned steps of an execute run.
 */
export function historyEntry(run: RunInfo, findings: readonly NodeFinding[], plan: RestartPlan, execution?: ExecutionReport): HistoryEntry {
  const entry: HistoryEntry = {
    startedAt: iso(run.startedAt) ?? '',
    mode: run.mode,
    via: run.via,
    outcome: run.outcome,
    exitCode: run.exitCode,
    counts: countByClass(findings),
    actedOn: run.mode === 'execute' ? plan.steps.map((s) => s.node) : [],
  };
  if (execution !== undefined) {
    entry.acted = execution.nodes.filter((n) => ACTED.has(n.outcome)).map((n) => ({ node: n.node, outcome: n.outcome }));
    entry.actedOn = entry.acted.map((a) => a.node);
  }
  return entry;
}

interface Shape {
  /** How many history entries to keep (≥ 1: this run). */
  history: number;
  /** List only nodes that need attention; count the rest. */
  collapse: boolean;
  /** At most this many entries in each per-node list and in each step's pods. */
  limit: number;
}

export function buildSummary(input: SummaryInput): Record<string, string> {
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_BYTES;
  const { run, findings, plan, execution } = input;
  const previous = readHistory(input.previous?.['history.yaml']);
  const current = historyEntry(run, findings, plan, execution);
  const history = [current, ...previous.entries].slice(0, Math.max(1, input.historyLimit));
  const counts = countByClass(findings);
  const earliest = isoSeconds(earliestExpiry(findings));
  const warnings = [...input.warnings, ...previous.warnings];

  const flat: Record<string, string> = {
    'last-run': iso(run.startedAt) ?? '',
    outcome: run.outcome,
    'exit-code': String(run.exitCode),
    'earliest-expiry': earliest ?? '',
    'nodes-by-class': Object.entries(counts)
      .map(([k, n]) => `${k}=${n}`)
      .join(','),
  };

  // summary.yaml is its body (memoised: rendering thousands of nodes is the expensive part) followed by the notes on
  // trimming, appended as a last top-level key so that changing the notes does not re-render the body.
  const bodies = new Map<string, string>();
  const body = (collapse: boolean, limit: number): string => {
    const key = `${collapse}:${limit}`;
    const cached = bodies.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const listed = collapse ? findings.filter((f) => ATTENTION.has(f.class)) : findings;
    const nodesHidden = [...(collapse ? findings.filter((f) => !ATTENTION.has(f.class)) : []), ...listed.slice(limit)];
    const deferred = plan.deferred.slice(0, limit).map(deferralEntry);
    const skippedList = collapse ? plan.skipped.filter((d) => ATTENTION.has(d.class)) : plan.skipped;
    const skippedHidden = [...(collapse ? plan.skipped.filter((d) => !ATTENTION.has(d.class)) : []), ...skippedList.slice(limit)];
    const text = stringify(
      compact({
        run: compact({
          startedAt: iso(run.startedAt),
          finishedAt: iso(run.finishedAt),
          mode: run.mode,
          via: run.via,
          identity: run.identity,
          outcome: run.outcome,
          exitCode: run.exitCode,
        }),
        counts,
        earliestExpiry: earliest ?? null,
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
        }),
        execution: execution === undefined ? undefined : executionEntry(execution, collapse, limit),
        warnings,
      }),
      YAML_OPTIONS,
    );
    bodies.set(key, text);
    return text;
  };
  const render = (shape: Shape): Record<string, string> => {
    const notes: string[] = [];
    if (shape.history < history.length) {
      notes.push(`history trimmed to the newest ${shape.history} of ${history.length} runs to stay under ${maxBytes} bytes`);
    }
    if (shape.collapse) {
      notes.push(
        `per-node list collapsed to stay under ${maxBytes} bytes: only nodes that need attention are listed; the others are counted in nodesNotShown and plan.skippedNotShown${execution === undefined ? '' : ', and nodes and pods not started in execution.nodesNotShown and podsNotShown'}`,
      );
    }
    if (shape.limit < Number.POSITIVE_INFINITY) {
      notes.push(`lists truncated to ${shape.limit} entries each to stay under ${maxBytes} bytes; the rest are counted`);
    }
    const summary = body(shape.collapse, shape.limit) + (notes.length > 0 ? stringify({ notes }, YAML_OPTIONS) : '');
    return {
      'summary.yaml': summary,
      'history.yaml': stringify(history.slice(0, shape.history), YAML_OPTIONS),
      ...flat,
    };
  };

  // 1. Everything.
  let shape: Shape = { history: history.length, collapse: false, limit: Number.POSITIVE_INFINITY };
  let data = render(shape);
  if (byteSize(data) <= maxBytes) {
    return data;
  }
  // 2. Trim history, oldest first, down to this run alone. Entry sizes are additive in a YAML sequence, so start
  //    from an estimate and step down from there.
  const entrySizes = history.map((e) => Buffer.byteLength(stringify([e], YAML_OPTIONS), 'utf8'));
  let excess = byteSize(data) - maxBytes;
  let keep = history.length;
  while (keep > 1 && excess > 0) {
    keep -= 1;
    excess -= entrySizes[keep] ?? 0;
  }
  for (;;) {
    shape = { ...shape, history: keep };
    data = render(shape);
    if (byteSize(data) <= maxBytes || keep <= 1) {
      break;
    }
    keep -= 1;
  }
  if (byteSize(data) <= maxBytes) {
    return data;
  }
  // 3. Collapse the per-node lists: keep the nodes that need attention, count the rest.
  shape = { ...shape, collapse: true };
  data = render(shape);
  // 4. Still too big (thousands of nodes needing attention): halve every list until it fits.
  let limit = Math.max(
    findings.length,
    plan.deferred.length,
    plan.skipped.length,
    ...plan.steps.map((s) => s.pods.length),
    execution?.nodes.length ?? 0,
    ...(execution?.nodes ?? []).map((n) => n.pods.length),
  );
  while (byteSize(data) > maxBytes && limit > 0) {
    limit = Math.floor(limit / 2);
    shape = { ...shape, limit };
    data = render(shape);
  }
  return data;
}
