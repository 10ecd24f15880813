// The reader pod the job creates and the admission policy in rbac.yaml that admits only that shape must agree on
// every pinned value: the image (by digest), the path read, the host directory, the names. The policy reads them from
// the layout ConfigMap (test/unit/manifests/layout.test.ts checks the layout against the job's defaults). The e2e test
// (least-privilege.test.ts) sends the pod itself to the API server; this catches a drift before a cluster is needed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { READER_CONTAINER, readerDeadlineSeconds, readerMount, readerPod,
  readerPodName } from '../../../scripts/cluster/reader-pod.ts';

/** The names rbac.yaml's reader-pod policy admits. */
const READER_NAME = /^mtr-reader-[0-9a-f]{8}$/;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const docs = YAML.parseAllDocuments(readFileSync(path.join(root, 'rbac.yaml'), 'utf8')).map((d) =>
  d.toJSON() as {
    kind: string;
    metadata: { name: string };
    spec: { validations?: { expression: string }[] };
  }
);
const layout = (docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'multus-token-rotator-layout') as {
  data?: Record<string, string>;
} | undefined)?.data ?? {};
const policy = (name: string) => {
  const p = docs.find((d) => d.kind === 'ValidatingAdmissionPolicy' && d.metadata.name === name);
  assert.ok(p, `policy ${name} in rbac.yaml`);
  return (p.spec.validations ?? []).map((v) => v.expression).join('\n');
};
// The upstream Multus DaemonSet's volume (local-cluster/manifests/multus.yaml has the same shape).
const input = { namespace: 'kube-system', node: 'n1', image: DEFAULTS.readerImage, hostPath: '/etc/cni/net.d',
  mountPath: '/host/etc/cni/net.d', filePath: DEFAULTS.kubeconfigPath, timeoutMs: DEFAULTS.readTimeoutMs };

test('the create policy pins the reader image, the host directory and the mount the job uses (from the layout)', () => {
  const create = policy('multus-token-rotator');
  const pod = readerPod(input, 'mtr-reader-0123abcd');
  const c = pod.spec?.containers[0];
  assert.match(DEFAULTS.readerImage, /@sha256:[0-9a-f]{64}$/);
  assert.equal(layout.MTR_READER_IMAGE, c?.image, 'the layout admits the default reader image');
  assert.ok(create.includes('object.spec.containers[0].image == params.data.MTR_READER_IMAGE'));
  assert.equal(layout.MTR_HOST_DIR, pod.spec?.volumes?.[0]?.hostPath?.path, 'the layout admits the host directory');
  assert.ok(create.includes("hostPath.?path.orValue('') == params.data.MTR_HOST_DIR"));
  assert.equal(path.posix.dirname(layout.MTR_KUBECONFIG_PATH ?? ''), c?.volumeMounts?.[0]?.mountPath,
    "the mount is the directory of the layout's kubeconfig path");
  assert.equal(pod.spec?.volumes?.[0]?.hostPath?.path, '/etc/cni/net.d/multus.d', 'only the directory of the file');
  assert.deepEqual(c?.command, ['sleep', String(pod.spec?.activeDeadlineSeconds)]);
  assert.ok((pod.spec?.activeDeadlineSeconds ?? 0) <= 300, "within the policy's deadline cap");
  assert.equal(pod.spec?.hostNetwork, true);
  assert.equal(pod.spec?.automountServiceAccountToken, false);
  assert.deepEqual(pod.spec?.tolerations, [{ operator: 'Exists' }]);
  assert.deepEqual(c?.securityContext?.capabilities, { drop: ['ALL'] });
  assert.equal(c?.volumeMounts?.[0]?.readOnly, true);
  assert.match(readerPodName(), READER_NAME);
  assert.ok(create.includes(`'${READER_NAME.source}'`), 'the policy admits the names the job gives its reader pods');
});

test('the exec policy pins the exact path and the containers the job execs into (from the layout)', () => {
  const exec = policy('multus-token-rotator-exec');
  assert.ok(exec.includes("['cat', string(params.data.MTR_KUBECONFIG_PATH)]"), 'exactly cat of the configured path');
  assert.equal(layout.MTR_KUBECONFIG_PATH, DEFAULTS.kubeconfigPath);
  assert.ok(!exec.includes('endsWith'), 'no suffix match');
  assert.ok(exec.includes('params.data.MTR_CONTAINER') && exec.includes(`'${READER_CONTAINER}'`));
  assert.equal(layout.MTR_CONTAINER, DEFAULTS.container);
});

test('the deadline is bounded and the mount refuses a path outside the Multus mount', () => {
  assert.equal(readerDeadlineSeconds(1), 30);
  assert.equal(readerDeadlineSeconds(15_000), 60);
  assert.equal(readerDeadlineSeconds(3_600_000), 300);
  assert.deepEqual(readerMount(input), { hostDir: '/etc/cni/net.d/multus.d',
    mountDir: '/host/etc/cni/net.d/multus.d' });
  assert.throws(() => readerMount({ ...input, filePath: '/etc/shadow' }), /not under/);
});
