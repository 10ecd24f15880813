// One run of the pipeline: scan ─► classify ─► plan ─► report. The same code path for the local zx run, the
// CronJob and a manual Job; only the connection differs. The clock and the cluster are passed in.
import { classifyNode } from './classify/classify-node.ts';
import { lifetimeAdvisories } from './classify/lifetime-advisory.ts';
import type { ClusterReader } from './cluster/cluster-reader.ts';
import type { BuildData } from './cluster/summary-store.ts';
import type { Config } from './config/config.ts';
import type { Emit } from './log/events.ts';
import { ACTIONABLE_CLASSES, type NodeFinding, type RestartPlan, type RunInfo } from './model.ts';
import { buildPlan } from './plan/build-plan.ts';
import { buildSummary } from './report/build-summary.ts';
import { EXIT, exitCodeForPlan } from './report/exit-codes.ts';
import { scanNodes } from './scan/scan-nodes.ts';
import { scanWorkloads } from './scan/scan-workloads.ts';

export interface RunDeps {
  config: Readonly<Config>;
  reader: ClusterReader;
  /** Writes the summary ConfigMap (read-modify-write). */
  writeSummary: (namespace: string, name: string, build: BuildData) => Promise<void>;
  via: 'local' | 'in-cluster';
  identity: string;
  now: () => number;
  emit: Emit;
}

export interface RunResult {
  exitCode: number;
  outcome: string;
  findings: NodeFinding[];
  plan: RestartPlan;
  warnings: string[];
  run: RunInfo;
}

function outcomeOf(findings: NodeFinding[], plan: RestartPlan, exitCode: number): string {
  if (exitCode === EXIT.OK) return findings.length === 0 ? 'no Multus nodes found' : 'all tokens healthy';
  const parts: string[] = [];
  if (plan.steps.length > 0) parts.push(`${plan.steps.length} node(s) need rotation`);
  if (plan.deferred.length > 0) parts.push(`${plan.deferred.length} deferred`);
  const unreadable = findings.filter((f) => f.class === 'unreadable').length;
  if (unreadable > 0) parts.push(`${unreadable} unreadable`);
  return parts.join(', ') || 'attention needed';
}

export async function runOnce(deps: RunDeps): Promise<RunResult> {
  const { config, reader, emit } = deps;
  const startedAt = deps.now();
  emit({ type: 'run-started', mode: config.mode, via: deps.via, identity: deps.identity });

  const scanned = await scanNodes(reader, config, emit);
  const judgedAt = deps.now();
  const findings = scanned.nodes.map((n) => classifyNode(n, { now: judgedAt, expiringWithinMs: config.expiringWithinMs }));
  for (const f of findings) emit({ type: 'node-classified', node: f.node, class: f.class, reason: f.reason });

  const actionable = new Set(findings.filter((f) => ACTIONABLE_CLASSES.includes(f.class)).map((f) => f.node));
  const multusUids = new Set(scanned.nodes.map((n) => n.multusPod.uid));
  const workloads = await scanWorkloads(reader, actionable, multusUids);
  emit({ type: 'workloads-listed', pods: workloads.pods.length, pdbs: workloads.pdbs.length, nodes: actionable.size });

  const plan = buildPlan({
    findings, pods: workloads.pods, pdbs: workloads.pdbs, nodes: scanned.nodeFacts,
    multusPods: scanned.nodes.map((n) => n.multusPod), config, now: judgedAt,
    advisories: lifetimeAdvisories(findings),
  });
  emit({ type: 'plan-built', steps: plan.steps.length, deferred: plan.deferred.length, skipped: plan.skipped.length });

  const warnings = [...scanned.warnings];
  let exitCode: number = exitCodeForPlan(findings, plan, config.mode);
  let outcome = outcomeOf(findings, plan, exitCode);
  const run = (): RunInfo => ({ startedAt, finishedAt: deps.now(), mode: config.mode, via: deps.via,
    identity: deps.identity, exitCode, outcome });
  try {
    await deps.writeSummary(config.summaryNamespace, config.summaryName, (previous) =>
      buildSummary({ run: run(), findings, plan, warnings, previous, historyLimit: config.historyLimit }));
    emit({ type: 'summary-written', namespace: config.summaryNamespace, name: config.summaryName });
  } catch (err) {
    const reason = (err as { code?: number }).code === 403
      ? 'forbidden: grant create/get/update on this ConfigMap (rbac.yaml), or set --summary-namespace'
      : (err as Error).message;
    emit({ type: 'summary-failed', namespace: config.summaryNamespace, name: config.summaryName, reason });
    warnings.push(`the summary could not be written to ConfigMap ${config.summaryNamespace}/${config.summaryName}: ${reason}`);
    if (exitCode === EXIT.OK) {
      exitCode = EXIT.CLUSTER;
      outcome = 'summary not written';
    }
  }
  const info = run();
  emit({ type: 'run-finished', exitCode, outcome, ms: info.finishedAt - startedAt });
  return { exitCode, outcome, findings, plan, warnings, run: info };
}
