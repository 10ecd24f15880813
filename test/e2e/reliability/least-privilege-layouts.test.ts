// Reliability: least privilege on every Multus layout the job supports, installed into another namespace, and the job
// refusing to act when its guard rails are not in force.
//
// Each layout is a real DaemonSet in its own namespace (its pods run no Multus: only their names, owners, labels and
// volumes matter to the admission policies), rbac.yaml installed with that layout in its ConfigMap (support/
// install-rbac.ts), and the same field-by-field proof as least-privilege.test.ts, with the service account's own token:
// the reader pod admitted and each one-field variant refused by its rule; `cat` of the exact path admitted and each
// other exec form refused by its rule; the Multus pod's delete admitted, a look-alike's refused; and the job's own
// guard-rail check (scripts/cluster/guard-rail-probes.ts + scripts/execute/guard-rails.ts) satisfied.
// Then the real entry point, in-cluster with that account, on a node whose token expired: with a binding reading its
// parameters from the wrong namespace, or a binding missing, it changes nothing and exits 4 with one line saying so.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AdmissionregistrationV1Api, AppsV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPodOn } from '../../../local-cluster/seed/multus.ts';
import { recordMintedToken } from '../../../local-cluster/seed/token-log.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { probeGuardRails, probeReaderPod, type ProbeTarget } from '../../../scripts/cluster/guard-rail-probes.ts';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { judgeGuardRails } from '../../../scripts/execute/guard-rails.ts';
import { installRbac, installShippedRbac, type Layout } from '../support/install-rbac.ts';
import { execPath, execRefusals, messageOf, readerRefusals } from '../support/privilege-cases.ts';
import { inClusterEnv, runRotator } from '../support/run-rotator.ts';

const env = clusterEnv();
const admin = env.kc.makeApiClient(CoreV1Api);
// Fresh names each run: a deleted namespace lingers while the namespace controller empties it.
const STAMP = Date.now().toString(36);
const JOB_NS = `mtr-layouts-${STAMP}`;
const SA = 'multus-token-rotator';
const ca = readFileSync(path.join(env.root, 'pki', 'ca.crt'));
const NODE = env.nodes[0] ?? '';

const DEFAULT_LAYOUT: Layout = { MTR_NAMESPACE: DEFAULTS.namespace, MTR_SELECTOR: DEFAULTS.selector,
  MTR_DAEMONSETS: DEFAULTS.daemonsets.join(','), MTR_CONTAINER: DEFAULTS.container,
  MTR_KUBECONFIG_PATH: DEFAULTS.kubeconfigPath, MTR_HOST_DIR: DEFAULTS.hostDir,
  MTR_READER_IMAGE: DEFAULTS.readerImage };

interface LayoutCase {
  what: string;
  daemonsets: { name: string; arch: string }[];
  labels: Record<string, string>;
  /** The host's CNI directory, which the DaemonSet mounts at /host/etc/cni/net.d. */
  cniDir: string;
  layout: Layout;
}

const K3S_CNI = '/var/lib/rancher/k3s/agent/etc/cni/net.d';
const LAYOUTS: LayoutCase[] = [
  { what: "upstream v3.7's DaemonSet per architecture",
    daemonsets: [{ name: 'kube-multus-ds-amd64', arch: 'amd64' }, { name: 'kube-multus-ds-arm64', arch: 'arm64' }],
    labels: { tier: 'node', app: 'multus', name: 'multus' }, cniDir: '/etc/cni/net.d',
    layout: { ...DEFAULT_LAYOUT, MTR_NAMESPACE: `mtr-lp-v37-${STAMP}`,
      MTR_DAEMONSETS: 'kube-multus-ds-amd64,kube-multus-ds-arm64,kube-multus-ds-ppc64le,kube-multus-ds-s390x' } },
  { what: 'a Helm-style label', daemonsets: [{ name: 'multus', arch: 'amd64' }],
    labels: { 'app.kubernetes.io/name': 'multus', 'app.kubernetes.io/instance': 'multus' }, cniDir: '/etc/cni/net.d',
    layout: { ...DEFAULT_LAYOUT, MTR_NAMESPACE: `mtr-lp-helm-${STAMP}`, MTR_SELECTOR: 'app.kubernetes.io/name=multus',
      MTR_DAEMONSETS: 'multus' } },
  { what: "k3s/RKE2's CNI directory", daemonsets: [{ name: 'rke2-multus', arch: 'amd64' }],
    labels: { app: 'rke2-multus' }, cniDir: K3S_CNI,
    layout: { ...DEFAULT_LAYOUT, MTR_NAMESPACE: `mtr-lp-k3s-${STAMP}`, MTR_SELECTOR: 'app=rke2-multus',
      MTR_DAEMONSETS: 'rke2-multus', MTR_HOST_DIR: `${K3S_CNI}/multus.d` } },
];

