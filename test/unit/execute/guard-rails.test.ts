// The fail-closed judgement: the answers the API server gave the guard-rail probes in, one verdict out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GuardRailProbes, PolicyFacts } from '../../../scripts/cluster/guard-rail-probes.ts';
import { judgeGuardRails } from '../../../scripts/execute/guard-rails.ts';

const target = { pod: { namespace: 'kube-system', name: 'kube-multus-ds-x7k2p', uid: 'u1', node: 'n1' },
  container: 'kube-multus', kubeconfigPath: '/host/etc/cni/net.d/multus.d/multus.kubeconfig',
  hostDir: '/etc/cni/net.d/multus.d', readerImage: 'busybox@sha256:0', readTimeoutMs: 15_000 };
const ctx = { jobNamespace: 'platform', target };
const present = (paramNamespace = 'platform'): PolicyFacts => ({ policy: { state: 'present' },
  binding: { state: 'present', paramRef: { name: 'multus-token-rotator-layout', namespace: paramNamespace } } });
const byPolicy = (name: string, msg: string) => ({ outcome: 'refused' as const, status: 403,
  message:
    `pods "x" is forbidden: ValidatingAdmissionPolicy '${name}' with binding '${name}' denied request: ${msg}` });
const inForce = (): GuardRailProbes => ({
  hostRootPod: byPolicy('multus-token-rotator', 'reader pod: one volume'),
  foreignExec: byPolicy('multus-token-rotator-exec', 'exec: only cat'),
  multusDelete: { outcome: 'allowed' },
  readerPod: { outcome: 'allowed' },
  policies: { 'multus-token-rotator': present(), 'multus-token-rotator-delete': present(),
    'multus-token-rotator-exec': present() },
});
const reason = (p: GuardRailProbes) => {
  const v = judgeGuardRails(p, ctx);
  return v.ok ? 'ok' : v.reason;
};

test('every guard rail in force: act', () => {
  assert.equal(reason(inForce()), 'ok');
  // RBAC refusing the forbidden shapes is as good as the policy refusing them.
  const p = inForce();
  p.foreignExec = { outcome: 'refused', status: 403, message: 'User "x" cannot create resource "pods/exec"' };
  assert.equal(reason(p), 'ok');
});

test('a host-root pod admitted: the line names the missing piece and the rbac.yaml value that fixes it', () => {
  const cases: [string, (p: GuardRailProbes) => void, RegExp][] = [
    ['no policy API (before 1.30)', (p) => {
      p.policies['multus-token-rotator'].policy = { state: 'no-api' };
    }, /does not serve ValidatingAdmissionPolicy .*Kubernetes 1\.30 or newer/],
    ['the policy absent', (p) => {
      p.policies['multus-token-rotator'].policy = { state: 'absent' };
    }, /ValidatingAdmissionPolicy multus-token-rotator does not exist: apply rbac\.yaml/],
    ['the binding absent', (p) => {
      p.policies['multus-token-rotator'].binding = { state: 'absent' };
    }, /ValidatingAdmissionPolicyBinding multus-token-rotator does not exist: apply rbac\.yaml/],
    ['the binding reading another namespace', (p) => {
      p.policies['multus-token-rotator'] = present('multus-token-rotator');
    },
      /reads its parameters from multus-token-rotator\/multus-token-rotator-layout, not from ConfigMap platform\/multus-token-rotator-layout: set its paramRef\.namespace to platform/],
    ['all there but not applied', (p) => {
      void p;
    }, /exist but did not apply: check that ConfigMap platform\/multus-token-rotator-layout exists/],
  ];
  for (const [what, change, expected] of cases) {
    const p = inForce();
    p.hostRootPod = { outcome: 'allowed' };
    change(p);
    const r = reason(p);
    assert.match(r, /^guard rails not in force: a pod mounting the host's root in kube-system was admitted/, what);
    assert.match(r, expected, what);
    assert.ok(!r.includes('\n'), 'one line');
  }
});

test('a foreign exec admitted (400 "Upgrade request required" means admitted): named by the exec policy', () => {
  const p = inForce();
  p.foreignExec = { outcome: 'allowed' };
  p.policies['multus-token-rotator-exec'].binding = { state: 'absent' };
  assert.match(reason(p),
    /an exec of "cat \/etc\/hostname" into the Multus pod kube-system\/kube-multus-ds-x7k2p was admitted.*ValidatingAdmissionPolicyBinding multus-token-rotator-exec does not exist/);
});

test('the delete or the reader pod refused: by RBAC (the Role) or by a policy (the layout value)', () => {
  let p = inForce();
  p.multusDelete = byPolicy('multus-token-rotator-delete', 'this service account may only delete Multus pods');
  assert.match(reason(p),
    /deleting the Multus pod kube-system\/kube-multus-ds-x7k2p is refused .*: name its DaemonSet in MTR_DAEMONSETS of ConfigMap platform\/multus-token-rotator-layout/);
  p = inForce();
  p.multusDelete = { outcome: 'refused', status: 403, message: 'User "x" cannot delete resource "pods"' };
  assert.match(reason(p),
    /RBAC does not let this service account delete pods in kube-system: the Role and RoleBinding marked "Multus namespace"/);
  p = inForce();
  p.readerPod = byPolicy('multus-token-rotator', 'reader pod: one volume, the hostPath MTR_HOST_DIR');
  assert.match(reason(p),
    /the reader pod for node n1 is refused .*MTR_HOST_DIR.*: make MTR_HOST_DIR, MTR_KUBECONFIG_PATH and MTR_READER_IMAGE/);
});

test('an answer that proves nothing fails closed', () => {
  const p = inForce();
  p.hostRootPod = { outcome: 'error', status: 500, message: 'etcdserver: request timed out' };
  assert.match(reason(p), /could not prove that a pod mounting the host's root in kube-system is refused \(etcdserver/);
});
