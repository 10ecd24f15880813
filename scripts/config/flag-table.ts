// Every flag, one row each: its name, how its text becomes a value, where the value goes in Config, its default and
// its --help line. Each flag can also be set by the environment variable envName(flag) (MTR_ and the name in upper
// case), unless its row says `env: false`. A new flag is a row here and a field in Config (config.ts); a rule
// between flags goes in rules.ts.
import type { Config, DependentsPolicy, FailurePolicy, MaintenanceWindowConfig, OutputFormat,
  SoftOutcome } from './config.ts';
import { DEFAULTS } from './config.ts';
import { bool, byteSize, dnsLabel, dnsSubdomain, duration, int, LABEL_FIX, list, oneOf, parsed, SUBDOMAIN_FIX, text,
  type Coercer } from './coerce.ts';
import { parseLabelSelector, qualifiedNameProblem } from './label-selector.ts';
import { parseMaintenanceWindow } from './maintenance-window.ts';

export interface FlagRow {
  flag: string;
  short?: string;
  /** Placeholder of the value in --help; a flag without one is a boolean (`--flag`, `--flag=false`). */
  arg?: string;
  /** The Config field the value goes to; none for flags that only rules.ts reads. */
  key?: keyof Config;
  coerce: Coercer<unknown>;
  /** The value when the flag is left out; undefined leaves the field unset (or to a rule). */
  default?: unknown;
  /** The default as --help shows it. */
  shown: string;
  help: string;
  /** Not settable from the environment. */
  env?: false;
}

/** A row whose coercer and default are checked against the type of its Config field. */
function setting<K extends keyof Config>(row: Omit<FlagRow, 'key' | 'coerce' | 'default'> & {
  key: K;
  coerce: Coercer<NonNullable<Config[K]>>;
  default?: Config[K];
}): FlagRow {
  return row as FlagRow;
}

/** A flag that rules.ts reads by name (the run mode, --help). */
function ruleInput<T>(row: Omit<FlagRow, 'key' | 'coerce' | 'default'> & { coerce: Coercer<T>; default: T }): FlagRow {
  return row as FlagRow;
}

export function envName(flag: string): string {
  return `MTR_${flag.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * Where the in-cluster service-account files are looked for (a prefix to /var/run/secrets/...). Unset in a real pod;
 * the end-to-end tests set it to run the in-cluster path from outside a pod with another service account's token.
 */
export const SERVICE_ACCOUNT_ROOT_ENV = 'MTR_SERVICE_ACCOUNT_ROOT';

const MAX_FILE_BYTES = 16 * 1024 ** 2;

const window = parsed<MaintenanceWindowConfig>((t) => {
  const w = parseMaintenanceWindow(t);
  return w.ok ? { ok: true, value: w.window } : w;
});

const pushgateway = text((t) => {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(t)) {
    return `must start with http:// or https:// but is "${t}"`;
  }
  if (!URL.canParse(t)) {
    return `is not a URL: "${t}"`;
  }
  const url = new URL(t);
  return url.protocol === 'http:' || url.protocol === 'https:' ? undefined
    : `must be an http or https URL but uses "${url.protocol}"`;
}, 'give the Pushgateway address, e.g. http://pushgateway.monitoring:9091');

const selector = text((t) => {
  const p = parseLabelSelector(t);
  return p.ok ? undefined : `is invalid: ${p.message}`;
}, `write a label selector such as "${DEFAULTS.selector}" or "app=multus,tier=node"`);

const absolutePath = text((t) => (t.startsWith('/') && !t.includes('\0') ? undefined
  : `must be an absolute path inside the container but is "${t}"`),
  `give an absolute path, e.g. ${DEFAULTS.kubeconfigPath}`);

const hostDir = text((t) => (t.startsWith('/') && !t.includes('\0') && !t.split('/').includes('..') &&
    t.length > 1 ? undefined : `must be an absolute directory on the node (not /) but is "${t}"`),
  `give the host directory holding the Multus kubeconfig, e.g. ${DEFAULTS.hostDir}`);

const daemonsets = list(
  (t) => {
    const bad = t.split(',').map((k) => k.trim()).filter((k) => k !== '' && dnsSubdomain(k) !== undefined);
    return t.trim() === '' ? 'must name at least one DaemonSet'
      : bad.length === 0 ? undefined
      : `has entries that are not DaemonSet names: ${bad.map((b) => `"${b}"`).join(', ')}`;
  },
  `give the Multus DaemonSets' names, comma-separated, e.g. ${DEFAULTS.daemonsets.join(',')} (upstream v3.7: ` +
    'kube-multus-ds-amd64,kube-multus-ds-arm64,…)',
);