let token = '';
let sa: KubeConfig;

function raw(method: string, urlPath: string): Promise<{ status: number; body: string }> {
  const url = new URL(urlPath, env.server);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, ca,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

function saKubeconfig(tok: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'local', server: env.server, caFile: path.join(env.root, 'pki', 'ca.crt') }],
    users: [{ name: SA, token: tok }], contexts: [{ name: SA, cluster: 'local', user: SA }], currentContext: SA });
  return kc;
}

const target = (pod: V1Pod, layout: Layout): ProbeTarget => ({
  pod: { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '',
    node: pod.spec?.nodeName ?? '' },
  container: layout.MTR_CONTAINER,
  kubeconfigPath: layout.MTR_KUBECONFIG_PATH,
  hostDir: layout.MTR_HOST_DIR,
  readerImage: layout.MTR_READER_IMAGE,
  readTimeoutMs: DEFAULTS.readTimeoutMs,
});

/** Installs rbac.yaml with `layout` and waits until RBAC and the policies answer for it. */
async function install(layout: Layout, probePod: V1Pod, opts: { keepParamRefNamespace?: boolean } = {}) {
  installRbac(env, JOB_NS, { layout, ...opts });
  if (!token) {
    const tr = await admin.createNamespacedServiceAccountToken({ name: SA, namespace: JOB_NS,
      body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    token = tr.status?.token ?? '';
    recordMintedToken(token, env.root);
    sa = saKubeconfig(token);
  }
  if (opts.keepParamRefNamespace) return;
  let last = '';
  await waitFor(`rbac.yaml in force for ${layout.MTR_NAMESPACE}`, async () => {
    const v = judgeGuardRails(await probeGuardRails(sa, target(probePod, layout)), { jobNamespace: JOB_NS,
      target: target(probePod, layout) });
    last = v.ok ? '' : v.reason;
    return v.ok;
  }, 60_000).catch((err: unknown) => {
    throw new Error(`${String(err)}; last verdict: ${last}`);
  });
}

async function daemonSetPod(c: LayoutCase, ds: { name: string; arch: string }): Promise<V1Pod> {
  const ns = c.layout.MTR_NAMESPACE;
  await env.kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({ namespace: ns, body: {
    metadata: { name: ds.name, labels: c.labels },
    // The layout's labels plus one of the test's own, so that a look-alike pod with only the layout's labels (what
    // MTR_SELECTOR matches) is not adopted by the DaemonSet.
    spec: { selector: { matchLabels: { ...c.labels, 'mtr-test/ds': ds.name } }, template: {
      metadata: { labels: { ...c.labels, 'mtr-test/ds': ds.name } },
      spec: {
        hostNetwork: true,
        nodeSelector: { 'kubernetes.io/hostname': NODE, 'kubernetes.io/arch': ds.arch },
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name: c.layout.MTR_CONTAINER, image: 'app:1',
          volumeMounts: [{ name: 'cni', mountPath: '/host/etc/cni/net.d' }] }],
        volumes: [{ name: 'cni', hostPath: { path: c.cniDir } }],
      },
    } },
  } });
  let pod: V1Pod | undefined;
  await waitFor(`a Ready pod of DaemonSet ${ns}/${ds.name}`, async () => {
    pod = (await admin.listNamespacedPod({ namespace: ns })).items.find((p) =>
      p.metadata?.ownerReferences?.some((o) => o.name === ds.name) && isReady(p)
    );
    return pod !== undefined;
  }, 60_000);
  return pod as V1Pod;
}

after(async () => {
  installShippedRbac(env);
  for (const n of [JOB_NS, ...LAYOUTS.map((l) => l.layout.MTR_NAMESPACE)]) {
    await admin.deleteNamespace({ name: n }).catch(() => undefined);
  }
});

