// The scan's two steps (findMultusPods, then readNodes) against an in-memory ClusterReader: a DaemonSet rollout with maxSurge leaves two Multus pods on a node.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { ClusterReader } from '../../../scripts/cluster/cluster-reader.ts';
import { findMultusPods, outsideLayout, readNodes, type ScanConfig } from '../../../scripts/scan/scan-nodes.ts';
import { classifyNode } from '../../../scripts/classify/classify-node.ts';
import { planOf } from '../fixtures.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const NOW = Date.parse('2026-11-27T00:00:00Z');
const NOW_S = NOW / 1000;
const PATH = '/host/etc/cni/net.d/multus.d/multus.kubeconfig';
const cfg: ScanConfig = { namespace: 'kube-system', selector: 'app=multus', container: 'kube-multus',
  kubeconfigPath: PATH, concurrency: 4, readTimeoutMs: 1000, maxFileBytes: 65536, readerImage: 'busybox',
  rereadEveryMs: 3600_000, expiringWithinMs: 24 * 3600_000, daemonsets: ['kube-multus-ds'],
  hostDir: '/etc/cni/net.d/multus.d' };

/** The scan as a run makes it: the Multus pods found, then their files read. */
const scanNodes = async (r: ClusterReader, c: ScanConfig, emit: Parameters<typeof readNodes>[3]) =>
  readNodes(r, c, await findMultusPods(r, c, emit), emit);

let key: CryptoKey;
let jwks: { keys: JWK[] };
before(async () => {
  const kp = await generateKeyPair('ES256', { extractable: true });
  key = kp.privateKey;
  jwks = { keys: [{ ...(await exportJWK(kp.publicKey)), kid: 'k', alg: 'ES256', use: 'sig' }] };
});

function multusPod(name: string, uid: string, createdAt: number, ready = true): V1Pod {
  return {
    metadata: { name, uid, namespace: 'kube-system', creationTimestamp: new Date(createdAt), labels: { app: 'multus' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-multus-ds', uid: 'ds-1',
        controller: true }] },
    spec: { nodeName: 'node-a', serviceAccountName: 'multus',
      containers: [{ name: 'kube-multus', image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v3.9.3',
        command: ['/entrypoint.sh'], args: ['--multus-conf-file=auto'] }] },
    status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

async function tokenFor(pod: V1Pod, expInS: number): Promise<string> {
  return new SignJWT({ aud: [ISSUER], sub: 'system:serviceaccount:kube-system:multus', 'kubernetes.io': {
    namespace: 'kube-system',
    serviceaccount: { name: 'multus', uid: 'sa-1' },
    pod: { name: pod.metadata?.name, uid: pod.metadata?.uid },
    warnafter: NOW_S - 86400 + 3607,
  } })
    .setProtectedHeader({ alg: 'ES256', kid: 'k' }).setIssuer(ISSUER).setIssuedAt(NOW_S - 86400)
    .setExpirationTime(NOW_S + expInS).sign(key);
}

function reader(pods: V1Pod[], file: string, reads: string[]): ClusterReader {
  const text =
    `apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://10.0.0.1:443\n` +
    `users:\n- name: multus\n  user:\n    token: "${file}"\ncontexts:\n- name: multus-context\n  context:\n` +
    `    cluster: local\n    user: multus\ncurrent-context: multus-context\n`;
  const live = (uid: string | undefined) => pods.some((p) => p.metadata?.uid === uid);
  return {
    listPods: async () => pods,
    listNodes:
      async () => [{ metadata: { name: 'node-a', uid: 'node-a-uid' },
        status: { conditions: [{ type: 'Ready', status: 'True' }] } }],
    listPdbs: async () => [],
    execRead: async (o) => {
      reads.push(o.pod);
      const pod = pods.find((p) => p.metadata?.name === o.pod);
      return pod && pod.status?.phase === 'Running' ? { ok: true, bytes: Buffer.from(text) }
        : { ok: false, kind: 'failed', reason: `container not running in ${o.pod}` };
    },
    readViaReaderPod: async () => ({ ok: true, bytes: Buffer.from(text) }),
    jwks: async () => jwks,
    issuer: async () => ISSUER,
    review: async (token) => {
      const uid = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
        'kubernetes.io': { pod: { uid: string } };
      })['kubernetes.io'].pod.uid;
      return live(uid) ? { status: 'authenticated', username: 'system:serviceaccount:kube-system:multus' }
        : { status: 'rejected', reason: 'the pod is gone' };
    },
    serviceAccountUid: async () => 'sa-1',
  };
}