const pinnedImage = text((t) => {
  if (/\s/.test(t)) return `must be an image reference without spaces but is "${t}"`;
  // A tag can be moved to other content; the admission policy in rbac.yaml admits one digest.
  if (!/^[^@]+@sha256:[0-9a-f]{64}$/.test(t)) {
    return `must be pinned by digest (IMAGE@sha256:<64 hex digits>) but is "${t}"`;
  }
  return undefined;
}, `give an image pinned by digest, e.g. ${DEFAULTS.readerImage}, and admit the same image in rbac.yaml's policy`);

const cronInterval = duration({
  atLeast: { ms: 60_000, why: 'must be at least 1m (a CronJob runs at most once a minute)',
    fix: "give the CronJob's interval, e.g. 1h" },
});

const annotationKey = text((t) => {
  const why = qualifiedNameProblem(t);
  return why === undefined ? undefined : `is not a valid annotation key: ${why}`;
}, `give a qualified name such as ${DEFAULTS.optOutAnnotation}`);

const kinds = list((t) => {
  const bad = t.split(',').map((k) => k.trim()).filter((k) => !/^[A-Z][A-Za-z0-9]*$/.test(k));
  return bad.length === 0 ? undefined
    : `has entries that are not Kubernetes kinds: ${bad.map((b) => `"${b}"`).join(', ')}`;
}, `give controller kinds separated by commas, e.g. ${DEFAULTS.restartKinds.join(',')}`);

const softOutcomes = list((t) => {
  const bad = t.split(',').map((k) => k.trim()).filter((k) => k !== '' && k !== 'locked' && k !== 'deferred');
  return bad.length === 0 ? undefined : `has unknown outcomes: ${bad.map((b) => `"${b}"`).join(', ')}`;
}, 'give locked, deferred or both, comma-separated', (k): k is SoftOutcome => k === 'locked' || k === 'deferred');

