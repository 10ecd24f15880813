// The run's configuration: parsed once, at the edge (flags, then environment, then defaults), frozen, and passed
// down. Only the entry point, rotate.ts, reads process.argv and process.env: it hands them to config/ as data, and
// nothing else of ours reads them (client-node's loadFromDefault still reads KUBECONFIG when connecting).
import type { RunMode } from '../model.ts';
import type { TimeWindow } from '../shared/time-window.ts';

/** Which workload pods on a node depend on its Multus token. */
export type DependentsPolicy =
  | 'secondary-networks' // pods with the k8s.v1.cni.cncf.io/networks annotation (default)
  | 'all' // every pod on the pod network
  | 'none'; // restart only the Multus pod (default): a Running pod does not need the token, a stuck one retries

export type OutputFormat = 'table' | 'json' | 'yaml';

export type FailurePolicy = 'stop' | 'continue';

/** Outcomes that are expected in a healthy hourly job and may exit 0 (--exit-zero-on); the summary keeps the code. */
export type SoftOutcome = 'locked' | 'deferred';

/** --maintenance-window, parsed (config/maintenance-window.ts); its matcher is shared/time-window.ts. */
export type MaintenanceWindowConfig = TimeWindow;

export interface Config {
  mode: RunMode;
  /** Skip the confirmation prompt of an interactive --execute. */
  yes: boolean;

  // where to find Multus
  namespace: string;
  selector: string;
  container: string;
  /** The kubeconfig's path inside the Multus container. */
  kubeconfigPath: string;
  /** The Multus DaemonSets: only their pods are read and restarted (rbac.yaml's policies admit only those). */
  daemonsets: readonly string[];
  /** The host directory holding that file: what a reader pod mounts (rbac.yaml's policy admits only this one). */
  hostDir: string;

  // cluster access (local runs)
  kubeconfig?: string;
  context?: string;
  inCluster: boolean;
  /** Prefix of /var/run/secrets/kubernetes.io/serviceaccount in-cluster (tests only; unset in a pod). */
  serviceAccountRoot?: string;

  // scanning
  concurrency: number;
  readTimeoutMs: number;
  maxFileBytes: number;
  /** Image of the short-lived read-only pod used where the Multus image has no `cat`; always pinned by digest. */
  readerImage: string;
  /**
   * Read every node's file at least this often; in between, a node whose inputs did not change (same Multus pod,
   * same service account, its key still in the JWKS, its expiry outside --expiring-within) is judged from the facts
   * the last read stored (scan/reread.ts). 0: read every node every run.
   */
  rereadEveryMs: number;

  // judging
  expiringWithinMs: number;

  // planning
  maxNodes: number;
  /** Time between scheduled runs (the CronJob's schedule): pacing plans every token's rotation from it. */
  scheduleIntervalMs: number;
  /**
   * Pacing's time to rotate one node (a run rotates at most runDeadlineMs / nodeTimeMs nodes). Unset: what earlier runs
   * measured (report/run-memory.ts), or stepTimeoutMs before any did.
   */
  nodeTimeMs?: number;
  dependents: DependentsPolicy;
  allowLocalStorage: boolean;
  /** Pods with this annotation set to "true" are never restarted. */
  optOutAnnotation: string;
  /**
   * Controller kinds known to bring an evicted pod back (ReplicaSet, StatefulSet). A pod of any other controller —
   * a KubeVirt VirtualMachineInstance, a custom operator — is left for a person unless its kind is listed here.
   */
  restartKinds: readonly string[];

  // acting (part 2)
  /** Broken nodes whose Multus pods are restarted at once, in each repair wave. */
  repairWaveSize: number;
  stepTimeoutMs: number;
  runDeadlineMs: number;
  onFailure: FailurePolicy;
  /** Exit 0 when the run's only news is one of these (another run held the lease; work left for a later run). */
  exitZeroOn: readonly SoftOutcome[];
  window?: MaintenanceWindowConfig;
  leaseName: string;
  leaseNamespace: string;
  leaseTtlMs: number;

  // reporting
  output: OutputFormat;
  summaryNamespace: string;
  summaryName: string;
  historyLimit: number;
  pushgatewayUrl?: string;
}

export const DEFAULTS = {
  namespace: 'kube-system',
  selector: 'app=multus',
  container: 'kube-multus',
  kubeconfigPath: '/host/etc/cni/net.d/multus.d/multus.kubeconfig',
  daemonsets: ['kube-multus-ds'],
  hostDir: '/etc/cni/net.d/multus.d',
  concurrency: 16,
  readTimeoutMs: 15_000,
  maxFileBytes: 64 * 1024,
  // Pinned by digest: rbac.yaml's layout ConfigMap (MTR_READER_IMAGE) holds the same; its policy admits only that one.
  readerImage:
    'docker.io/library/busybox:1.37.0@sha256:bdf57e528e45e4433820e045b29b4597825a1c9e38353532d90a01445013f82e',
  rereadEveryMs: 3600_000,
  expiringWithinMs: 24 * 3600_000,
  maxNodes: 10,
  scheduleIntervalMs: 3600_000,
  dependents: 'none',
  allowLocalStorage: false,
  optOutAnnotation: 'multus-token-rotator.io/skip',
  restartKinds: ['ReplicaSet', 'StatefulSet'],
  repairWaveSize: 250,
  stepTimeoutMs: 5 * 60_000,
  runDeadlineMs: 50 * 60_000,
  onFailure: 'stop',
  exitZeroOn: [],
  leaseName: 'multus-token-rotator',
  leaseTtlMs: 2 * 60_000,
  output: 'table',
  summaryName: 'multus-token-rotator-summary',
  historyLimit: 20,
} as const;
