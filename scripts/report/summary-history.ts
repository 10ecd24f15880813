// history.yaml: this run's short entry, and the previous entries read back defensively (a person or another version
// may have edited the ConfigMap): unknown fields and malformed entries are dropped with a warning, never fatal.
import { parseDocument } from 'yaml';
import type { ExecutionReport, NodeFinding, RestartPlan, RunInfo } from '../model.ts';
import { ACTED, countByClass, iso } from './summary-entries.ts';

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
      isRecord(a) && typeof a.node === 'string' && typeof a.outcome === 'string'
        ? [{ node: a.node, outcome: a.outcome }] : []
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
  const warnings = bad > 0
    ? [
      `${bad} malformed entr${bad === 1 ? 'y' : 'ies'} of the previous history.yaml ${
        bad === 1 ? 'was' : 'were'
      } dropped`,
    ] : [];
  return { entries, warnings };
}

/**
 * This run's history entry. With an execution report, `actedOn` and `acted` name the nodes whose step ran (rotated,
 * partial or failed); without one, `actedOn` names the planned steps of an execute run.
 */
export function historyEntry(run: RunInfo, findings: readonly NodeFinding[], plan: RestartPlan,
  execution?: ExecutionReport): HistoryEntry {
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
    entry.acted = execution.nodes.filter((n) => ACTED.has(n.outcome)).map((n) => ({ node: n.node,
      outcome: n.outcome })
    );
    entry.actedOn = entry.acted.map((a) => a.node);
  }
  return entry;
}
