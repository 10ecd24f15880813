// The run as Prometheus metrics, in the text exposition format (version 0.0.4), for a Pushgateway: token expiry and
// classes as scanned at the start of the run, when the run happened and how it ended, and what it did to nodes and
// pods. Every series of a labelled family is written, 0 included, so that a series does not vanish between runs.
// The alert rules that go with them are alert-rules.yaml. Pure: run facts in, text out. No sample depends on the
// clock: the rules compare with Prometheus's time().
import type { ExecutionReport, NodeFinding, NodeOutcome, PacingSummary, PodOutcome, RunInfo,
  TokenClass } from '../model.ts';
import type { RepairTotals } from './repair-totals.ts';
import { earliestExpiry } from './summary-entries.ts';

export interface MetricsInput {
  findings: readonly NodeFinding[];
  run: RunInfo;
  execution?: ExecutionReport;
  /** The plan's pacing (plan.pacing): whether every token can be rotated before it expires. */
  pacing?: PacingSummary;
  /** The repair's totals (report/repair-totals.ts). */
  repair?: RepairTotals;
  /** Runs in a row each node's step failed, this run included (report/failure-streaks.ts). */
  failedRuns?: ReadonlyMap<string, number>;
}

const PREFIX = 'multus_token_rotator_';

// Records keyed by every member of the union: adding a class or an outcome to the model fails to compile here.
const CLASSES: Readonly<Record<TokenClass, true>> = {
  invalid: true,
  expired: true,
  expiring: true,
  unreadable: true,
  legacy: true,
  'self-refreshing': true,
  'external-credentials': true,
  healthy: true,
};
const NODE_OUTCOMES: Readonly<Record<NodeOutcome, true>> = {
  rotated: true,
  partial: true,
  failed: true,
  skipped: true,
  'not-started': true,
  finished: true,
  'dry-run': true,
};
const POD_OUTCOMES: Readonly<Record<PodOutcome, true>> = {
  evicted: true,
  'already-gone': true,
  blocked: true,
  failed: true,
  skipped: true,
  'not-started': true,
  'dry-run': true,
};

interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}

/** A label value: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text: backslash and line feed escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) {
    return 'NaN';
  }
  if (!Number.isFinite(v)) {
    return v > 0 ? '+Inf' : '-Inf';
  }
  return String(v);
}

function gauge(name: string, help: string, samples: readonly Sample[]): string[] {
  if (samples.length === 0) {
    return [];
  }
  const full = PREFIX + name;
  return [
    `# HELP ${full} ${escapeHelp(help)}`,
    `# TYPE ${full} gauge`,
    ...samples.map((s) => {
      const labels = Object.entries(s.labels ?? {});
      const set = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
      return `${full}${set} ${formatValue(s.value)}`;
    }),
  ];
}

/** One sample per key of `all`, labelled `label`, counting the items of each. */
function countsBy<K extends string>(label: string, all: Readonly<Record<K, true>>, items: readonly K[]): Sample[] {
  const n = new Map<string, number>();
  for (const k of items) {
    n.set(k, (n.get(k) ?? 0) + 1);
  }
  return Object.keys(all).map((k) => ({ labels: { [label]: k }, value: n.get(k) ?? 0 }));
}