const plan = async (r: ClusterReader) => {
  const scanned = await scanNodes(r, cfg, () => undefined);
  const findings = scanned.nodes.map((n) => classifyNode(n, { now: NOW, expiringWithinMs: 86_400_000 }));
  return { scanned, findings,
    plan: planOf({ findings, pods: [], pdbs: [], nodes: scanned.context.nodeFacts,
      multusPods: scanned.nodes.map((n) => n.multusPod), now: NOW,
      config: { maxNodes: 10, dependents: 'secondary-networks', allowLocalStorage: false,
        optOutAnnotation: 'multus-token-rotator.io/skip', restartKinds: ['ReplicaSet', 'StatefulSet'],
        expiringWithinMs: 86_400_000, scheduleIntervalMs: 3_600_000 } }) };
};

test('maxSurge rollout, the new pod still starting: the file is judged against the old pod that wrote it', async () => {
  const old = multusPod('kube-multus-ds-old', 'uid-old', NOW - 30 * 86400_000);
  const surge = multusPod('kube-multus-ds-new', 'uid-new', NOW - 5_000, false);
  const reads: string[] = [];
  const r = await plan(reader([surge, old], await tokenFor(old, 300 * 86400), reads));
  assert.equal(r.findings[0]?.class, 'healthy', r.findings[0]?.reason);
  assert.equal(r.findings[0]?.multusPod.uid, 'uid-old');
  assert.deepEqual(r.plan.steps, [], 'nothing to do: the rollout brings its own token');
  assert.deepEqual(reads, ['kube-multus-ds-old'], 'read through the Ready pod');
  assert.match(r.scanned.warnings.join('\n'),
    /2 Multus pods .*judged against kube-multus-ds-old.*kube-multus-ds-new is not restarted/);
});

test("maxSurge rollout, the old pod's token expiring: the plan restarts the old pod, never the new one", async () => {
  const old = multusPod('kube-multus-ds-old', 'uid-old', NOW - 30 * 86400_000);
  const surge = multusPod('kube-multus-ds-new', 'uid-new', NOW - 5_000);
  const r = await plan(reader([old, surge], await tokenFor(old, 3600), []));
  assert.equal(r.findings[0]?.class, 'expiring', r.findings[0]?.reason);
  assert.deepEqual(r.plan.steps.map((s) => s.multusPod.uid), ['uid-old']);
});

test('maxSurge rollout, the new pod wrote the file: judged against the new pod, healthy', async () => {
  const old = multusPod('kube-multus-ds-old', 'uid-old', NOW - 30 * 86400_000);
  const surge = multusPod('kube-multus-ds-new', 'uid-new', NOW - 5_000);
  const r = await plan(reader([old, surge], await tokenFor(surge, 365 * 86400), []));
  assert.equal(r.findings[0]?.class, 'healthy', r.findings[0]?.reason);
  assert.equal(r.findings[0]?.multusPod.uid, 'uid-new');
});

test('maxSurge rollout, a token bound to neither pod: judged against the oldest, the new pod is not planned', async () => {
  const old = multusPod('kube-multus-ds-old', 'uid-old', NOW - 30 * 86400_000);
  const surge = multusPod('kube-multus-ds-new', 'uid-new', NOW - 5_000);
  const gone = multusPod('kube-multus-ds-gone', 'uid-gone', NOW - 60 * 86400_000);
  const r = await plan(reader([old, surge], await tokenFor(gone, 300 * 86400), []));
  assert.equal(r.findings[0]?.class, 'invalid', r.findings[0]?.reason);
  assert.deepEqual(r.plan.steps.map((s) => s.multusPod.uid), ['uid-old']);
});

