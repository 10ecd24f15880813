// Scan: what was read from the cluster, as plain facts; no decisions (the pipeline's types: ../model.ts).
import type { Millis } from '../model.ts';

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
