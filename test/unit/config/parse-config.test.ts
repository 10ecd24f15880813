import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize } from '../../../scripts/config/coerce.ts';
import { envName } from '../../../scripts/config/flag-table.ts';
import { parseConfig } from '../support/parse-config.ts';
import type { ConfigProblem } from '../../../scripts/config/rules.ts';
import { usage } from '../../../scripts/config/usage.ts';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import type { Config } from '../../../scripts/config/config.ts';

const ctx = { defaultNamespace: 'mtr-system' };

function ok(argv: string[], env: Record<string, string | undefined> = {}): Readonly<Config> {
  const r = parseConfig(argv, env, ctx);
  assert.ok(r.ok, `expected success, got ${r.ok ? '' : JSON.stringify(r.problems, null, 2)}`);
  return r.config;
}

function problems(argv: string[], env: Record<string, string | undefined> = {}): ConfigProblem[] {
  const r = parseConfig(argv, env, ctx);
  assert.equal(r.ok, false, `expected problems for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
  return r.ok ? [] : r.problems;
}

test('with nothing given, the defaults apply', () => {
  const c = ok([]);
  assert.deepEqual(c, {
    mode: 'dry-run',
    yes: false,
    namespace: DEFAULTS.namespace,
    selector: DEFAULTS.selector,
    container: DEFAULTS.container,
    kubeconfigPath: DEFAULTS.kubeconfigPath,
    daemonsets: DEFAULTS.daemonsets,
    hostDir: DEFAULTS.hostDir,
    inCluster: false,
    concurrency: DEFAULTS.concurrency,
    readTimeoutMs: DEFAULTS.readTimeoutMs,
    maxFileBytes: DEFAULTS.maxFileBytes,
    readerImage: DEFAULTS.readerImage,
    rereadEveryMs: DEFAULTS.rereadEveryMs,
    expiringWithinMs: DEFAULTS.expiringWithinMs,
    maxNodes: DEFAULTS.maxNodes,
    scheduleIntervalMs: DEFAULTS.scheduleIntervalMs,
    dependents: DEFAULTS.dependents,
    allowLocalStorage: false,
    optOutAnnotation: DEFAULTS.optOutAnnotation,
    restartKinds: ['ReplicaSet', 'StatefulSet'],
    repairWaveSize: 250,
    stepTimeoutMs: DEFAULTS.stepTimeoutMs,
    runDeadlineMs: DEFAULTS.runDeadlineMs,
    onFailure: DEFAULTS.onFailure,
    exitZeroOn: [],
    leaseName: DEFAULTS.leaseName,
    leaseNamespace: 'mtr-system',
    leaseTtlMs: DEFAULTS.leaseTtlMs,
    output: DEFAULTS.output,
    summaryNamespace: 'mtr-system',
    summaryName: DEFAULTS.summaryName,
    historyLimit: DEFAULTS.historyLimit,
  });
  const r = parseConfig([], {}, ctx);
  assert.ok(r.ok && !r.help);
});

test('every flag is read and converted', () => {
  const c = ok([
    '--execute',
    '-y',
    '-n',
    'network-operator',
    '-l',
    'name=multus',
    '--container=multus',
    '--kubeconfig-path',
    '/etc/multus.kubeconfig',
    '--kubeconfig',
    '/home/me/.kube/config',
    '--context',
    'prod',
    '--concurrency',
    '256',
    '--read-timeout',
    '30s',
    '--max-file-size',
    '1Mi',
    '--reader-image',
    `registry.example.com/busybox@sha256:${'a'.repeat(64)}`,
    '--expiring-within',
    '7d',
    '--max-nodes',
    '3',
    '--dependents',
    'all',
    '--allow-local-storage',
    '--opt-out-annotation',
    'example.com/keep',
    '--step-timeout',
    '10m',
    '--deadline',
    '1h',
    '--on-failure',
    'continue',
    '--window',
    'Mon-Fri 22:00-06:00 Europe/Berlin',
    '--lease-name',
    'mtr.lock',
    '--lease-namespace',
    'locks',
    '--lease-ttl',
    '90s',
    '-o',
    'json',
    '--summary-namespace',
    'reports',
    '--summary-name',
    'mtr.summary',
    '--history',
    '200',
    '--pushgateway',
    'https://push.example.com:9091',
  ]);
  assert.equal(c.mode, 'execute');
  assert.equal(c.yes, true);
  assert.equal(c.namespace, 'network-operator');
  assert.equal(c.selector, 'name=multus');
  assert.equal(c.container, 'multus');
  assert.equal(c.kubeconfigPath, '/etc/multus.kubeconfig');
  assert.equal(c.kubeconfig, '/home/me/.kube/config');
  assert.equal(c.context, 'prod');
  assert.equal(c.inCluster, false);
  assert.equal(c.concurrency, 256);
  assert.equal(c.readTimeoutMs, 30_000);
  assert.equal(c.maxFileBytes, 1024 * 1024);
  assert.equal(c.readerImage, `registry.example.com/busybox@sha256:${'a'.repeat(64)}`);
  assert.equal(c.expiringWithinMs, 7 * 86_400_000);
  assert.equal(c.maxNodes, 3);
  assert.equal(c.dependents, 'all');
  assert.equal(c.allowLocalStorage, true);
  assert.equal(c.optOutAnnotation, 'example.com/keep');
  assert.equal(c.stepTimeoutMs, 600_000);
  assert.equal(c.runDeadlineMs, 3_600_000);
  assert.equal(c.onFailure, 'continue');
  assert.deepEqual(c.window?.days, [1, 2, 3, 4, 5]);
  assert.equal(c.window?.timeZone, 'Europe/Berlin');
  assert.equal(c.leaseName, 'mtr.lock');
  assert.equal(c.leaseNamespace, 'locks');
  assert.equal(c.leaseTtlMs, 90_000);
  assert.equal(c.output, 'json');
  assert.equal(c.summaryNamespace, 'reports');
  assert.equal(c.summaryName, 'mtr.summary');
  assert.equal(c.historyLimit, 200);
  assert.equal(c.pushgatewayUrl, 'https://push.example.com:9091');
});

test('the environment is read, and flags win over it', () => {
  const env = {
    MTR_NAMESPACE: 'from-env',
    MTR_MAX_NODES: '4',
    MTR_SERVER_DRY_RUN: 'yes',
    MTR_ALLOW_LOCAL_STORAGE: '1',
    MTR_OUTPUT: 'yaml',
    MTR_EXPIRING_WITHIN: '48h',
    MTR_WINDOW: 'daily 01:00-05:00 UTC',
  };
  const c = ok(['--max-nodes=2'], env);
  assert.equal(c.namespace, 'from-env');
  assert.equal(c.maxNodes, 2);
  assert.equal(c.mode, 'server-dry-run');
  assert.equal(c.allowLocalStorage, true);
  assert.equal(c.output, 'yaml');
  assert.equal(c.expiringWithinMs, 48 * 3_600_000);
  assert.equal(c.window?.startMinute, 60);
  assert.equal(ok(['--allow-local-storage=false'], env).allowLocalStorage, false);
  assert.equal(ok([], { ...env, MTR_ALLOW_LOCAL_STORAGE: 'no' }).allowLocalStorage, false);
  assert.equal(ok([], { MTR_NAMESPACE: '' }).namespace, DEFAULTS.namespace, 'an empty variable counts as unset');
  assert.equal(envName('server-dry-run'), 'MTR_SERVER_DRY_RUN');
});

test('booleans in the environment accept true/false/1/0/yes/no and nothing else', () => {
  for (const [text, want] of [['true', true], ['TRUE', true], ['1', true], ['yes', true], ['false', false], ['0',
    false], ['no', false]] as const) {
    assert.equal(ok([], { MTR_ALLOW_LOCAL_STORAGE: text }).allowLocalStorage, want, text);
  }
  const [p] = problems([], { MTR_ALLOW_LOCAL_STORAGE: 'maybe' });
  assert.equal(p?.source, 'MTR_ALLOW_LOCAL_STORAGE');
  assert.equal(p?.value, 'maybe');
  assert.match(p?.fix ?? '', /true, false, 1, 0, yes or no/);
});

test('the run mode: --execute, --server-dry-run, both, and --yes', () => {
  assert.equal(ok(['--server-dry-run']).mode, 'server-dry-run');
  assert.equal(ok(['--server-dry-run', '--yes']).yes, true);
  const both = problems(['--execute', '--server-dry-run']);
  assert.equal(both.length, 1);
  assert.match(both[0]?.message ?? '', /--execute and --server-dry-run were both given/);
  const bothEnv = problems(['--execute'], { MTR_SERVER_DRY_RUN: 'true' });
  assert.match(bothEnv[0]?.message ?? '', /MTR_SERVER_DRY_RUN/);
  const yes = problems(['-y']);
  assert.equal(yes[0]?.source, '--yes');
  assert.match(yes[0]?.fix ?? '', /add --execute/);
  assert.equal(problems([], { MTR_YES: 'true' })[0]?.source, 'MTR_YES');
});

test('in-cluster is detected, and contradictions are reported', () => {
  assert.equal(ok([], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).inCluster, true);
  assert.equal(ok([], { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBECONFIG: '/k' }).inCluster, false);
  assert.equal(ok(['--kubeconfig', '/k'], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).inCluster, false);
  assert.equal(ok([], { KUBERNETES_SERVICE_HOST: '10.96.0.1', MTR_KUBECONFIG: '/k' }).inCluster, false);
  assert.equal(ok(['--in-cluster']).inCluster, true);
  assert.equal(ok(['--in-cluster=false'], { KUBERNETES_SERVICE_HOST: '10.96.0.1' }).inCluster, false);
  const both = problems(['--in-cluster', '--kubeconfig', '/k']);
  assert.equal(both.length, 1);
  assert.equal(both[0]?.source, '--in-cluster');
  assert.match(both[0]?.message ?? '', /--in-cluster and --kubeconfig contradict/);
  const context = problems(['--context', 'prod'], { KUBERNETES_SERVICE_HOST: '10.96.0.1' });
  assert.equal(context[0]?.source, '--context');
  assert.match(context[0]?.message ?? '', /in-cluster/);
});

test('numbers, sizes and durations are range-checked', () => {
  const cases: [string[], string, RegExp][] = [
    [['--concurrency', '0'], '--concurrency', /from 1 to 256 but is 0/],
    [['--concurrency', '257'], '--concurrency', /from 1 to 256 but is 257/],
    [['--concurrency', '2.5'], '--concurrency', /whole number/],
    [['--concurrency=-1'], '--concurrency', /whole number/],
    [['--max-nodes', '0'], '--max-nodes', /at least 1/],
    [['--max-nodes', 'ten'], '--max-nodes', /whole number at least 1 but is "ten"/],
    [['--history', '201'], '--history', /from 1 to 200/],
    [['--read-timeout', '10'], '--read-timeout', /no unit/],
    [['--read-timeout', '0s'], '--read-timeout', /longer than zero/],
    [['--lease-ttl', '1y'], '--lease-ttl', /unknown unit "y"/],
    [['--max-file-size', '64KB'], '--max-file-size', /1 byte to 16Mi but is "64KB"/],
    [['--max-file-size', '17Mi'], '--max-file-size', /16Mi/],
    [['--max-file-size', '0'], '--max-file-size', /16Mi/],
  ];
  for (const [argv, source, message] of cases) {
    const [p, ...rest] = problems(argv);
    assert.equal(rest.length, 0, JSON.stringify(argv));
    assert.equal(p?.source, source, JSON.stringify(argv));
    assert.match(p?.message ?? '', message, JSON.stringify(argv));
    assert.ok((p?.fix ?? '') !== '', 'has a fix');
  }
  assert.equal(ok(['--expiring-within', '0s']).expiringWithinMs, 0, 'zero: judge only expired tokens');
  assert.equal(ok(['--max-file-size', '65536']).maxFileBytes, 65536);
  assert.equal(ok(['--max-file-size', '64Ki']).maxFileBytes, 65536);
});

test('parseByteSize reads plain integers and Kubernetes quantities', () => {
  assert.equal(parseByteSize('100'), 100);
  assert.equal(parseByteSize('64Ki'), 65536);
  assert.equal(parseByteSize('1Mi'), 1048576);
  assert.equal(parseByteSize('2k'), 2000);
  assert.equal(parseByteSize('1Gi'), 1073741824);
  assert.equal(parseByteSize('1.5Mi'), undefined);
  assert.equal(parseByteSize('Mi'), undefined);
  assert.equal(parseByteSize('1mi'), undefined);
});

test('the step timeout must be shorter than the deadline', () => {
  const [p, ...rest] = problems(['--step-timeout', '1h', '--deadline', '30m']);
  assert.equal(rest.length, 0);
  assert.equal(p?.source, '--step-timeout');
  assert.match(p?.message ?? '', /step timeout \(1h\) must be shorter than the deadline \(30m\)/);
  assert.equal(problems(['--deadline', '5m'])[0]?.source, '--deadline');
  assert.equal(ok(['--step-timeout', '4m', '--deadline', '5m']).stepTimeoutMs, 240_000);
});

test('names, choices, selectors, windows and URLs are validated', () => {
  const cases: [string[], string, RegExp][] = [
    [['-n', 'Kube_System'], '--namespace', /DNS-1123 label/],
    [['--lease-namespace', 'a'.repeat(64)], '--lease-namespace', /DNS-1123 label/],
    [['--summary-namespace', 'x.y'], '--summary-namespace', /DNS-1123 label/],
    [['--summary-name', 'Bad_Name'], '--summary-name', /DNS-1123 subdomain/],
    [['--lease-name=-lock'], '--lease-name', /DNS-1123 subdomain/],
    [['--container', 'Kube Multus'], '--container', /DNS-1123 label/],
    [['--kubeconfig-path', 'relative/path'], '--kubeconfig-path', /absolute path/],
    [['--dependents', 'some'], '--dependents', /one of secondary-networks, all, none but is "some"/],
    [['--on-failure', 'retry'], '--on-failure', /one of stop, continue/],
    [['-o', 'xml'], '--output', /one of table, json, yaml/],
    [['-l', 'app in ('], '--selector', /label selector "app in \(" is invalid/],
    [['--opt-out-annotation', 'bad key'], '--opt-out-annotation', /not a valid annotation key/],
    [['--window', 'Mon 10:00-12:00 Nowhere/City'], '--window', /time zone "Nowhere\/City"/],
    [['--pushgateway', 'ftp://push:21'], '--pushgateway', /http or https URL but uses "ftp:"/],
    [['--pushgateway', 'http://exa mple:9091'], '--pushgateway', /not a URL/],
    [['--pushgateway', 'pushgateway:9091'], '--pushgateway', /must start with http:\/\/ or https:\/\//],
    [['--reader-image', 'busy box'], '--reader-image', /without spaces/],
    [['--reader-image', 'busybox:1.37'], '--reader-image', /pinned by digest/],
    [['--reader-image', 'busybox@sha256:abc'], '--reader-image', /pinned by digest/],
    [['--namespace='], '--namespace', /is empty/],
  ];
  for (const [argv, source, message] of cases) {
    const found = problems(argv);
    assert.equal(found.length, 1, `${JSON.stringify(argv)}: ${JSON.stringify(found)}`);
    assert.equal(found[0]?.source, source, JSON.stringify(argv));
    assert.equal(found[0]?.value, argv.length === 1 ? argv[0]?.split('=')[1] : argv[1]);
    assert.match(found[0]?.message ?? '', message, JSON.stringify(argv));
  }
});

test('unknown flags, stray arguments, missing values and unknown MTR_ variables are each reported', () => {
  const found = problems(['--max-node', '3', '-x', 'stray', '--namespace'], { MTR_MAXNODES: '5', OTHER: 'ignored' });
  const sources = found.map((p) => p.source);
  assert.deepEqual(sources.sort(),
    ['--max-node', '--namespace', '-x', 'MTR_MAXNODES', 'arguments', 'arguments'].sort());
  const byFlag = found.find((p) => p.source === '--max-node');
  assert.match(byFlag?.fix ?? '', /did you mean --max-nodes\?/);
  assert.match(found.find((p) => p.source === 'MTR_MAXNODES')?.fix ?? '', /MTR_MAX_NODES/);
  assert.match(found.find((p) => p.source === '--namespace')?.message ?? '', /needs a value/);
});

test('a string flag followed by another flag is a missing value, not a value', () => {
  const [p] = problems(['--namespace', '--execute']);
  assert.equal(p?.source, '--namespace');
  assert.match(p?.message ?? '', /followed by the flag --execute instead of a value/);
  assert.equal(ok(['--selector=!legacy']).selector, '!legacy', 'an inline value is taken as given');
});

test('all problems are collected at once', () => {
  const found = problems(['--concurrency', '0', '--max-nodes', '0', '-o', 'xml', '--execute', '--server-dry-run']);
  assert.equal(found.length, 4);
});

test('--help wins over problems and returns a default config', () => {
  const r = parseConfig(['--help', '--bogus', '--max-nodes', '0'], {}, ctx);
  assert.ok(r.ok);
  assert.equal(r.help, true);
  assert.equal(r.config.maxNodes, DEFAULTS.maxNodes);
  const h = parseConfig(['-h'], {}, ctx);
  assert.ok(h.ok && h.help);
  const env = parseConfig([], { MTR_HELP: 'true' }, ctx);
  assert.equal(env.ok, false, 'help is not read from the environment');
});

test('the result is frozen, the window too', () => {
  const c = ok(['--window', 'Sat 00:00-24:00 UTC']);
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.window));
  assert.ok(Object.isFrozen(c.window?.days));
  assert.throws(() => {
    (c as Config).maxNodes = 99;
  }, TypeError);
});

test('an invalid job namespace is reported when it would be used', () => {
  const r = parseConfig([], {}, { defaultNamespace: 'Not Valid' });
  assert.equal(r.ok, false);
  assert.equal(
    ok_(parseConfig(['--summary-namespace', 'a', '--lease-namespace', 'b'], {}, { defaultNamespace: 'Not Valid' })),
    true,
  );
});
function ok_(r: { ok: boolean }): boolean {
  return r.ok;
}

test('usage lists every flag with its variable and default, and the exit-codes placeholder', () => {
  const text = usage();
  for (const flag of ['execute', 'server-dry-run', 'yes', 'namespace', 'selector', 'container', 'kubeconfig-path',
    'kubeconfig', 'context', 'in-cluster', 'concurrency', 'read-timeout', 'max-file-size', 'reader-image',
    'expiring-within', 'max-nodes', 'dependents', 'allow-local-storage', 'opt-out-annotation', 'step-timeout',
    'deadline', 'on-failure', 'window', 'lease-name', 'lease-namespace', 'lease-ttl', 'output', 'summary-namespace',
    'summary-name', 'history', 'pushgateway', 'help']) {
    const line = text.split('\n').find((l) => new RegExp(`^  (-[a-z], )?\\s*--${flag}(?![-\\w])`).test(l));
    assert.ok(line !== undefined, `--${flag} is listed`);
    assert.match(line, /\(default: [^)]+\)/, `--${flag} shows its default`);
    if (flag !== 'help') assert.ok(line.includes(envName(flag)), `--${flag} shows ${envName(flag)}`);
  }
  assert.match(text, /-n, --namespace NS\s+MTR_NAMESPACE .*\(default: kube-system\)/);
  assert.doesNotMatch(text, /EXIT CODES/, 'the entry point appends the exit codes from report/exit-codes.ts');
});

test('MTR_SERVICE_ACCOUNT_ROOT is read into the config, not reported as unknown', () => {
  const r = parseConfig([], { MTR_SERVICE_ACCOUNT_ROOT: '/tmp/sa', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, {
    defaultNamespace: 'ops',
  });
  assert.ok(r.ok);
  assert.equal(r.config.serviceAccountRoot, '/tmp/sa');
  assert.equal(r.config.inCluster, true);
});

test('--restart-kinds lists controller kinds; anything that is not a kind is a problem', () => {
  const ok = parseConfig(['--restart-kinds', 'ReplicaSet, StatefulSet,VirtualMachineInstance'], {}, {
    defaultNamespace: 'ops',
  });
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.restartKinds, ['ReplicaSet', 'StatefulSet', 'VirtualMachineInstance']);
  const bad = parseConfig([], { MTR_RESTART_KINDS: 'replicaset,Job/x' }, { defaultNamespace: 'ops' });
  assert.ok(!bad.ok);
  assert.match(bad.problems[0]?.message ?? '', /"replicaset", "Job\/x"/);
});