test('a key id the JWKS lacks: the JWKS is read again, once per run, and the token verifies against the new key',
  async () => {
    const rotated = await generateKeyPair('ES256', { extractable: true });
    const newJwks = {
      keys: [...jwks.keys, { ...(await exportJWK(rotated.publicKey)), kid: 'k2', alg: 'ES256', use: 'sig' }],
    };
    const pods = [multusPod('kube-multus-ds-a', 'uid-a', NOW - 86400_000)];
    const signed = await new SignJWT({ aud: [ISSUER], sub: 'system:serviceaccount:kube-system:multus',
      'kubernetes.io': { namespace: 'kube-system', serviceaccount: { name: 'multus', uid: 'sa-1' },
        pod: { name: 'kube-multus-ds-a', uid: 'uid-a' }, warnafter: NOW_S + 3607 } })
      .setProtectedHeader({ alg: 'ES256', kid: 'k2' }).setIssuer(ISSUER).setIssuedAt(NOW_S)
      .setExpirationTime(NOW_S + 365 * 86400).sign(rotated.privateKey);
    const r = reader(pods, signed, []);
    let jwksReads = 0;
    r.jwks = async () => (++jwksReads === 1 ? jwks : newJwks); // the key rotated in after the run's first read
    const scanned = await scanNodes(r, cfg, () => undefined);
    assert.equal(scanned.nodes[0]?.content?.status === 'token' && scanned.nodes[0].content.token.signature.status,
      'valid');
    // A second token with the unknown key (a fresh one after a restart): no third read.
    await scanned.context.jwksAgain();
    assert.equal(jwksReads, 2);
    const { findings } = await plan(r);
    assert.equal(findings[0]?.class, 'healthy', findings[0]?.reason);
  });
test('a pod of a DaemonSet not in --daemonsets is not read, and the reason names MTR_DAEMONSETS', () => {
  const pod = (owner?: { kind: string; name: string }) => ({
    metadata: { name: 'kube-multus-ds-amd64-x7k2p',
      ...(owner ? { ownerReferences: [{ ...owner, apiVersion: 'apps/v1', uid: 'u', controller: true }] } : {}) },
  });
  assert.equal(outsideLayout(pod({ kind: 'DaemonSet', name: 'kube-multus-ds' }), cfg), undefined);
  assert.match(outsideLayout(pod({ kind: 'DaemonSet', name: 'kube-multus-ds-amd64' }), cfg) ?? '',
    /belongs to DaemonSet kube-multus-ds-amd64, not to one of --daemonsets \(kube-multus-ds\).*add kube-multus-ds-amd64 to MTR_DAEMONSETS/);
  assert.equal(
    outsideLayout(pod({ kind: 'DaemonSet', name: 'kube-multus-ds-amd64' }), {
      daemonsets: ['kube-multus-ds-amd64', 'kube-multus-ds-arm64'],
    }),
    undefined,
  );
  assert.equal(outsideLayout(pod(), cfg), undefined, 'a bare pod is read as before (and never restarted)');
});

test(
  "k3s's CNI directory: the reader pod mounts it only when --host-dir says so; otherwise the reason names MTR_HOST_DIR",
  async () => {
    const K3S = '/var/lib/rancher/k3s/agent/etc/cni/net.d';
    const pod = multusPod('kube-multus-ds-aaaaa', 'u-a', NOW - 3600_000, false); // not Running: exec fails
    const c = pod.spec?.containers[0];
    if (c) c.volumeMounts = [{ name: 'cni', mountPath: '/host/etc/cni/net.d' }];
    if (pod.spec) pod.spec.volumes = [{ name: 'cni', hostPath: { path: K3S } }];
    const mounted: string[] = [];
    const r = reader([pod], await tokenFor(pod, 3600), []);
    r.readViaReaderPod = async (o) => {
      mounted.push(o.hostPath);
      return { ok: false, kind: 'failed', reason: 'not in this test' };
    };
    const wrong = await scanNodes(r, cfg, () => undefined);
    assert.equal(wrong.nodes[0]?.file.status, 'unreadable');
    assert.match(wrong.nodes[0]?.file.status === 'unreadable' ? wrong.nodes[0].file.reason : '',
      /keeps the file in \/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d\/multus\.d on the host, not in --host-dir \/etc\/cni\/net\.d\/multus\.d.*set MTR_HOST_DIR to \/var\/lib\/rancher\/k3s\/agent\/etc\/cni\/net\.d\/multus\.d/);
    assert.deepEqual(mounted, [], 'no reader pod the policy would refuse');
    await scanNodes(r, { ...cfg, hostDir: `${K3S}/multus.d` }, () => undefined);
    assert.deepEqual(mounted, [K3S], "the reader pod mounts the DaemonSet's directory");
  },
);
