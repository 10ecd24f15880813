// Report and execute: what a run did (the pipeline's types: ../model.ts).
import type { Millis } from '../model.ts';

// ───────────────────────────── report ─────────────────────────────

export type RunMode = 'dry-run' | 'execute' | 'server-dry-run';

export interface RunInfo {
  startedAt: Millis;
  finishedAt: Millis;
  mode: RunMode;
  /** How it was started: local (a kubeconfig) or in-cluster. */
  via: 'local' | 'in-cluster';
  identity?: string;
  exitCode: number;
  outcome: string;
}

// ───────────────────────────── execute ─────────────────────────────

/**
 * Why a node or a pod was not done, or why the run stopped: the typed cause beside the prose `reason`, which is only
 * printed (as kubectl drain decides on PodDeleteStatus.Reason and prints its Message). report/judge-run.ts decides on it.
 */
export type Cause =
  | 'signal' // the run's stop signal: SIGTERM or SIGINT, or the lease lost
  | 'lease-held' // another run holds the lease
  | 'deadline' // the run's --deadline leaves no room for the node's step or the pod's wait budget
  | 'window' // outside the maintenance window (--window)
  | 'cap' // the cap of nodes whose workloads are evicted per run (--max-nodes)
  | 'toward-broken' // its replacement could land on a broken node not yet repaired: repair first, evict after
  | 'cordoned' // it can only run on a cordoned node
  | 'budget' // a disruption budget, or its controller already short of Ready pods
  | 'refused' // restarting the Multus pod was refused (multus-guard.ts)
  | 'failure' // a step failed: Multus not back, its token not fresh, an eviction or a replacement that failed
  | 'on-failure' // a node failed and --on-failure is stop
  | 'wave' // most nodes of a repair wave failed
  | 'error' // an unexpected error
  | 'cannot-act'; // acting could not start (the lease could not be read or written, the guard rails, …)

/** Why the run stops: a cause, and the words that say it. */
export interface Stop {
  cause: Cause;
  reason: string;
}

export type PodOutcome =
  | 'evicted' // evicted; the old pod is gone and its replacement is Ready
  | 'already-gone' // the eviction answered 404: nothing to do
  | 'blocked' // a budget kept it (429 until the per-pod timeout, or 500: several budgets)
  | 'failed' // the eviction failed otherwise, or the replacement was not Ready in time
  | 'skipped' // not restarted: the plan's verdict, or what the re-check right before acting found
  | 'not-started' // the run ended (deadline, signal, failure policy, lost lease) before this pod
  | 'dry-run'; // --server-dry-run: the API server accepted the eviction without evicting

export interface PodExecution {
  namespace: string;
  name: string;
  uid: string;
  outcome: PodOutcome;
  reason: string;
  /** Why it was not done (not started, left for later, blocked, failed); `reason` says it in words. */
  cause?: Cause;
  /** Eviction requests sent (more than one after 429s). */
  attempts?: number;
  /** From the first eviction request until it was accepted. */
  evictMs?: number;
  /** From acceptance until the old pod was gone (NotFound or a new UID). */
  goneMs?: number;
  /** From acceptance until the replacement was Ready. */
  replacementReadyMs?: number;
  replacement?: { name: string; uid: string };
  /** A ReplicaSet pod replaced while it was still terminating (its grace period is not waited for). */
  oldTerminating?: true;
  /** Not restarted for a reason that passes by itself (the plan's verdict said so): work left for a later run. */
  later?: true;
}

/** A dependent a run left for a later one (report/left-work.ts). */
export interface LeftPod {
  namespace: string;
  name: string;
  uid: string;
  reason: string;
}

/** The dependents a run left on one node, kept in the summary until a run finishes them. */
export interface LeftNode {
  /** When the run that first left them started. */
  since: Millis;
  pods: LeftPod[];
}

/** What a run makes of one node's left dependents. */
export interface LeftWorkVerdict {
  node: string;
  since: Millis;
  /** Pods recorded. */
  pods: number;
  /**
   * finishing: a finish step evicts them (the token is healthy); in-rotation: the node's rotation step covers them;
   * waiting: kept until the node's token is rotated; done: gone or replaced since; dropped: nothing will evict them
   * (--dependents none, the node gone).
   */
  status: 'finishing' | 'in-rotation' | 'waiting' | 'done' | 'dropped';
  reason: string;
}

export type NodeOutcome =
  | 'rotated' // Multus restarted with a fresh token, and every restartable dependent restarted
  | 'partial' // Multus restarted, but some dependents were blocked or failed
  | 'failed' // the node's step failed (Multus did not come back Ready, or its new token is not fresh and bound)
  | 'skipped' // the re-check right before acting found nothing to do, or the node changed
  | 'not-started' // the run ended before this node
  | 'finished' // a finish step: the dependents an earlier run left are restarted (the token was already healthy)
  | 'dry-run'; // --server-dry-run

export interface TokenRef {
  fingerprint?: string;
  /** The finding's expiresAt. */
  expiresAt?: Millis;
}

export interface NodeExecution {
  node: string;
  outcome: NodeOutcome;
  reason: string;
  /** Why it was not done (not started, failed); `reason` says it in words. */
  cause?: Cause;
  startedAt?: Millis;
  finishedAt?: Millis;
  multus?: {
    oldPod: string;
    oldUid: string;
    newPod?: string;
    newUid?: string;
    /** From the delete until the new Multus pod was Ready. */
    readyMs?: number;
    /** From the new pod being Ready until its fresh token was read from the node's file. */
    tokenMs?: number;
  };
  tokenBefore?: TokenRef;
  tokenAfter?: TokenRef;
  /**
   * The time this run worked on the node: its Multus restart and fresh token, then its dependents, without the time
   * spent on other nodes in between (pacing's measured node time, report/node-times.ts).
   */
  workMs?: number;
  /** When the node's fresh token was proven (a repaired or rotated node). */
  freshAt?: Millis;
  /** The repair wave (1-based) of a broken node. */
  wave?: number;
  /** Runs in a row whose step for this node failed, this one included (0 when it did not fail). */
  failedRuns?: number;
  /** The pods that were stuck in ContainerCreating on the node, watched after the repair. */
  stuckPods?: StuckPodRecovery[];
  pods: PodExecution[];
}

export interface StuckPodRecovery {
  namespace: string;
  name: string;
  uid: string;
  outcome: 'started' | 'not-started' | 'gone';
  /** From the fresh token until the pod was seen Running. */
  startedMs?: number;
  reason: string;
  /** A pod that did not start: its last sandbox Event. */
  lastEvent?: string;
}

export interface LeaseInfo {
  name: string;
  namespace: string;
  holder: string;
  acquired: boolean;
  /** When the lease is held by another run: who, and since when (ISO). */
  heldBy?: string;
  heldSince?: string;
}

export interface ExecutionReport {
  mode: RunMode;
  startedAt: Millis;
  finishedAt: Millis;
  lease?: LeaseInfo;
  /** Why the run stopped before the end of the plan, if it did. */
  stoppedBecause?: string;
  /** The cause of `stoppedBecause`. */
  stopCause?: Cause;
  nodes: NodeExecution[];
}