for (const c of LAYOUTS) {
  describe(`least privilege with ${c.what} (the job installed in another namespace)`, () => {
    const ns = c.layout.MTR_NAMESPACE;
    let multus: V1Pod;
    before(async () => {
      await admin.createNamespace({ body: { metadata: { name: ns } } });
      await waitFor(`${ns}'s default service account`, () =>
        admin.readNamespacedServiceAccount({ name: 'default', namespace: ns }).then(() => true, () => false), 30_000);
      // The one-field case "another service account" names kube-system's generic-garbage-collector: give it one here,
      // so that the policy, not the ServiceAccount admission plugin, is what refuses it.
      await admin.createNamespacedServiceAccount({ namespace: ns,
        body: { metadata: { name: 'generic-garbage-collector' } } });
      const [first, ...others] = c.daemonsets;
      multus = await daemonSetPod(c, first ?? { name: '', arch: '' });
      for (const ds of others) {
        await env.kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({ namespace: ns, body: {
          metadata: { name: ds.name },
          spec: { selector: { matchLabels: { ds: ds.name } }, template: {
            metadata: { labels: { ds: ds.name } },
            spec: { nodeSelector: { 'kubernetes.io/arch': ds.arch },
              containers: [{ name: c.layout.MTR_CONTAINER, image: 'app:1' }] },
          } },
        } });
      }
      await install(c.layout, multus);
    });

    test("the job's own guard-rail check passes: host root and foreign exec refused, delete and reader allowed",
      async () => {
        const v = judgeGuardRails(await probeGuardRails(sa, target(multus, c.layout)), { jobNamespace: JOB_NS,
          target: target(multus, c.layout) });
        assert.deepEqual(v, { ok: true });
      });

    test('the reader pod for this layout is admitted; each one-field variant is refused by its rule', async () => {
      const core = sa.makeApiClient(CoreV1Api);
      const reader = probeReaderPod(target(multus, c.layout));
      assert.equal(reader.spec?.volumes?.[0]?.hostPath?.path, c.layout.MTR_HOST_DIR);
      await core.createNamespacedPod({ namespace: ns, dryRun: 'All', body: reader });
      assert.deepEqual(await readerRefusals(core, ns, reader), []);
      // Another layout's host directory is refused here: the policy pins this one.
      const other = structuredClone(reader);
      const v = other.spec?.volumes?.[0];
      if (v?.hostPath) {
        v.hostPath.path = c.layout.MTR_HOST_DIR === DEFAULTS.hostDir ? `${K3S_CNI}/multus.d` : DEFAULTS.hostDir;
      }
      const err = await core.createNamespacedPod({ namespace: ns, dryRun: 'All', body: other }).then(() =>
        undefined, (e: unknown) =>
        e);
      assert.match(messageOf(String((err as { body?: unknown } | undefined)?.body ?? 'ADMITTED')),
        /one volume, the hostPath MTR_HOST_DIR/);
    });

    test("exec: cat of the exact path into this layout's Multus pod is admitted; every other form refused", async (t) => {
      const name = multus.metadata?.name ?? '';
      await admin.createNamespacedPod({ namespace: ns,
        body: { metadata: { name: 'mtr-lp-victim', labels: c.labels },
          spec: { nodeName: NODE, hostNetwork: true,
            containers: [{ name: c.layout.MTR_CONTAINER, image: 'app:1' }] } } });
      t.after(() =>
        admin.deleteNamespacedPod({ name: 'mtr-lp-victim', namespace: ns, gracePeriodSeconds: 0 }).catch(() =>
          undefined
        )
      );
      const ok = await raw('POST',
        execPath(ns, name, c.layout.MTR_CONTAINER, { command: ['cat', c.layout.MTR_KUBECONFIG_PATH] }));
      assert.equal(ok.status, 400, ok.body);
      assert.match(messageOf(ok.body), /Upgrade request required/, 'admitted: only the stream upgrade is missing');
      assert.deepEqual(
        await execRefusals((p) => raw('POST', p), ns, name, c.layout.MTR_CONTAINER, c.layout.MTR_KUBECONFIG_PATH,
          'mtr-lp-victim'),
        [],
      );
    });

    test('delete: its Multus pod is allowed (dry run); a pod MTR_SELECTOR matches but no DaemonSet owns is refused', async (t) => {
      const core = sa.makeApiClient(CoreV1Api);
      await core.deleteNamespacedPod({ name: multus.metadata?.name ?? '', namespace: ns, dryRun: 'All' });
      await admin.createNamespacedPod({ namespace: ns,
        body: { metadata: { name: 'mtr-lp-lookalike', labels: c.labels },
          spec: { nodeName: NODE, hostNetwork: true, containers: [{ name: 'c', image: 'app:1' }] } } });
      t.after(() =>
        admin.deleteNamespacedPod({ name: 'mtr-lp-lookalike', namespace: ns, gracePeriodSeconds: 0 })
          .catch(() => undefined)
      );
      const err = await core.deleteNamespacedPod({ name: 'mtr-lp-lookalike', namespace: ns, dryRun: 'All' })
        .then(() => undefined, (e: unknown) => e);
      assert.match(String((err as { body?: unknown } | undefined)?.body ?? 'ADMITTED'),
        /ValidatingAdmissionPolicy 'multus-token-rotator-delete'/);
    });
  });
}

