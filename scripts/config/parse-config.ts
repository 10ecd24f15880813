// The only module that reads flags and environment (passed in as data): flags win over MTR_* environment variables,
// which win over DEFAULTS. Collects every problem; never throws for user input.
import { parseArgs } from 'node:util';
import type { RunMode } from '../model.ts';
import { DEFAULTS } from './config.ts';
import type { Config, DependentsPolicy, FailurePolicy, MaintenanceWindowConfig, OutputFormat, SoftOutcome } from './config.ts';
import { parseDuration } from '../shared/durations.ts';
import { parseLabelSelector, qualifiedNameProblem } from './label-selector.ts';
import { parseMaintenanceWindow } from './maintenance-window.ts';

export interface ConfigProblem {
  /** The flag ('--max-nodes') or environment variable ('MTR_MAX_NODES') the value came from. */
  source: string;
  value?: string;
  message: string;
  fix: string;
}

export type ParseConfigResult =
  | { ok: true; config: Readonly<Config>; help: boolean }
  | { ok: false; problems: ConfigProblem[] };

interface FlagSpec {
  name: string;
  short?: string;
  kind: 'boolean' | 'string';
  /** Placeholder for the value in --help. */
  arg?: string;
  default: string;
  help: string;
  /** Not settable from the environment. */
  noEnv?: boolean;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'execute', kind: 'boolean', default: 'false', help: 'restart pods (without it: a dry run that changes nothing)' },
  { name: 'server-dry-run', kind: 'boolean', default: 'false', help: 'send every change with dryRun=All: the API server checks it, nothing changes' },
  { name: 'yes', short: 'y', kind: 'boolean', default: 'false', help: 'do not ask for confirmation before --execute' },
  { name: 'namespace', short: 'n', kind: 'string', arg: 'NS', default: DEFAULTS.namespace, help: 'namespace of the Multus pods' },
  { name: 'selector', short: 'l', kind: 'string', arg: 'SELECTOR', default: DEFAULTS.selector, help: 'label selector of the Multus pods' },
  { name: 'container', kind: 'string', arg: 'NAME', default: DEFAULTS.container, help: 'the Multus container of those pods' },
  { name: 'kubeconfig-path', kind: 'string', arg: 'PATH', default: DEFAULTS.kubeconfigPath, help: "path of Multus' kubeconfig inside that container" },
  { name: 'kubeconfig', kind: 'string', arg: 'FILE', default: '$KUBECONFIG or ~/.kube/config', help: 'kubeconfig for reaching the cluster (local runs)' },
  { name: 'context', kind: 'string', arg: 'NAME', default: 'current context', help: 'context of that kubeconfig' },
  { name: 'in-cluster', kind: 'boolean', default: 'auto: true in a pod without KUBECONFIG', help: "use the pod's service account" },
  { name: 'concurrency', kind: 'string', arg: 'N', default: String(DEFAULTS.concurrency), help: 'nodes scanned at once (1..256)' },
  { name: 'read-timeout', kind: 'string', arg: 'DURATION', default: '15s', help: 'time allowed to read one node\'s kubeconfig' },
  { name: 'max-file-size', kind: 'string', arg: 'BYTES', default: '64Ki', help: 'largest kubeconfig read (e.g. 65536, 64Ki, 1Mi)' },
  { name: 'reader-image', kind: 'string', arg: 'IMAGE', default: DEFAULTS.readerImage, help: 'image of the read-only pod used where the Multus image has no cat' },
  { name: 'expiring-within', kind: 'string', arg: 'DURATION', default: '24h', help: 'treat tokens that expire within this time as expiring' },
  { name: 'max-nodes', kind: 'string', arg: 'N', default: String(DEFAULTS.maxNodes), help: 'act on at most this many nodes per run (≥1)' },
  { name: 'schedule-interval', kind: 'string', arg: 'DURATION', default: '1h', help: 'time between scheduled runs (the CronJob schedule); pacing plans every token\'s rotation from it' },
  { name: 'node-time', kind: 'string', arg: 'DURATION', default: 'the --step-timeout', help: 'assumed time to rotate one node; a run rotates at most --deadline / --node-time nodes' },
  { name: 'dependents', kind: 'string', arg: 'POLICY', default: DEFAULTS.dependents, help: 'workload pods restarted after Multus: secondary-networks | all | none' },
  { name: 'allow-local-storage', kind: 'boolean', default: 'false', help: 'also restart pods with emptyDir volumes (their data is lost)' },
  { name: 'opt-out-annotation', kind: 'string', arg: 'KEY', default: DEFAULTS.optOutAnnotation, help: 'pods with this annotation set to "true" are never restarted' },
  { name: 'restart-kinds', kind: 'string', arg: 'KINDS', default: DEFAULTS.restartKinds.join(','), help: 'controller kinds trusted to bring an evicted pod back (comma-separated)' },
  { name: 'step-timeout', kind: 'string', arg: 'DURATION', default: '5m', help: 'time allowed for one node (shorter than --deadline)' },
  { name: 'deadline', kind: 'string', arg: 'DURATION', default: '50m', help: 'stop starting new nodes after this time' },
  { name: 'on-failure', kind: 'string', arg: 'POLICY', default: DEFAULTS.onFailure, help: 'after a failed node: stop | continue' },
  { name: 'exit-zero-on', kind: 'string', arg: 'OUTCOMES', default: 'none', help: 'exit 0 instead of 5 (locked: another run holds the lease) or 3 (deferred: nothing wrong, work left for later runs by --max-nodes, --window or --deadline); comma-separated' },
  { name: 'window', kind: 'string', arg: 'WINDOW', default: 'none, any time', help: 'act only inside this window, e.g. "Mon-Fri 22:00-06:00 Europe/Berlin"' },
  { name: 'lease-name', kind: 'string', arg: 'NAME', default: DEFAULTS.leaseName, help: 'Lease that keeps two runs from acting at once' },
  { name: 'lease-namespace', kind: 'string', arg: 'NS', default: "the job's namespace", help: 'namespace of that Lease' },
  { name: 'lease-ttl', kind: 'string', arg: 'DURATION', default: '2m', help: 'how long the Lease holds without renewal' },
  { name: 'output', short: 'o', kind: 'string', arg: 'FORMAT', default: DEFAULTS.output, help: 'report format: table | json | yaml' },
  { name: 'summary-namespace', kind: 'string', arg: 'NS', default: "the job's namespace", help: 'namespace of the summary ConfigMap' },
  { name: 'summary-name', kind: 'string', arg: 'NAME', default: DEFAULTS.summaryName, help: 'name of the summary ConfigMap' },
  { name: 'history', kind: 'string', arg: 'N', default: String(DEFAULTS.historyLimit), help: 'runs kept in the summary (1..200)' },
  { name: 'pushgateway', kind: 'string', arg: 'URL', default: 'none', help: 'Prometheus Pushgateway to push metrics to (http or https)' },
  { name: 'help', short: 'h', kind: 'boolean', default: 'false', help: 'show this help', noEnv: true },
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