export function renderMetrics(input: MetricsInput): string {
  const { findings, run, execution } = input;
  const earliest = earliestExpiry(findings);
  const nodes = execution?.nodes ?? [];
  const lines = [
    ...gauge(
      'earliest_token_expiry_timestamp_seconds',
      'Unix time at which the earliest Multus token that does not refresh itself expires, as scanned at the start of the last run.',
      earliest === undefined ? [] : [{ value: earliest / 1000 }],
    ),
    ...gauge(
      'nodes',
      'Nodes with a Multus pod by token class, as scanned at the start of the last run.',
      countsBy(
        'class',
        CLASSES,
        findings.map((f) => f.class),
      ),
    ),
    ...gauge('last_run_timestamp_seconds', 'Unix time at which the last run started.', [{
      value: run.startedAt / 1000,
    }]),
    ...gauge('last_run_exit_code',
      'Exit code of the last run (0 ok, 3 attention, 5 locked, 6 failed, 130 interrupted).', [
      { value: run.exitCode },
    ]),
    ...gauge('last_run_duration_seconds', 'How long the last run took.', [{
      value: Math.max(0, run.finishedAt - run.startedAt) / 1000,
    }]),
    ...gauge('last_run_info', 'Mode and origin of the last run; always 1.', [{ labels: { mode: run.mode, via: run.via },
      value: 1 }]),
    ...gauge(
      'run_nodes',
      'Nodes of the last run by execution outcome (all 0 when it executed nothing).',
      countsBy(
        'outcome',
        NODE_OUTCOMES,
        nodes.map((n) => n.outcome),
      ),
    ),
    ...gauge(
      'run_pods',
      'Dependent pods of the last run by execution outcome (all 0 when it executed nothing).',
      countsBy(
        'outcome',
        POD_OUTCOMES,
        nodes.flatMap((n) => n.pods.map((p) => p.outcome)),
      ),
    ),
    ...pacingGauges(input.pacing),
    ...repairGauges(input.repair, input.failedRuns),
  ];
  return lines.join('\n') + '\n';
}

function repairGauges(r: RepairTotals | undefined, failedRuns: ReadonlyMap<string, number> | undefined): string[] {
  const streaks = [...(failedRuns ?? new Map<string, number>()).entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    ...gauge('broken_nodes', 'Broken nodes (token invalid or expired) of the last run: found, repaired, failed.', [
      { labels: { state: 'found' }, value: r?.brokenFound ?? 0 },
      { labels: { state: 'repaired' }, value: r?.repaired ?? 0 },
      { labels: { state: 'failed' }, value: r?.failed ?? 0 },
    ]),
    ...gauge('repair_last_fresh_token_seconds',
      "From the last run's start until its last broken node's token was fresh.",
      r?.lastFreshTokenMs === undefined ? [] : [{ value: r.lastFreshTokenMs / 1000 }]),
    ...gauge('stuck_pods',
      'Pods the rejected token kept in ContainerCreating on the repaired nodes: all, and those that started.', [
      { labels: { state: 'stuck' }, value: r?.stuckPods ?? 0 },
      { labels: { state: 'started' }, value: r?.stuckStarted ?? 0 },
      { labels: { state: 'not-started' }, value: r?.stuckNotStarted.length ?? 0 },
    ]),
    ...gauge('node_failed_runs', 'Runs in a row whose step for this node failed (only nodes that failed).',
      streaks.map(([node, n]) => ({ labels: { node }, value: n }))),
  ];
}

function pacingGauges(p: PacingSummary | undefined): string[] {
  if (p === undefined) return [];
  return [
    ...gauge('pacing_shortfall_nodes',
      'Tokens that will expire before a run can reach them at the configured cap and schedule (0: every deadline is met).',
      [{ value: p.shortfall }]),
    ...gauge('pacing_capacity_nodes_per_run',
      'Nodes one run acts on at most: min(--max-nodes, --deadline / --node-time).', [{ value: p.capacityPerRun }]),
    ...gauge('pacing_needed_nodes_per_run',
      'Nodes per run that would meet every token deadline (the capacity when it suffices).', [{
      value: p.neededPerRun ?? p.capacityPerRun,
    }]),
    ...gauge('pacing_due_nodes', "Nodes the fleet's expiry dates require of the last run.", [{ value: p.dueThisRun }]),
    ...gauge('pacing_first_miss_timestamp_seconds',
      'Unix time at which the first token expires before a run reaches it.',
      p.firstMissAt === undefined ? [] : [{ value: p.firstMissAt / 1000 }]),
  ];
}