describe(`fail closed: in-cluster --execute (job in another namespace) without its guard rails changes nothing, exit 4`, () => {
  const setupLine = (stderr: string) =>
    stderr.split('\n').filter((l) => l.includes('"event":"guard-rails"')).map((l) =>
      JSON.parse(l) as { ok: boolean; reason: string }
    );

  test('a binding reading its parameters from the shipped namespace; then a binding missing', async (t) => {
    const multus = await multusPodOn(env, NODE);
    await install(DEFAULT_LAYOUT, multus);
    await ageNodeToken(t, env, NODE, -60);
    const saEnv = await inClusterEnv(env, JOB_NS, SA);
    const args = ['--execute', '--yes', '-o', 'json', '--step-timeout', '20s'];

    // 1. Installed into another namespace as kustomize's `namespace:` would: the cluster-scoped bindings still read
    // the layout of the namespace multus-token-rotator, so the policies do not apply to this account.
    await install(DEFAULT_LAYOUT, multus, { keepParamRefNamespace: true });
    const hostRoot = probeReaderPod(target(multus, DEFAULT_LAYOUT));
    const vol = hostRoot.spec?.volumes?.[0];
    if (vol?.hostPath) vol.hostPath.path = '/';
    await waitFor('the policies no longer apply to this account',
      () =>
        sa.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: 'kube-system', dryRun: 'All', body: hostRoot })
          .then(() => true, () => false), 30_000);
    let run = await runRotator(args, saEnv);
    assert.equal(run.code, 4, run.stderr);
    let lines = setupLine(run.stderr);
    assert.equal(lines.length, 1, run.stderr);
    assert.equal(lines[0]?.ok, false);
    assert.match(lines[0]?.reason ?? '',
      new RegExp(`^guard rails not in force: a pod mounting the host's root in kube-system was admitted for this ` +
        `service account: ValidatingAdmissionPolicyBinding multus-token-rotator reads its parameters from ` +
        `multus-token-rotator/multus-token-rotator-layout, not from ConfigMap ${JOB_NS}/multus-token-rotator-layout: ` +
        `set its paramRef.namespace to ${JOB_NS}`));
    assert.equal((await multusPodOn(env, NODE)).metadata?.uid, multus.metadata?.uid, 'the Multus pod is untouched');

    // 2. Installed right, but one binding failed to apply.
    await install(DEFAULT_LAYOUT, multus);
    await env.kc.makeApiClient(AdmissionregistrationV1Api)
      .deleteValidatingAdmissionPolicyBinding({ name: 'multus-token-rotator-exec' });
    await waitFor('the exec policy no longer applies',
      async () =>
        (await raw('POST',
          execPath('kube-system', multus.metadata?.name ?? '', 'kube-multus', { command: ['cat', '/etc/hostname'] })))
          .status === 400, 30_000);
    run = await runRotator(args, saEnv);
    assert.equal(run.code, 4, run.stderr);
    lines = setupLine(run.stderr);
    assert.match(lines[0]?.reason ?? '',
      /an exec of "cat \/etc\/hostname" into the Multus pod kube-system\/.+ was admitted for this service account: ValidatingAdmissionPolicyBinding multus-token-rotator-exec does not exist: apply rbac\.yaml/);
    assert.equal((await multusPodOn(env, NODE)).metadata?.uid, multus.metadata?.uid, 'the Multus pod is untouched');

    // 3. Everything in force again: the same run acts.
    await install(DEFAULT_LAYOUT, multus);
    run = await runRotator(args, saEnv);
    assert.equal(setupLine(run.stderr)[0]?.ok, true, run.stderr);
    const out = JSON.parse(run.stdout) as { execution?: { nodes: { node: string; outcome: string }[] } };
    assert.equal(out.execution?.nodes.find((n) => n.node === NODE)?.outcome, 'rotated', run.stderr);
  });
});