/**
 * Where the in-cluster service-account files are looked for (a prefix to /var/run/secrets/...). Unset in a real pod;
 * the end-to-end tests set it to run the in-cluster path from outside a pod with another service account's token.
 */
export const SERVICE_ACCOUNT_ROOT_ENV = 'MTR_SERVICE_ACCOUNT_ROOT';

export function envName(flag: string): string {
  return `MTR_${flag.toUpperCase().replaceAll('-', '_')}`;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const TRUE_WORDS = ['true', '1', 'yes'];
const FALSE_WORDS = ['false', '0', 'no'];

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  k: 1000,
  M: 1000 ** 2,
  G: 1000 ** 3,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};
const MAX_FILE_BYTES = 16 * 1024 ** 2;

/** Parse a byte size: a plain integer or a Kubernetes quantity such as 64Ki or 1Mi. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+)(k|M|G|Ki|Mi|Gi)?$/.exec(text.trim());
  if (m === null) {
    return undefined;
  }
  const value = Number(m[1]) * (BYTE_UNITS[m[2] ?? ''] ?? 1);
  return Number.isSafeInteger(value) ? value : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function closestFlag(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of FLAGS) {
    const d = editDistance(name, f.name);
    if (d < bestDistance) {
      best = f.name;
      bestDistance = d;
    }
  }
  return best;
}

interface RawValue {
  source: string;
  text: string;
}

export function parseConfig(
  argv: string[],
  env: Record<string, string | undefined>,
  ctx: { defaultNamespace: string },
): ParseConfigResult {
  const problems: ConfigProblem[] = [];
  const problem = (source: string, value: string | undefined, message: string, fix: string): void => {
    problems.push(value === undefined ? { source, message, fix } : { source, value, message, fix });
  };

  // ── flags ──
  const options: Record<string, { type: 'boolean' | 'string'; short?: string }> = {};
  for (const f of FLAGS) {
    options[f.name] = f.short === undefined ? { type: f.kind } : { type: f.kind, short: f.short };
  }
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  /** Last value of each flag given; null when it was given without a usable value (already reported). */
  const fromFlags = new Map<string, string | null>();
  for (const token of tokens) {
    if (token.kind === 'positional') {
      problem(
        'arguments',
        token.value,
        `the argument "${token.value}" is not a flag and this command takes no arguments`,
        'give values as --flag VALUE or --flag=VALUE (booleans as --flag=false); see --help',
      );
      continue;
    }
    if (token.kind !== 'option') {
      continue;
    }
    const spec = BY_NAME.get(token.name);
    if (spec === undefined) {
      const suggestion = token.rawName.startsWith('--') ? closestFlag(token.name) : undefined;
      problem(
        token.rawName,
        token.value,
        `the flag ${token.rawName} is unknown`,
        suggestion === undefined ? 'remove it; see --help for the flags' : `did you mean --${suggestion}? see --help`,
      );
      continue;
    }
    const source = `--${spec.name}`;
    if (spec.kind === 'boolean') {
      fromFlags.set(spec.name, token.value ?? 'true');
      continue;
    }
    if (token.value === undefined) {
      problem(source, undefined, `the flag ${token.rawName} needs a value but none was given`, `write ${source}=${spec.arg ?? 'VALUE'}`);
      fromFlags.set(spec.name, null);
    } else if (!token.inlineValue && /^--?[A-Za-z]/.test(token.value)) {
      problem(
        source,
        token.value,
        `the flag ${token.rawName} is followed by the flag ${token.value} instead of a value`,
        `give ${source} a value (${source}=${spec.arg ?? 'VALUE'}), or write ${source}=${token.value} if that is really the value`,
      );
      fromFlags.set(spec.name, null);
    } else {
      fromFlags.set(spec.name, token.value);
    }
  }

  // ── environment ──
  const known = new Set(FLAGS.filter((f) => f.noEnv !== true).map((f) => envName(f.name)));
  known.add(SERVICE_ACCOUNT_ROOT_ENV);
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('MTR_') && !known.has(key) && value !== undefined) {
      const guess = closestFlag(key.slice(4).toLowerCase().replaceAll('_', '-'));
      problem(
        key,
        value,
        `the environment variable ${key} is not one this tool reads`,
        guess === undefined ? 'remove it; see --help for the variables' : `did you mean ${envName(guess)}? see --help`,
      );
    }
  }

  /** The value of a setting and where it came from; undefined when unset (or given without a value). */
  const raw = (name: string): RawValue | undefined => {
    if (fromFlags.has(name)) {
      const text = fromFlags.get(name);
      return text === null || text === undefined ? undefined : { source: `--${name}`, text };
    }
    const spec = BY_NAME.get(name);
    if (spec?.noEnv === true) {
      return undefined;
    }
    const key = envName(name);
    const text = env[key];
    return text === undefined || text.trim() === '' ? undefined : { source: key, text };
  };
  const given = (name: string): boolean => fromFlags.has(name) || raw(name) !== undefined;

  const bool = (name: string, fallback: boolean): boolean => {
    const r = raw(name);
    if (r === undefined) {
      return fallback;
    }
    const word = r.text.trim().toLowerCase();
    if (TRUE_WORDS.includes(word)) {
      return true;
    }
    if (FALSE_WORDS.includes(word)) {
      return false;
    }
    problem(r.source, r.text, `${r.source} must be true or false but is "${r.text}"`, 'use true, false, 1, 0, yes or no');
    return fallback;
  };

  const str = (name: string, fallback: string, check?: (text: string) => string | undefined, fix?: string): string => {
    const r = raw(name);
    if (r === undefined) {
      return fallback;
    }
    const text = r.text.trim();
    if (text === '') {
      problem(
        r.source,
        r.text,
        `${r.source} is empty`,
        fallback === '' ? `give a value or leave ${r.source} out` : `give a value or leave ${r.source} out to use the default "${fallback}"`,
      );
      return fallback;
    }
    const why = check?.(text);
    if (why !== undefined) {
      problem(r.source, r.text, `${r.source} ${why}`, fix ?? 'see --help');
      return fallback;
    }
    return text;
  };

  const optionalStr = (name: string, check?: (text: string) => string | undefined, fix?: string): string | undefined => {
    const r = raw(name);
    if (r === undefined) {
      return undefined;
    }
    const value = str(name, '', check, fix);
    return value === '' ? undefined : value;
  };

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const r = raw(name);
    if (r === undefined) {
      return fallback;
    }
    const text = r.text.trim();
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
      problem(r.source, r.text, `${r.source} must be a whole number ${range} but is "${r.text}"`, `give a whole number ${range}, e.g. ${r.source === `--${name}` ? `--${name}=${fallback}` : `${r.source}=${fallback}`}`);
      return fallback;
    }
    const value = Number(text);
    if (value < min || value > max) {
      problem(r.source, r.text, `${r.source} must be ${range} but is ${value}`, `give a whole number ${range}`);
      return fallback;
    }
    return value;
  };

  const duration = (name: string, fallback: number, allowZero: boolean): number => {
    const r = raw(name);
    if (r === undefined) {
      return fallback;
    }
    const parsed = parseDuration(r.text);
    if (!parsed.ok) {
      problem(r.source, r.text, `${r.source}: ${parsed.message}`, parsed.fix);
      return fallback;
    }
    if (parsed.value === 0 && !allowZero) {
      problem(r.source, r.text, `${r.source} must be longer than zero but is "${r.text}"`, 'give a positive duration, e.g. 30s or 5m');
      return fallback;
    }
    return parsed.value;
  };

  const oneOf = <T extends string>(name: string, fallback: T, choices: readonly T[]): T => {
    const r = raw(name);
    if (r === undefined) {
      return fallback;
    }
    const text = r.text.trim();
    const found = choices.find((c) => c === text);
    if (found === undefined) {
      problem(r.source, r.text, `${r.source} must be one of ${choices.join(', ')} but is "${r.text}"`, `use one of: ${choices.join(', ')}`);
      return fallback;
    }
    return found;
  };

  const dnsLabel = (text: string): string | undefined =>
    text.length <= 63 && DNS1123_LABEL.test(text)
      ? undefined
      : `must be a DNS-1123 label (at most 63 lower-case letters, digits and "-", starting and ending with a letter or digit) but is "${text}"`;
  const dnsSubdomain = (text: string): string | undefined =>
    text.length <= 253 && DNS1123_SUBDOMAIN.test(text)
      ? undefined
      : `must be a DNS-1123 subdomain (at most 253 lower-case letters, digits, "-" and ".") but is "${text}"`;
  const LABEL_FIX = 'use lower-case letters, digits and "-", e.g. kube-system';
  const SUBDOMAIN_FIX = 'use lower-case letters, digits, "-" and ".", e.g. multus-token-rotator-summary';

  // ── mode ──
  const execute = bool('execute', false);
  const serverDryRun = bool('server-dry-run', false);
  const yes = bool('yes', false);
  const help = bool('help', false);
  let mode: RunMode = 'dry-run';
  if (execute && serverDryRun) {
    problem(
      raw('execute')?.source ?? '--execute',
      undefined,
      `--execute and --server-dry-run were both given (${raw('execute')?.source ?? '--execute'}, ${raw('server-dry-run')?.source ?? '--server-dry-run'}): a run either changes the cluster or only asks the API server to check the changes`,
      'keep one of them: --execute to restart pods, --server-dry-run to check without changing anything',
    );
  } else if (execute) {
    mode = 'execute';
  } else if (serverDryRun) {
    mode = 'server-dry-run';
  }
  if (yes && !execute && !serverDryRun) {
    const r = raw('yes');
    problem(
      r?.source ?? '--yes',
      r?.text,
      '--yes skips the confirmation of --execute, but neither --execute nor --server-dry-run was given',
      'add --execute to restart pods, or drop --yes for a dry run',
    );
  }

  // ── where to find Multus ──
  const namespace = str('namespace', DEFAULTS.namespace, dnsLabel, LABEL_FIX);
  const selector = str('selector', DEFAULTS.selector, (text) => {
    const parsed = parseLabelSelector(text);
    return parsed.ok ? undefined : `is invalid: ${parsed.message}`;
  }, `write a label selector such as "${DEFAULTS.selector}" or "app=multus,tier=node"`);
  const container = str('container', DEFAULTS.container, dnsLabel, `give the Multus container's name, e.g. ${DEFAULTS.container}`);
  const kubeconfigPath = str(
    'kubeconfig-path',
    DEFAULTS.kubeconfigPath,
    (text) => (text.startsWith('/') && !text.includes('\0') ? undefined : `must be an absolute path inside the container but is "${text}"`),
    `give an absolute path, e.g. ${DEFAULTS.kubeconfigPath}`,
  );

  // ── cluster access ──
  const kubeconfig = optionalStr('kubeconfig');
  const context = optionalStr('context');
  const inClusterRaw = raw('in-cluster');
  const envKubeconfig = env['KUBECONFIG'];
  const autoInCluster =
    (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '' && kubeconfig === undefined && (envKubeconfig ?? '') === '';
  const inCluster = inClusterRaw === undefined ? autoInCluster : bool('in-cluster', false);
  if (inClusterRaw !== undefined && inCluster && kubeconfig !== undefined) {
    problem(
      inClusterRaw.source,
      inClusterRaw.text,
      `${inClusterRaw.source} and ${raw('kubeconfig')?.source ?? '--kubeconfig'} contradict each other: in-cluster runs use the pod's service account, not a kubeconfig`,
      'keep one: --in-cluster inside the cluster, --kubeconfig=FILE outside it',
    );
  }
  if (inCluster && context !== undefined) {
    const r = raw('context');
    problem(
      r?.source ?? '--context',
      context,
      `${r?.source ?? '--context'} names a kubeconfig context, but this run uses the in-cluster service account${inClusterRaw === undefined ? ' (it runs in a pod and no kubeconfig was given)' : ''}`,
      'drop --context, or give --kubeconfig=FILE (or --in-cluster=false) to use a kubeconfig',
    );
  }

  // ── scanning ──
  const concurrency = int('concurrency', DEFAULTS.concurrency, 1, 256);
  const readTimeoutMs = duration('read-timeout', DEFAULTS.readTimeoutMs, false);
  let maxFileBytes: number = DEFAULTS.maxFileBytes;
  const sizeRaw = raw('max-file-size');
  if (sizeRaw !== undefined) {
    const size = parseByteSize(sizeRaw.text);
    if (size === undefined || size < 1 || size > MAX_FILE_BYTES) {
      problem(
        sizeRaw.source,
        sizeRaw.text,
        `${sizeRaw.source} must be a size from 1 byte to 16Mi but is "${sizeRaw.text}"`,
        'give bytes as a whole number or with a unit: 65536, 64Ki, 1Mi (also k, M, G, Gi)',
      );
    } else {
      maxFileBytes = size;
    }
  }
  const readerImage = str(
    'reader-image',
    DEFAULTS.readerImage,
    (text) => (/\s/.test(text) ? `must be an image reference without spaces but is "${text}"` : undefined),
    `give an image reference, e.g. ${DEFAULTS.readerImage}`,
  );

  // ── judging, planning ──
  const expiringWithinMs = duration('expiring-within', DEFAULTS.expiringWithinMs, true);
  const maxNodes = int('max-nodes', DEFAULTS.maxNodes, 1, Number.MAX_SAFE_INTEGER);
  const scheduleIntervalMs = duration('schedule-interval', DEFAULTS.scheduleIntervalMs, false);
  if (scheduleIntervalMs < 60_000) {
    const r = raw('schedule-interval');
    problem(r?.source ?? '--schedule-interval', r?.text, `${r?.source ?? '--schedule-interval'} must be at least 1m (a CronJob runs at most once a minute)`, 'give the CronJob\'s interval, e.g. 1h');
  }
  const dependents = oneOf<DependentsPolicy>('dependents', DEFAULTS.dependents, ['secondary-networks', 'all', 'none']);
  const allowLocalStorage = bool('allow-local-storage', DEFAULTS.allowLocalStorage);
  const optOutAnnotation = str(
    'opt-out-annotation',
    DEFAULTS.optOutAnnotation,
    (text) => {
      const why = qualifiedNameProblem(text);
      return why === undefined ? undefined : `is not a valid annotation key: ${why}`;
    },
    `give a qualified name such as ${DEFAULTS.optOutAnnotation}`,
  );

  const restartKinds = str(
    'restart-kinds',
    DEFAULTS.restartKinds.join(','),
    (text) => {
      const bad = text.split(',').map((k) => k.trim()).filter((k) => !/^[A-Z][A-Za-z0-9]*$/.test(k));
      return bad.length === 0 ? undefined : `has entries that are not Kubernetes kinds: ${bad.map((b) => `"${b}"`).join(', ')}`;
    },
    `give controller kinds separated by commas, e.g. ${DEFAULTS.restartKinds.join(',')}`,
  ).split(',').map((k) => k.trim()).filter(Boolean);

  // ── acting ──
  const stepTimeoutMs = duration('step-timeout', DEFAULTS.stepTimeoutMs, false);
  const runDeadlineMs = duration('deadline', DEFAULTS.runDeadlineMs, false);
  const nodeTimeMs = duration('node-time', stepTimeoutMs, false);
  if (stepTimeoutMs >= runDeadlineMs) {
    const step = raw('step-timeout');
    const deadline = raw('deadline');
    problem(
      step?.source ?? deadline?.source ?? '--step-timeout',
      step?.text ?? deadline?.text,
      `the step timeout (${step?.text ?? '5m'}) must be shorter than the deadline (${deadline?.text ?? '50m'}), or not even one node could finish`,
      'lower --step-timeout or raise --deadline',
    );
  }
  const onFailure = oneOf<FailurePolicy>('on-failure', DEFAULTS.onFailure, ['stop', 'continue']);
  const exitZeroOn = str(
    'exit-zero-on',
    '',
    (text) => {
      const bad = text.split(',').map((k) => k.trim()).filter((k) => k !== '' && k !== 'locked' && k !== 'deferred');
      return bad.length === 0 ? undefined : `has unknown outcomes: ${bad.map((b) => `"${b}"`).join(', ')}`;
    },
    'give locked, deferred or both, comma-separated',
  ).split(',').map((k) => k.trim()).filter((k): k is SoftOutcome => k === 'locked' || k === 'deferred');
  let window: MaintenanceWindowConfig | undefined;
  const windowRaw = raw('window');
  if (windowRaw !== undefined) {
    const parsed = parseMaintenanceWindow(windowRaw.text);
    if (parsed.ok) {
      window = parsed.window;
    } else {
      problem(windowRaw.source, windowRaw.text, `${windowRaw.source}: ${parsed.message}`, parsed.fix);
    }
  }
  const leaseName = str('lease-name', DEFAULTS.leaseName, dnsSubdomain, SUBDOMAIN_FIX);
  const leaseNamespace = str('lease-namespace', ctx.defaultNamespace, dnsLabel, LABEL_FIX);
  const leaseTtlMs = duration('lease-ttl', DEFAULTS.leaseTtlMs, false);

  // ── reporting ──
  const output = oneOf<OutputFormat>('output', DEFAULTS.output, ['table', 'json', 'yaml']);
  const summaryNamespace = str('summary-namespace', ctx.defaultNamespace, dnsLabel, LABEL_FIX);
  const summaryName = str('summary-name', DEFAULTS.summaryName, dnsSubdomain, SUBDOMAIN_FIX);
  const historyLimit = int('history', DEFAULTS.historyLimit, 1, 200);
  const pushgatewayUrl = optionalStr(
    'pushgateway',
    (text) => {
      if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text)) {
        return `must start with http:// or https:// but is "${text}"`;
      }
      if (!URL.canParse(text)) {
        return `is not a URL: "${text}"`;
      }
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:'
        ? undefined
        : `must be an http or https URL but uses "${url.protocol}"`;
    },
    'give the Pushgateway address, e.g. http://pushgateway.monitoring:9091',
  );

  if (!DNS1123_LABEL.test(ctx.defaultNamespace) && (!given('summary-namespace') || !given('lease-namespace'))) {
    problem(
      'namespace of the job',
      ctx.defaultNamespace,
      `the job's own namespace "${ctx.defaultNamespace}" is not a valid namespace name and is the default for the summary and the lease`,
      'give --summary-namespace and --lease-namespace explicitly',
    );
  }

  if (help) {
    // --help wins over any other problem: the caller prints usage() and exits.
    const defaults = parseConfig([], {}, { defaultNamespace: DNS1123_LABEL.test(ctx.defaultNamespace) ? ctx.defaultNamespace : 'default' });
    return defaults.ok ? { ok: true, config: defaults.config, help: true } : defaults;
  }
  if (problems.length > 0) {
    return { ok: false, problems };
  }

  const config: Config = {
    mode,
    yes,
    namespace,
    selector,
    container,
    kubeconfigPath,
    inCluster,
    ...(env[SERVICE_ACCOUNT_ROOT_ENV] ? { serviceAccountRoot: env[SERVICE_ACCOUNT_ROOT_ENV] } : {}),
    concurrency,
    readTimeoutMs,
    maxFileBytes,
    readerImage,
    expiringWithinMs,
    maxNodes,
    scheduleIntervalMs,
    nodeTimeMs,
    dependents,
    allowLocalStorage,
    optOutAnnotation,
    restartKinds,
    stepTimeoutMs,
    runDeadlineMs,
    onFailure,
    exitZeroOn,
    leaseName,
    leaseNamespace,
    leaseTtlMs,
    output,
    summaryNamespace,
    summaryName,
    historyLimit,
  };
  if (kubeconfig !== undefined) config.kubeconfig = kubeconfig;
  if (context !== undefined) config.context = context;
  if (pushgatewayUrl !== undefined) config.pushgatewayUrl = pushgatewayUrl;
  if (window !== undefined) config.window = Object.freeze({ ...window, days: Object.freeze([...window.days]) as number[] });
  return { ok: true, config: Object.freeze(config), help: false };
}

/** The --help text: every flag, its environment variable and its default, one line each. */
export function usage(): string {
  const left = FLAGS.map((f) => {
    const names = f.short === undefined ? `    --${f.name}` : `-${f.short}, --${f.name}`;
    return f.arg === undefined ? names : `${names} ${f.arg}`;
  });
  const envs = FLAGS.map((f) => (f.noEnv === true ? '-' : envName(f.name)));
  const width = Math.max(...left.map((l) => l.length));
  const envWidth = Math.max(...envs.map((e) => e.length));
  const lines = FLAGS.map(
    (f, i) => `  ${(left[i] ?? '').padEnd(width)}  ${(envs[i] ?? '').padEnd(envWidth)}  ${f.help} (default: ${f.default})`,
  );
  return [
    'Usage: multus-token-rotator [flags]',
    '',
    'Finds Multus thin-plugin kubeconfig tokens that expire or were invalidated and restarts, node by node, the',
    'Multus pod and then the pods that depend on it. Without --execute it only reports what it would do.',
    '',
    'FLAGS (each can also be set by the environment variable shown; a flag wins over its variable;',
    'booleans in the environment accept true/false, 1/0, yes/no; durations: 90s, 15m, 1h30m, 7d):',
    ...lines,
  ].join('\n');
}
