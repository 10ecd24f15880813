// The run as Prometheus metrics, in the text exposition format (version 0.0.4), for a Pushgateway: token expiry and
// classes as scanned at the start of the run, when the run happened and how it ended, and what it did to nodes and
// pods. Every series of a labelled family is written, 0 included, so that a series does not vanish between runs.
// Also the alert rules that go with them. Pure: run facts in, text out. No sample depends on the clock: the rules
// compare with Prometheus's time().
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
  /** Milliseconds since the epoch; accepted like the other pure stages, no sample depends on it. */
  now: number;
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
      earliest === undefined ? [] : [{ value: earliest }],
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

/**
 * Prometheus alert rules (the `groups:` of a rule file, or the `spec` of a PrometheusRule) for the metrics above, as
 * pushed to a Pushgateway, and one rule that needs only kube-state-metrics.
 */
export const ALERT_RULES_YAML = `groups:
  - name: multus-token-rotator
    rules:
      - alert: MultusTokenExpiringSoon
        expr: min(multus_token_rotator_earliest_token_expiry_timestamp_seconds) - time() < 12 * 3600
        for: 15m
        labels:
          severity: warning
        annotations:
          summary: "A Multus thin-plugin token expires within 12 hours"
          description: "The earliest Multus token expires in {{ $value | humanizeDuration }} (negative: already expired). Run the rotator with --execute, or read its summary ConfigMap for why it did not rotate the token."
      - alert: MultusTokenInvalidOrExpired
        expr: sum(multus_token_rotator_nodes{class=~"invalid|expired"}) > 0
        for: 2h
        labels:
          severity: critical
        annotations:
          summary: "Multus tokens are invalid or expired on {{ $value }} node(s)"
          description: "Pods on these nodes cannot get secondary networks. The rotator has not fixed them for 2h: read its summary ConfigMap (multus-token-rotator/multus-token-rotator-summary) for deferred nodes and blocked pods."
      - alert: MultusTokenRotationCannotKeepUp
        expr: max(multus_token_rotator_pacing_shortfall_nodes) > 0
        for: 1h
        labels:
          severity: critical
        annotations:
          summary: "{{ $value }} Multus token(s) will expire before the rotator can reach them"
          description: "At the rotator's --max-nodes, --deadline / --node-time and schedule, not every token can be rotated before it expires (multus_token_rotator_pacing_first_miss_timestamp_seconds says when the first one does; multus_token_rotator_pacing_needed_nodes_per_run says what would suffice). Raise --max-nodes or run more often: the plan's advisories in the summary ConfigMap say by how much. Raised days ahead, as soon as the fleet's expiry dates make it certain."
      - alert: MultusTokenNodeRepairFailing
        expr: max by (node) (multus_token_rotator_node_failed_runs) >= 3
        labels:
          severity: warning
        annotations:
          summary: "The rotator failed to repair node {{ $labels.node }} {{ $value }} runs in a row"
          description: "That node's new Multus pod does not write a fresh token. Other nodes are not held back (it goes last in each run). Read the node's entry in the summary ConfigMap and the MultusTokenRotationFailed Events on the node."
      - alert: MultusTokenRotatorNotRunning
        expr: time() - max(multus_token_rotator_last_run_timestamp_seconds) > 3 * 3600
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: "multus-token-rotator has not run for more than 3h"
          description: "The last run started {{ $value | humanizeDuration }} ago. Check the CronJob multus-token-rotator/multus-token-rotator (suspended, missed starts) and the Pushgateway."
      - alert: MultusTokenRotatorFailing
        expr: max(multus_token_rotator_last_run_exit_code) != 0 and max(multus_token_rotator_last_run_exit_code) != 3
        for: 2h
        labels:
          severity: warning
        annotations:
          summary: "multus-token-rotator runs have been failing for 2h (exit code {{ $value }})"
          description: "Exit codes: 1 error, 4 cluster unreachable or forbidden, 5 lease held by another run, 6 a node's rotation failed, 130 interrupted. Read the Job's log and the summary ConfigMap."
  - name: multus-token-rotator-kube-state-metrics
    rules:
      - alert: MultusTokenRotatorJobFailed
        expr: kube_job_status_failed{namespace="multus-token-rotator",job_name=~"multus-token-rotator-.*"} > 0
        labels:
          severity: warning
        annotations:
          summary: "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed"
          description: "A run of the multus-token-rotator CronJob exited non-zero. Exit code 3 (attention: something is left to do) also fails the Job. The alert clears when the Job is deleted (ttlSecondsAfterFinished)."
`;
