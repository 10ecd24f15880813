// Classify and plan: the pure stages' verdicts (the pipeline's types: ../model.ts).
import type { Millis } from '../model.ts';
import type { Cause, LeftWorkVerdict } from './run-results.ts';
import type { ReviewVerdict, SandboxFailure, SignatureVerdict, TokenClaims } from './scan-facts.ts';

// ───────────────────────────── classify (pure) ─────────────────────────────

export type TokenClass =
  | 'healthy'
  | 'expiring'
  | 'expired'
  | 'invalid'
  | 'legacy'
  | 'unreadable'
  | 'self-refreshing'
  | 'external-credentials'; // the kubeconfig holds no literal token (certificate, tokenFile, plugin): never acted on

export const ACTIONABLE_CLASSES: readonly TokenClass[] = ['invalid', 'expired', 'expiring'];

export interface NodeFinding {
  node: string;
  multusPod: { namespace: string; name: string; uid: string };
  class: TokenClass;
  /** One sentence a person can act on. */
  reason: string;
  fingerprint?: string;
  /**
   * When the token expires: its JWT `exp` (seconds, as `claims` keeps it) turned into Millis at the classify boundary,
   * once; every later stage works in milliseconds.
   */
  expiresAt?: Millis;
  /** Milliseconds left at the time the token was judged; negative when expired. */
  timeLeftMs?: number;
  claims?: TokenClaims;
  readVia?: 'exec' | 'reader-pod';
  /** What the cluster said of the token: its signature against the JWKS, and TokenReview. */
  signature?: SignatureVerdict['status'];
  review?: ReviewVerdict['status'];
}

// ───────────────────────────── plan (pure) ─────────────────────────────

export type PodAction = 'restart' | 'skip' | 'refused' | 'manual' | 'blocked';

export interface PodVerdict {
  namespace: string;
  name: string;
  uid: string;
  action: PodAction;
  reason: string;
  /** The flag or annotation that would change this verdict, where the user can change it. */
  override?: string;
  /** Budgets that cover the pod. */
  pdbs?: string[];
  /**
   * Not restarted now for a reason that passes by itself (a cordon lifted, the cap of nodes whose workloads are
   * evicted, a broken node repaired): the run records it as work left for a later run (report/left-work.ts).
   */
  later?: true;
  /** Why it is left for later (`later`): cap, toward-broken or cordoned. */
  cause?: Cause;
  /**
   * Broken nodes (other than its own, schedulable) where the pod's replacement could land: it is evicted only once
   * every one of them is repaired (scripts/plan/evict-limits.ts).
   */
  brokenTargets?: string[];
}

export interface NodeStep {
  node: string;
  /**
   * Finishes what an earlier run left (plan/finish-steps.ts): the node's token is healthy, its Multus pod is not
   * restarted, only the dependents that run left are evicted. `since`: when that run started.
   */
  finish?: { since: Millis };
  class: TokenClass;
  reason: string;
  /** The finding's expiresAt. */
  expiresAt?: Millis;
  multusPod: { namespace: string; name: string; uid: string };
  pods: PodVerdict[];
  /** Pods on the node that are not dependents under the --dependents policy: not in `pods`, only counted. */
  nonDependentPods?: number;
  /**
   * A broken node (its token invalid or expired): repaired in this run's parallel waves whatever --max-nodes says;
   * restarting its Multus pod disrupts nothing that is not broken already.
   */
  repair?: true;
  /** Runs in a row whose step for this node failed, from the previous summary: such a node goes after the rest. */
  failedRuns?: number;
  /** What the outage did to the node's pods, by evidence (scripts/plan/outage-verdicts.ts). */
  outage?: OutageVerdict[];
  /**
   * Acted on ahead of --expiring-within by pacing (scripts/plan/pacing.ts): the token is still healthy, but the fleet
   * cannot wait. The executor rotates it if the token it finds is still the one planned (same expiry).
   */
  paced?: true;
}

/** What a rejected token did to one pod, and why: Multus reads its kubeconfig only during CNI ADD and DEL. */
export interface OutageVerdict {
  namespace: string;
  name: string;
  uid: string;
  effect: 'stuck' | 'untouched' | 'waiting';
  reason: string;
  /** For a stuck pod: its last FailedCreatePodSandBox Event. */
  sandboxFailure?: SandboxFailure;
}

export interface NodeDeferral {
  node: string;
  class: TokenClass;
  reason: string;
  override?: string;
  /** Deferred by the cap of preventive rotations (--max-nodes): left for a later run by design. */
  cause?: Extract<Cause, 'cap'>;
}

export interface RestartPlan {
  createdAt: Millis;
  /** Nodes to act on, in order. */
  steps: NodeStep[];
  /** Nodes that need action but will not get it this run, each with why. */
  deferred: NodeDeferral[];
  /** Nodes that need nothing, each with why. */
  skipped: NodeDeferral[];
  /** Every broken node (invalid or expired token) found, planned or not: nothing is evicted toward one. */
  broken?: string[];
  /** What this run makes of the dependents earlier runs left (plan/finish-steps.ts), one entry a node. */
  leftWork?: LeftWorkVerdict[];
  /** Plan-level advice, e.g. tokens that live shorter than the schedule can keep up with. */
  advisories: string[];
  /** How many nodes the fleet's expiry dates require of this run, and whether every deadline can be met. */
  pacing?: PacingSummary;
}

/** What scripts/plan/pacing.ts decides from the fleet's expiry dates. */
export interface PacingReport {
  /** Nodes one run acts on at most: min(--max-nodes, ⌊--deadline / --node-time⌋). */
  capacityPerRun: number;
  /** The cap that sets capacityPerRun. */
  limitedBy: '--max-nodes' | '--deadline / --node-time';
  intervalMs: number;
  nodeTimeMs: number;
  /** Where nodeTimeMs comes from: --node-time, measured by earlier runs, or the --step-timeout before any did. */
  nodeTimeFrom?: string;
  /** Nodes whose token has a deadline: invalid, expired, or expiring at a known time. */
  tokens: number;
  /** The fewest nodes this run must act on so that later runs can keep every token out of the margin. */
  dueThisRun: number;
  /** When the lazy schedule starts acting ahead of --expiring-within (the derived horizon); ≤ now: pacing is on. */
  beginsAt?: Millis;
  /** The latest token expiry of the fleet. */
  lastExpiry?: Millis;
  /** Tokens that will expire before any run can reach them at capacityPerRun (0: every deadline is met). */
  shortfall: number;
  /** When the first of those expires. */
  firstMissAt?: Millis;
  /** The nodes per run that would meet every deadline (at this interval and window). */
  neededPerRun?: number;
  /** A sentence for the plan and the summary when the deadline cannot be met. */
  warning?: string;
}

/** The pacing report as kept in the plan. */
export interface PacingSummary extends PacingReport {
  /** Healthy nodes pulled into this run ahead of --expiring-within. */
  pulledForward: number;
}
