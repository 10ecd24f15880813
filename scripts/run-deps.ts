// What one run (run-once.ts) is given, a type per mode: a dry run gets nothing that changes the cluster; a server-side
// dry run gets the writer (every write sent with dryRun=All); --execute gets the writer, the single-run lease and the
// guard rails to prove first. Only the entry point (rotate.ts) knows the cluster connection behind them; runDepsFor
// hands each mode exactly its own, so that what a run may change follows from --mode and nothing else.
import type { ClusterReader } from './cluster/cluster-reader.ts';
import type { ClusterWriter } from './cluster/cluster-writer.ts';
import type { LeaseStore } from './cluster/lease.ts';
import type { SummaryStore } from './cluster/summary-store.ts';
import type { Config } from './config/config.ts';
import type { GuardRailsDeps } from './execute/guard-rails.ts';
import type { Emit } from './log/events.ts';
import type { NodeFinding, RestartPlan } from './model.ts';

/** What every run is given, whatever its mode. */
interface CommonDeps {
  config: Readonly<Config>;
  reader: ClusterReader;
  /** Writes the summary ConfigMap, or the facts one (read-modify-write). */
  writeSummary: SummaryStore['write'];
  /** Pushes the run's metrics (when --pushgateway is set). */
  pushMetrics?: (url: string, body: string) => Promise<void>;
  via: 'local' | 'in-cluster';
  identity: string;
  now: () => number;
  emit: Emit;
  /** Fires on SIGTERM/SIGINT: nothing new is started, the lease is released, the summary is written. */
  signal?: AbortSignal;
  /** Asked before acting, with the plan (an interactive --execute without --yes); false changes nothing. */
  confirm?: (plan: RestartPlan, findings: NodeFinding[]) => Promise<boolean>;
}

/** --server-dry-run: the API server judges every change (dryRun=All) and makes none; no lease, no Events. */
interface ServerDryRunDeps {
  acting: 'server-dry-run';
  writer: ClusterWriter;
}

/** --execute: changes the cluster, holding the lease. */
interface ExecuteDeps {
  acting: 'execute';
  writer: ClusterWriter;
  lease: LeaseStore;
  /** Who this run is, in the lease (cluster/lease.ts makeHolderIdentity). */
  holder: string;
  /** In-cluster --execute: prove rbac.yaml's guard rails before changing anything (fail closed, exit 4). */
  guardRails?: GuardRailsDeps;
}

/** The deps of a run that acts: what run-once.ts's execute() is given. */
export type ActingDeps = CommonDeps & (ServerDryRunDeps | ExecuteDeps);

/** A dry run: no writer (nothing in it can change the cluster but the summary). */
export type RunDeps = (CommonDeps & { acting: 'dry-run'; writer?: undefined }) | ActingDeps;

/** Everything a run could be given; `config.mode` decides what it is. */
export type AllDeps = CommonDeps & Omit<ExecuteDeps, 'acting'>;

/** The run's deps for `config.mode`: each mode gets what it may use, and nothing more. */
export function runDepsFor(all: AllDeps): RunDeps {
  const { writer, lease, holder, guardRails, ...common } = all;
  switch (common.config.mode) {
    case 'dry-run':
      return { ...common, acting: 'dry-run' };
    case 'server-dry-run':
      return { ...common, acting: 'server-dry-run', writer };
    case 'execute':
      return { ...common, acting: 'execute', writer, lease, holder, ...(guardRails ? { guardRails } : {}) };
  }
}
