// rbac.yaml and cronjob.yaml read as data: the Multus layout is configured once (the ConfigMap
// multus-token-rotator-layout), drives the job (envFrom) and the admission policies (paramKind), and agrees with the
// job's own defaults; the CronJob's deadlines leave the run time to finish. The e2e test
// (test/e2e/reliability/least-privilege.test.ts) sends real requests through these policies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { envName, FLAGS } from '../../../scripts/config/flag-table.ts';
import { parseConfig } from '../support/parse-config.ts';
import { parseDuration } from '../../../scripts/shared/durations.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
type Doc = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
const load = (file: string): Doc[] =>
  YAML.parseAllDocuments(readFileSync(path.join(root, file), 'utf8')).map((d) => d.toJSON() as Doc)
    .filter((d) => d !== null);
const rbac = load('rbac.yaml');
const cron = load('cronjob.yaml');
const find = (docs: Doc[], kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(d, `${kind} ${name}`);
  return d;
};
const layout = find(rbac, 'ConfigMap', 'multus-token-rotator-layout') as Doc & { data: Record<string, string> };
const POLICIES = ['multus-token-rotator', 'multus-token-rotator-delete', 'multus-token-rotator-exec'];
type Policy = Doc & {
  spec: { paramKind?: { kind: string }; matchConditions?: { expression: string }[];
    validations: { expression: string; message?: string }[] };
};
type Binding = Doc & {
  spec: { policyName: string; paramRef?: { name: string; namespace: string; parameterNotFoundAction: string } };
};
type CronJob = Doc & { spec: { jobTemplate: { spec: { activeDeadlineSeconds: number; template: { spec: {
  nodeSelector?: Record<string, string>;
  priorityClassName?: string;
  terminationGracePeriodSeconds?: number;
  containers: { env?: { name: string; value?: string }[]; envFrom?: { configMapRef?: { name: string } }[] }[];
} } } } } };
const cronjob = find(cron, 'CronJob', 'multus-token-rotator') as CronJob;
const podSpec = cronjob.spec.jobTemplate.spec.template.spec;

test("the layout's keys are the job's own variables, and its values are the job's defaults", () => {
  const known = new Set(FLAGS.map((f) => envName(f.flag)));
  for (const key of Object.keys(layout.data)) assert.ok(known.has(key), `${key} is a flag's variable`);
  const r = parseConfig([], layout.data, { defaultNamespace: 'multus-token-rotator' });
  assert.ok(r.ok, JSON.stringify(r.ok ? '' : r.problems));
  const c = r.config;
  assert.deepEqual({ namespace: c.namespace, selector: c.selector, daemonsets: c.daemonsets, container: c.container,
    kubeconfigPath: c.kubeconfigPath, hostDir: c.hostDir, readerImage: c.readerImage }, {
    namespace: DEFAULTS.namespace,
    selector: DEFAULTS.selector,
    daemonsets: DEFAULTS.daemonsets,
    container: DEFAULTS.container,
    kubeconfigPath: DEFAULTS.kubeconfigPath,
    hostDir: DEFAULTS.hostDir,
    readerImage: DEFAULTS.readerImage,
  });
  // The host directory is the kubeconfig's directory under the DaemonSet's mount (local-cluster/manifests/multus.yaml
  // mounts /etc/cni/net.d at /host/etc/cni/net.d, as upstream does).
  assert.equal(path.posix.dirname(DEFAULTS.kubeconfigPath).replace(/^\/host/, ''), DEFAULTS.hostDir);
});

test('the CronJob takes its layout from that ConfigMap and sets none of its keys itself', () => {
  const c = podSpec.containers[0];
  assert.deepEqual(c?.envFrom, [{ configMapRef: { name: layout.metadata.name } }]);
  const own = (c?.env ?? []).map((e) => e.name).filter((n) => n in layout.data);
  assert.deepEqual(own, [], 'an env entry would override the layout for the job but not for the policies');
});

test('each policy reads the layout through its binding, and matches the service account of its namespace', () => {
  for (const name of POLICIES) {
    const p = find(rbac, 'ValidatingAdmissionPolicy', name) as Policy;
    const b = find(rbac, 'ValidatingAdmissionPolicyBinding', name) as Binding;
    assert.equal(p.spec.paramKind?.kind, 'ConfigMap', name);
    assert.deepEqual(b.spec.paramRef, { name: layout.metadata.name, namespace: layout.metadata.namespace,
      parameterNotFoundAction: 'Allow' }, `${name}: Deny would refuse every pod in the cluster without the ConfigMap`);
    const text = JSON.stringify(p.spec);
    assert.ok(!text.includes('system:serviceaccount:multus-token-rotator:'), `${name}: no namespace literal`);
    assert.match(p.spec.matchConditions?.[0]?.expression ?? '', /params\.metadata\.namespace/);
    assert.equal(p.spec.validations[0]?.expression, 'request.namespace == params.data.MTR_NAMESPACE');
    for (const [, key] of text.matchAll(/params\.data\.([A-Z_]+)/g)) {
      assert.ok(key && key in layout.data, `${name} reads ${key}, which the layout has`);
    }
    for (const literal of [DEFAULTS.readerImage, DEFAULTS.kubeconfigPath, DEFAULTS.hostDir, "'kube-multus'"]) {
      assert.ok(!text.includes(literal), `${name}: ${literal} comes from the layout, not a literal`);
    }
  }
});

test('the job namespace policy follows the namespace by its label, not its name', () => {
  const ns = find(rbac, 'Namespace', 'multus-token-rotator') as Doc & { metadata: { labels: Record<string, string> } };
  const p = find(rbac, 'ValidatingAdmissionPolicy', 'multus-token-rotator-namespace') as Doc & {
    spec: { matchConstraints: { namespaceSelector: { matchLabels: Record<string, string> } } };
  };
  const sel = p.spec.matchConstraints.namespaceSelector.matchLabels;
  assert.ok(!('kubernetes.io/metadata.name' in sel));
  for (const [k, v] of Object.entries(sel)) assert.equal(ns.metadata.labels[k], v);
});

test('the CronJob on real clusters: Linux nodes, its own priority below the system classes, time to finish', () => {
  assert.deepEqual(podSpec.nodeSelector, { 'kubernetes.io/os': 'linux' });
  const pc = find(rbac, 'PriorityClass', podSpec.priorityClassName ?? '') as Doc & { value: number };
  assert.ok(pc.value > 0 && pc.value <= 1_000_000_000, 'a user-defined class, below system-cluster-critical');
  const env = Object.fromEntries((podSpec.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']));
  const parsed = parseDuration(env.MTR_DEADLINE ?? '');
  const deadlineMs = parsed.ok ? parsed.value : NaN;
  const activeMs = cronjob.spec.jobTemplate.spec.activeDeadlineSeconds * 1000;
  // Every wait ends by MTR_DEADLINE; then the summary (one retry budget, 60 s) and the pod's start must fit.
  assert.ok(activeMs - deadlineMs >= 2 * 60_000, `activeDeadlineSeconds leaves ${(activeMs - deadlineMs) / 1000} s`);
  assert.ok((podSpec.terminationGracePeriodSeconds ?? 30) >= 60, 'SIGTERM leaves time to write the summary');
});