export const FLAGS: readonly FlagRow[] = [
  // ── mode ──
  ruleInput({ flag: 'execute', coerce: bool, default: false, shown: 'false',
    help: 'restart pods (without it: a dry run that changes nothing)' }),
  ruleInput({ flag: 'server-dry-run', coerce: bool, default: false, shown: 'false',
    help: 'send every change with dryRun=All: the API server checks it, nothing changes' }),
  setting({ flag: 'yes', short: 'y', key: 'yes', coerce: bool, default: false, shown: 'false',
    help: 'do not ask for confirmation before --execute' }),
  // ── where to find Multus ──
  setting({ flag: 'namespace', short: 'n', arg: 'NS', key: 'namespace', coerce: text(dnsLabel, LABEL_FIX),
    default: DEFAULTS.namespace, shown: DEFAULTS.namespace, help: 'namespace of the Multus pods' }),
  setting({ flag: 'selector', short: 'l', arg: 'SELECTOR', key: 'selector', coerce: selector,
    default: DEFAULTS.selector, shown: DEFAULTS.selector, help: 'label selector of the Multus pods' }),
  setting({ flag: 'container', arg: 'NAME', key: 'container',
    coerce: text(dnsLabel, `give the Multus container's name, e.g. ${DEFAULTS.container}`), default: DEFAULTS.container,
    shown: DEFAULTS.container, help: 'the Multus container of those pods' }),
  setting({ flag: 'kubeconfig-path', arg: 'PATH', key: 'kubeconfigPath', coerce: absolutePath,
    default: DEFAULTS.kubeconfigPath, shown: DEFAULTS.kubeconfigPath,
    help: "path of Multus' kubeconfig inside that container" }),
  setting({ flag: 'daemonsets', arg: 'NAMES', key: 'daemonsets', coerce: daemonsets, default: DEFAULTS.daemonsets,
    shown: DEFAULTS.daemonsets.join(','),
    help: 'the Multus DaemonSets (comma-separated): only their pods are read and restarted; rbac.yaml admits these' }),
  setting({ flag: 'host-dir', arg: 'DIR', key: 'hostDir', coerce: hostDir, default: DEFAULTS.hostDir,
    shown: DEFAULTS.hostDir,
    help: 'host directory holding that kubeconfig (a reader pod mounts it read-only); rbac.yaml admits this one' }),
  // ── cluster access ──
  setting({ flag: 'kubeconfig', arg: 'FILE', key: 'kubeconfig', coerce: text(), shown: '$KUBECONFIG or ~/.kube/config',
    help: 'kubeconfig for reaching the cluster (local runs)' }),
  setting({ flag: 'context', arg: 'NAME', key: 'context', coerce: text(), shown: 'current context',
    help: 'context of that kubeconfig' }),
  setting({ flag: 'in-cluster', key: 'inCluster', coerce: bool, shown: 'auto: true in a pod without KUBECONFIG',
    help: "use the pod's service account" }),
  // ── scanning ──
  setting({ flag: 'concurrency', arg: 'N', key: 'concurrency', coerce: int(1, 256), default: DEFAULTS.concurrency,
    shown: String(DEFAULTS.concurrency), help: 'nodes scanned at once (1..256)' }),
  setting({ flag: 'read-timeout', arg: 'DURATION', key: 'readTimeoutMs', coerce: duration(),
    default: DEFAULTS.readTimeoutMs, shown: '15s', help: "time allowed to read one node's kubeconfig" }),
  setting({ flag: 'max-file-size', arg: 'BYTES', key: 'maxFileBytes', coerce: byteSize(MAX_FILE_BYTES, '16Mi'),
    default: DEFAULTS.maxFileBytes, shown: '64Ki', help: 'largest kubeconfig read (e.g. 65536, 64Ki, 1Mi)' }),
  setting({ flag: 'reader-image', arg: 'IMAGE', key: 'readerImage', coerce: pinnedImage, default: DEFAULTS.readerImage,
    shown: DEFAULTS.readerImage,
    help:
      'image (pinned by digest) of the read-only pod used where the Multus image has no cat; rbac.yaml admits this one' }),
  setting({ flag: 'reread-every', arg: 'DURATION', key: 'rereadEveryMs', coerce: duration({ allowZero: true }),
    default: DEFAULTS.rereadEveryMs, shown: '1h',
    help:
      "read every node's file at least this often; in between, only nodes whose Multus pod, service account, key or expiry changed (0: every run)" }),
  // ── judging, planning ──
  setting({ flag: 'expiring-within', arg: 'DURATION', key: 'expiringWithinMs', coerce: duration({ allowZero: true }),
    default: DEFAULTS.expiringWithinMs, shown: '24h', help: 'treat tokens that expire within this time as expiring' }),
  setting({ flag: 'max-nodes', arg: 'N', key: 'maxNodes', coerce: int(1), default: DEFAULTS.maxNodes,
    shown: String(DEFAULTS.maxNodes), help: 'act on at most this many nodes per run (≥1)' }),
  setting({ flag: 'schedule-interval', arg: 'DURATION', key: 'scheduleIntervalMs', coerce: cronInterval,
    default: DEFAULTS.scheduleIntervalMs, shown: '1h',
    help: "time between scheduled runs (the CronJob schedule); pacing plans every token's rotation from it" }),
  setting({ flag: 'node-time', arg: 'DURATION', key: 'nodeTimeMs', coerce: duration(), shown: 'measured',
    help: 'time to rotate one node, for pacing (a run rotates at most --deadline / node time nodes); default: ' +
      'measured by earlier runs (the summary keeps them), the --step-timeout until one is' }),
  setting({ flag: 'dependents', arg: 'POLICY', key: 'dependents',
    coerce: oneOf<DependentsPolicy>(['secondary-networks', 'all', 'none']), default: DEFAULTS.dependents,
    shown: DEFAULTS.dependents,
    help: 'workload pods evicted after Multus: none (report which the outage hurt) | secondary-networks | all' }),
  setting({ flag: 'allow-local-storage', key: 'allowLocalStorage', coerce: bool, default: DEFAULTS.allowLocalStorage,
    shown: 'false', help: 'also restart pods with emptyDir volumes (their data is lost)' }),
  setting({ flag: 'opt-out-annotation', arg: 'KEY', key: 'optOutAnnotation', coerce: annotationKey,
    default: DEFAULTS.optOutAnnotation, shown: DEFAULTS.optOutAnnotation,
    help: 'pods with this annotation set to "true" are never restarted' }),
  setting({ flag: 'restart-kinds', arg: 'KINDS', key: 'restartKinds', coerce: kinds, default: DEFAULTS.restartKinds,
    shown: DEFAULTS.restartKinds.join(','),
    help: 'controller kinds trusted to bring an evicted pod back (comma-separated)' }),
  // ── acting ──
  setting({ flag: 'repair-wave-size', arg: 'N', key: 'repairWaveSize', coerce: int(1, 1000),
    default: DEFAULTS.repairWaveSize, shown: String(DEFAULTS.repairWaveSize),
    help: 'broken nodes (token invalid or expired) whose Multus pods are restarted at once, per wave (1..1000)' }),
  setting({ flag: 'step-timeout', arg: 'DURATION', key: 'stepTimeoutMs', coerce: duration(),
    default: DEFAULTS.stepTimeoutMs, shown: '5m',
    help: 'time allowed for a Multus restart (its fresh token proven), and for each dependent (plus its grace ' +
      'period when its controller waits for the old pod); shorter than --deadline' }),
  setting({ flag: 'deadline', arg: 'DURATION', key: 'runDeadlineMs', coerce: duration(),
    default: DEFAULTS.runDeadlineMs, shown: '50m', help: 'stop starting new nodes after this time' }),
  setting({ flag: 'on-failure', arg: 'POLICY', key: 'onFailure', coerce: oneOf<FailurePolicy>(['stop', 'continue']),
    default: DEFAULTS.onFailure, shown: DEFAULTS.onFailure, help: 'after a failed node: stop | continue' }),
  setting({ flag: 'exit-zero-on', arg: 'OUTCOMES', key: 'exitZeroOn', coerce: softOutcomes,
    default: DEFAULTS.exitZeroOn, shown: 'none',
    help:
      'exit 0 instead of 5 (locked: another run holds the lease) or 3 (deferred: nothing wrong, work left for later runs by --max-nodes, --window or --deadline); comma-separated' }),
  setting({ flag: 'window', arg: 'WINDOW', key: 'window', coerce: window, shown: 'none, any time',
    help: 'act only inside this window, e.g. "Mon-Fri 22:00-06:00 Europe/Berlin"' }),
  setting({ flag: 'lease-name', arg: 'NAME', key: 'leaseName', coerce: text(dnsSubdomain, SUBDOMAIN_FIX),
    default: DEFAULTS.leaseName, shown: DEFAULTS.leaseName, help: 'Lease that keeps two runs from acting at once' }),
  setting({ flag: 'lease-namespace', arg: 'NS', key: 'leaseNamespace',
    coerce: text(dnsLabel, LABEL_FIX, "the job's namespace"), shown: "the job's namespace",
    help: 'namespace of that Lease' }),
  setting({ flag: 'lease-ttl', arg: 'DURATION', key: 'leaseTtlMs', coerce: duration(), default: DEFAULTS.leaseTtlMs,
    shown: '2m', help: 'how long the Lease holds without renewal' }),
  // ── reporting ──
  setting({ flag: 'output', short: 'o', arg: 'FORMAT', key: 'output',
    coerce: oneOf<OutputFormat>(['table', 'json', 'yaml']), default: DEFAULTS.output, shown: DEFAULTS.output,
    help: 'report format: table | json | yaml' }),
  setting({ flag: 'summary-namespace', arg: 'NS', key: 'summaryNamespace',
    coerce: text(dnsLabel, LABEL_FIX, "the job's namespace"), shown: "the job's namespace",
    help: 'namespace of the summary ConfigMap' }),
  setting({ flag: 'summary-name', arg: 'NAME', key: 'summaryName', coerce: text(dnsSubdomain, SUBDOMAIN_FIX),
    default: DEFAULTS.summaryName, shown: DEFAULTS.summaryName, help: 'name of the summary ConfigMap' }),
  setting({ flag: 'history', arg: 'N', key: 'historyLimit', coerce: int(1, 200), default: DEFAULTS.historyLimit,
    shown: String(DEFAULTS.historyLimit), help: 'runs kept in the summary (1..200)' }),
  setting({ flag: 'pushgateway', arg: 'URL', key: 'pushgatewayUrl', coerce: pushgateway, shown: 'none',
    help: 'Prometheus Pushgateway to push metrics to (http or https)' }),
  ruleInput({ flag: 'help', short: 'h', coerce: bool, default: false, shown: 'false', help: 'show this help',
    env: false }),
];
