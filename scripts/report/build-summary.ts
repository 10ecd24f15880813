// The run summary as ConfigMap data: summary.yaml (this run in full), history.yaml (short entries, newest first) and
// flat keys for `kubectl get -o jsonpath`. Pure: run facts in, strings out, one write by the caller. The input types
// hold no token (only fingerprints), and nothing here adds one. The records are summary-entries.ts, the history
// summary-history.ts, and the trimming that keeps it under a ConfigMap's size fit-summary.ts.
import { stringify } from 'yaml';
import type { ExecutionReport, NodeFinding, ReadCounts, RestartPlan, RunInfo } from '../model.ts';
import { FAILED_RUNS_KEY, nextFailedRuns, readFailedRuns, renderFailedRuns } from './failure-streaks.ts';
import { fitSummary, type Shape } from './fit-summary.ts';
import { LEFT_WORK_KEY, leftPodCount, nextLeftWork, readLeftWork, renderLeftWork } from './left-work.ts';
import { nextNodeTimes, NODE_TIMES_KEY, readNodeTimes, renderNodeTimes } from './node-times.ts';
import { repairTotals } from './repair-totals.ts';
import { countByClass, earliestExpiry, iso, summaryBody } from './summary-entries.ts';
import { historyEntry, readHistory } from './summary-history.ts';

const DEFAULT_MAX_BYTES = 900_000;

const YAML_OPTIONS = { lineWidth: 0 } as const;

export interface SummaryInput {
  run: RunInfo;
  findings: readonly NodeFinding[];
  plan: RestartPlan;
  /** What the executor did (execute and server-dry-run modes). */
  execution?: ExecutionReport;
  warnings: readonly string[];
  /** Which nodes' files the scan read. */
  reads?: ReadCounts;
  /** The ConfigMap's current data, if any. */
  previous?: Readonly<Record<string, string>>;
  historyLimit: number;
  /** Total size of keys and values, in UTF-8 bytes. */
  maxBytes?: number;
}

export function buildSummary(input: SummaryInput): Record<string, string> {
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_BYTES;
  const { run, findings, plan, execution } = input;
  const previous = readHistory(input.previous?.['history.yaml']);
  const current = historyEntry(run, findings, plan, execution);
  const history = [current, ...previous.entries].slice(0, Math.max(1, input.historyLimit));
  const facts = { run, findings, plan, execution, warnings: [...input.warnings, ...previous.warnings],
    ...(input.reads === undefined ? {} : { reads: input.reads }),
    repair: repairTotals(plan, execution, run.startedAt) };

  const flat: Record<string, string> = {
    'last-run': iso(run.startedAt) ?? '',
    outcome: run.outcome,
    'exit-code': String(run.exitCode),
    'earliest-expiry': iso(earliestExpiry(findings)) ?? '',
    'nodes-by-class': Object.entries(countByClass(findings))
      .map(([k, n]) => `${k}=${n}`)
      .join(','),
    ...(input.reads === undefined ? {} : { 'nodes-read': String(input.reads.read) }),
    repair: `found=${facts.repair.brokenFound},repaired=${facts.repair.repaired},failed=${facts.repair.failed},` +
      `stuck=${facts.repair.stuckPods},started=${facts.repair.stuckStarted}`,
    [FAILED_RUNS_KEY]: renderFailedRuns(
      nextFailedRuns(readFailedRuns(input.previous?.[FAILED_RUNS_KEY]), execution, run.mode),
    ),
    ...leftWorkKeys(input),
    [NODE_TIMES_KEY]: renderNodeTimes(
      nextNodeTimes(readNodeTimes(input.previous?.[NODE_TIMES_KEY]), execution, run.mode),
    ),
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
    const text = stringify(summaryBody(facts, collapse, limit), YAML_OPTIONS);
    bodies.set(key, text);
    return text;
  };
  const render = (shape: Shape): Record<string, string> => {
    const notes: string[] = [];
    if (shape.history < history.length) {
      notes.push(
        `history trimmed to the newest ${shape.history} of ${history.length} runs to stay under ${maxBytes} bytes`,
      );
    }
    if (shape.collapse) {
      notes.push(
        `per-node list collapsed to stay under ${maxBytes} bytes: only nodes that need attention are listed; the others are counted in nodesNotShown and plan.skippedNotShown${
          execution === undefined ? '' : ', and nodes and pods not started in execution.nodesNotShown and podsNotShown'
        }`,
      );
    }
    if (shape.limit < Number.POSITIVE_INFINITY) {
      notes.push(
        `lists truncated to ${shape.limit} entries each to stay under ${maxBytes} bytes; the rest are counted`,
      );
    }
    const summary = body(shape.collapse, shape.limit) + (notes.length > 0 ? stringify({ notes }, YAML_OPTIONS) : '');
    return {
      'summary.yaml': summary,
      'history.yaml': stringify(history.slice(0, shape.history), YAML_OPTIONS),
      ...flat,
    };
  };

  return fitSummary({
    maxBytes,
    historySizes: history.map((e) => Buffer.byteLength(stringify([e], YAML_OPTIONS), 'utf8')),
    longestList: Math.max(
      findings.length,
      plan.deferred.length,
      plan.skipped.length,
      ...plan.steps.map((s) => s.pods.length),
      execution?.nodes.length ?? 0,
      ...(execution?.nodes ?? []).map((n) => n.pods.length),
    ),
    render,
  });
}

/**
 * The dependents this run leaves for the next (left-work.yaml, read back by report/run-memory.ts), and their count in
 * a flat key: `pods=N,nodes=M` (`,notRecorded=K` beyond what one ConfigMap holds).
 */
function leftWorkKeys(input: SummaryInput): Record<string, string> {
  const { run, plan, execution } = input;
  const left = nextLeftWork(readLeftWork(input.previous?.[LEFT_WORK_KEY]), plan, execution, run.mode, run.startedAt);
  const rendered = renderLeftWork(left);
  return { [LEFT_WORK_KEY]: rendered.text, 'left-work': `pods=${leftPodCount(left) - rendered.dropped},` +
    `nodes=${left.size}${rendered.dropped > 0 ? `,notRecorded=${rendered.dropped}` : ''}` };
}
