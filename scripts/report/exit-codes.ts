// The process exit codes: what a CronJob's status, an alert or a calling script can tell from the code alone.
import type { ExecutionReport, NodeFinding, NodeOutcome, PodOutcome, RestartPlan, RunMode } from '../model.ts';

export const EXIT = {
  /** Nothing needs action, or everything planned was done. */
  OK: 0,
  /** An unexpected error: a bug, or a failure this tool has no better code for. */
  ERROR: 1,
  /** The command line or environment is invalid; nothing was contacted. */
  USAGE: 2,
  /**
   * Some node needs rotation that this run did not do (dry run, deferred, blocked, refused or manual pods), or a
   * node's kubeconfig file could not be read.
   */
  ATTENTION: 3,
  /** The cluster could not be reached, or a required permission is missing. */
  CLUSTER: 4,
  /** Another run holds the lease; this one did nothing. */
  LOCKED: 5,
  /** Acting on a node failed (a restart or an eviction did not complete). */
  FAILED: 6,
  /** Stopped by SIGTERM or SIGINT. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const MEANINGS: ReadonlyArray<readonly [keyof typeof EXIT, string]> = [
  ['OK', 'nothing needs action, or everything planned was done'],
  ['ERROR', 'unexpected error'],
  ['USAGE', 'invalid flags or environment; nothing was contacted'],
  ['ATTENTION',
    "a node needs rotation this run did not do (dry run, deferred, blocked, refused, manual), a dependent was left for a later run (the summary records it), a node's file could not be read, or at this cap and schedule some token will expire before a run reaches it (pacing)"],
  ['CLUSTER', 'the cluster could not be reached or a required permission is missing'],
  ['LOCKED', 'another run holds the lease'],
  ['FAILED', 'acting on a node failed'],
  ['INTERRUPTED', 'stopped by SIGTERM or SIGINT'],
];

const LEFT_OVER: ReadonlySet<string> = new Set(['blocked', 'refused', 'manual']);

export interface RunExitOptions {
  /** The run was stopped by SIGTERM or SIGINT. */
  interrupted: boolean;
  /** Another run holds the lease, so this one did nothing. */
  leaseHeld: boolean;
}

const NODE_FAILED: ReadonlySet<NodeOutcome> = new Set<NodeOutcome>(['failed']);
const NODE_LEFT_OVER: ReadonlySet<NodeOutcome> = new Set<NodeOutcome>(['partial', 'not-started']);
const POD_FAILED: ReadonlySet<PodOutcome> = new Set<PodOutcome>(['failed']);
const POD_LEFT_OVER: ReadonlySet<PodOutcome> = new Set<PodOutcome>(['blocked', 'not-started']);

/**
 * The process exit code of a whole run, first match wins:
 * INTERRUPTED when stopped by a signal; LOCKED when another run holds the lease (`opts.leaseHeld`, or an execution
 * report whose lease was not acquired); FAILED when a node's step or a pod's eviction failed; ATTENTION when anything
 * is left to do or cannot be done in time (an unreadable node, deferred nodes, a pacing shortfall, blocked, refused
 * or manual pods, a partial or not-started node, a planned step the execution report does not mention, a dry run with
 * steps); OK otherwise. Without an execution report (plan only), an execute-mode plan with clean steps is OK.
 */
export function exitCodeForRun(
  findings: readonly NodeFinding[],
  plan: RestartPlan,
  execution: ExecutionReport | undefined,
  mode: RunMode,
  opts: RunExitOptions,
): ExitCode {
  if (opts.interrupted) {
    return EXIT.INTERRUPTED;
  }
  if (opts.leaseHeld || execution?.lease?.acquired === false) {
    return EXIT.LOCKED;
  }
  const nodes = execution?.nodes ?? [];
  if (nodes.some((n) => NODE_FAILED.has(n.outcome) || n.pods.some((p) => POD_FAILED.has(p.outcome)))) {
    return EXIT.FAILED;
  }
  if (findings.some((f) => f.class === 'unreadable')) {
    return EXIT.ATTENTION;
  }
  if (plan.deferred.length > 0) {
    return EXIT.ATTENTION;
  }
  // Pacing: at this cap and schedule some token will expire before a run reaches it. Said days ahead, every run.
  if ((plan.pacing?.shortfall ?? 0) > 0) {
    return EXIT.ATTENTION;
  }
  if (plan.steps.length > 0 && mode !== 'execute') {
    return EXIT.ATTENTION;
  }
  if (plan.steps.some((s) => s.pods.some((p) => LEFT_OVER.has(p.action)))) {
    return EXIT.ATTENTION;
  }
  // A pod left for a later run (a cap, a cordon, a broken node not yet repaired) is work left: the summary records it
  // and the next run finishes it (report/left-work.ts).
  if (nodes.some((n) => NODE_LEFT_OVER.has(n.outcome) || n.pods.some((p) => POD_LEFT_OVER.has(p.outcome) || p.later))) {
    return EXIT.ATTENTION;
  }
  if (execution !== undefined) {
    const reported = new Set(nodes.map((n) => n.node));
    if (plan.steps.some((s) => !reported.has(s.node))) {
      return EXIT.ATTENTION;
    }
  }
  return EXIT.OK;
}

/** A plain-text table of the exit codes, for --help and the README. */
export function describeExitCodes(): string {
  const rows = MEANINGS.map(([name, meaning]) => [String(EXIT[name]), name, meaning] as const);
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const line = (a: string, b: string, c: string): string => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd();
  return [line('CODE', 'NAME', 'MEANING'), ...rows.map((r) => line(r[0], r[1], r[2]))].join('\n') + '\n';
}
