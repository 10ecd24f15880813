// The data that flows through the pipeline: config ─► scan ─► classify ─► plan ─► (execute) ─► report.
// Plain, serialisable values only: no API client objects, no functions, never a token.

/** Milliseconds since the epoch. Every pure stage takes `now` as data. */
export type Millis = number;

// ───────────────────────────── scan: facts, no decisions ─────────────────────────────

/** How a Multus pod keeps its kubeconfig token. */
export type MultusMode =
  | 'thin' // copies its token once at start: the case this tool exists for
  | 'thick' // multus-daemon, client-go in-cluster config: refreshes itself
  | 'thin-token-watch'; // 4.x thin with --cleanup-config-on-exit: refreshes itself

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

export interface MultusPodFacts {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  mode: MultusMode;
  /** The pod's controller (a DaemonSet for every supported install); absent for a bare or static pod. */
  controller?: OwnerRef;
  serviceAccountName: string;
}

export interface NodeFacts {
  name: string;
  uid: string;
  ready: boolean;
  unschedulable: boolean;
  /** The node's labels (for judging where a pod's replacement could be scheduled). */
  labels?: Record<string, string>;
}

/** The subset of a service-account JWT's claims we keep. Never the token itself. */
export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string[];
  /** Seconds since the epoch, as in the JWT. */
  exp?: number;
  iat?: number;
  nbf?: number;
  /** `kubernetes.io.warnafter`: set when the API server extended a 3607 s token. Seconds since the epoch. */
  warnafter?: number;
  namespace?: string;
  serviceAccountName?: string;
  serviceAccountUid?: string;
  podName?: string;
  podUid?: string;
  nodeName?: string;
  nodeUid?: string;
}

/** What the cluster says of a token. */
export type SignatureVerdict =
  | { status: 'valid' }
  // bad signature, wrong issuer, no matching key …; `otherIssuer`: signed by the cluster's keys, only the issuer differs
  // `unknownKey`: no key of the JWKS has the token's key id (another cluster, a key rotated out, or one newer than
  // the JWKS read): the scan re-reads the JWKS once, and TokenReview decides
  | { status: 'invalid'; reason: string; otherIssuer?: string; unknownKey?: true }
  | { status: 'unchecked'; reason: string }; // the JWKS could not be read

export type ReviewVerdict =
  | { status: 'authenticated'; username: string }
  | { status: 'rejected'; reason: string }
  | { status: 'unchecked'; reason: string };

export interface TokenFacts {
  /** First 12 hex digits of sha256(token): the only way a token is ever named. */
  fingerprint: string;
  alg?: string;
  kid?: string;
  claims: TokenClaims;
  signature: SignatureVerdict;
  review: ReviewVerdict;
}

/** How the node's kubeconfig file was read, or why it could not be. */
export type FileRead =
  | { status: 'read'; via: 'exec' | 'reader-pod'; bytes: number; path: string }
  | { status: 'unreadable'; reason: string; path: string };

/** The file was read; what is in it. */
export type FileContent =
  | { status: 'token'; token: TokenFacts; server?: string; user?: string; context?: string }
  | { status: 'malformed'; reason: string }
  // well formed, but no literal token: a client certificate, a tokenFile, an exec or auth-provider plugin
  | { status: 'external-credentials'; kind: 'tokenFile' | 'client-certificate' | 'exec' | 'auth-provider';
    reason: string };

export interface NodeScan {
  node: string;
  multusPod: MultusPodFacts;
  file: FileRead;
  /** Present when `file.status === 'read'`. */
  content?: FileContent;
  /** The service account the Multus pods use, as it is now (to spot a recreated one). */
  serviceAccountUid?: string;
  /**
   * Set when the file was not read this run: `file` and `content` are the facts of the read at this time, reused
   * because nothing they depend on changed (scan/reread.ts).
   */
  reusedFrom?: Millis;
}

/** Which nodes' files a run read, and why; the others were judged from the facts of their last read. */
export interface ReadCounts {
  read: number;
  reused: number;
  /** Nodes read, by reason (scan/reread.ts). */
  reasons: Record<string, number>;
  /** The nodes read, in name order. */
  readNodes: string[];
}

export interface VolumeFacts {
  name: string;
  kind: 'emptyDir' | 'hostPath' | 'other';
}

/** A workload pod on a node the plan may act on. */
export interface PodFacts {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  phase: string;
  ready: boolean;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork: boolean;
  controller?: OwnerRef;
  volumes: VolumeFacts[];
  deleting: boolean;
  /** What limits the nodes the scheduler may put the pod's replacement on; absent when nothing does. */
  placement?: PlacementFacts;
  /** The first container's waiting reason (ContainerCreating while its sandbox fails). */
  waiting?: string;
  /** The pod's last FailedCreatePodSandBox Event, when the scan found one (scan/sandbox-failures.ts). */
  sandboxFailure?: SandboxFailure;
}

/** A kubelet FailedCreatePodSandBox Event: why the pod's network could not be set up. */
export interface SandboxFailure {
  message: string;
  /** When it was last seen. */
  at: Millis;
  count: number;
  /** The message names Multus's `Unauthorized`: the node's token was rejected during CNI ADD. */
  unauthorized: boolean;
}

/** One nodeSelectorTerm: its requirements are ANDed. */
export interface NodeSelectorTermFacts {
  matchExpressions?: LabelSelectorRequirement[];
  /** Only `metadata.name` exists as a field. */
  matchFields?: LabelSelectorRequirement[];
}

export interface PlacementFacts {
  /** spec.nodeSelector: every label must match. */
  nodeSelector?: Record<string, string>;
  /** Required node affinity: a node fits when it matches any term. */
  requiredTerms?: NodeSelectorTermFacts[];
  /**
   * The PersistentVolumeClaims the pod mounts. `terms` is the node affinity of the volume each is bound to ([] when
   * it has none, e.g. network storage), present once the scan has looked it up; absent when it could not.
   */
  claims?: { name: string; terms?: NodeSelectorTermFacts[] }[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** What decides the revision a deleted StatefulSet pod comes back from (apps/v1 stateful_set_control.go). */
export interface StatefulSetFacts {
  namespace: string;
  name: string;
  uid: string;
  /** RollingUpdate, OnDelete, or what the object says (kept so the planner can refuse an unknown one). */
  updateStrategy: string;
  /** RollingUpdate: ordinals at or above start + partition come back from the update revision. */
  partition: number;
  /** spec.ordinals.start (0 by default). */
  startOrdinal: number;
  currentRevision?: string;
  updateRevision?: string;
  generation: number;
  observedGeneration?: number;
  /** Why it could not be read (the other fields are then empty): its pods are not evicted on a guess. */
  unreadable?: string;
}

export interface PdbFacts {
  namespace: string;
  name: string;
  selector?: LabelSelector;
  generation: number;
  observedGeneration?: number;
  disruptionsAllowed: number;
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  /** As written by the user; unknown values are kept so that the planner can refuse them. */
  unhealthyPodEvictionPolicy?: string;
}

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
  /** Seconds since the epoch. */
  exp?: number;
  /** Milliseconds left at `now`; negative when expired. */
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
  exp?: number;
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
  /** Seconds since the epoch. */
  exp?: number;
}

export interface NodeExecution {
  node: string;
  outcome: NodeOutcome;
  reason: string;
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
  nodes: NodeExecution[];
}
