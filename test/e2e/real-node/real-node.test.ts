// The outage on a real node (kubelet + containerd + runc, local-cluster/real-node/): the paths the simulated nodes
// only approximate, with upstream's own manifests (real-node/upstream-multus.ts: image names, API server address and
// DaemonSet name/placement changed only) and locally built images.
//   - 4.2.2 thin (distroless): the image has no cat; the rotator, as the rbac.yaml service account with its admission
//     policies in force, reads the node's file through its real reader pod;
//   - 4.2.2, 3.9.3 and 3.7.2 thin, each with the rotator as the rbac.yaml account: an expired token stops a new pod's sandbox (containerd calls the real Multus
//     binary, which gets Unauthorized); `--execute` restarts the Multus pod with its grace period, the new file holds
//     a kubelet-projected token, and the kubelet's own retries start the stuck pod (the rotator leaves a Pending pod
//     alone);
//   - 4.2.2 thick: pods get their network through the daemon whatever file lies on the node; the rotator leaves it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { applyYaml, kubectlPath, PORTS, repoRoot } from '../../../local-cluster/cluster.ts';
import { readState, waitFor } from '../../../local-cluster/processes.ts';
import { realNodeImages, realNodeKubeconfigFile } from '../../../local-cluster/real-node/real-nodes.ts';
import { REAL_DAEMONSET_SUFFIX, upstreamManifest } from '../../../local-cluster/real-node/upstream-multus.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig } from '../../../local-cluster/seed/node-files.ts';
import { boundToken } from '../../../local-cluster/seed/tokens.ts';
import { execRead } from '../../../scripts/cluster/exec-read.ts';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { inClusterEnv, runLocal, runRotator, type RotatorRun } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const node = readState(env.root)?.realNodes?.[0] ?? '';
const DS = `kube-multus-ds${REAL_DAEMONSET_SUFFIX}`;
const images = node ? realNodeImages(env.root) : undefined;
const readerRef = images ? `${images.busybox.name}@${images.busybox.digest}` : '';

interface Finding {
  node: string;
  class: string;
  reason: string;
  readVia?: string;
}
interface Result {
  findings: Finding[];
  execution?: { nodes: { node: string; outcome: string; reason: string; multus?: { newUid?: string } }[] };
}
const parse = (s: string) => JSON.parse(s) as Result;

/** Both Multus DaemonSets: the simulated nodes' and the real nodes' (upstream's, renamed). */
const DAEMONSETS = `kube-multus-ds,${DS}`;

/**
 * rbac.yaml as shipped, except its layout: the reader image (the locally built busybox, pinned by its digest) and
 * the real nodes' DaemonSet beside the simulated nodes' (MTR_DAEMONSETS), as an operator would set them.
 */
function applyRbac(readerImage: string): void {
  const text = readFileSync(path.join(repoRoot, 'rbac.yaml'), 'utf8').replaceAll(DEFAULTS.readerImage, readerImage)
    .replace(/^( {2}MTR_DAEMONSETS:) kube-multus-ds$/m, `$1 ${DAEMONSETS}`);
  assert.ok(text.includes(DAEMONSETS), 'rbac.yaml has no MTR_DAEMONSETS: kube-multus-ds line to extend');
  execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', '-'], { input: text, stdio: 'pipe' });
}

function claimsOf(file: string): Record<string, unknown> & { 'kubernetes.io'?: { pod?: { uid?: string } } } {
  const token = /token: "?([A-Za-z0-9_.-]+)"?/.exec(readFileSync(file, 'utf8'))?.[1] ?? '';
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function realMultusPod(): Promise<V1Pod | undefined> {
  const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus',
    fieldSelector: `spec.nodeName=${node}` });
  return pods.items.find((p) => !p.metadata?.deletionTimestamp && isReady(p));
}

/**
 * The rotator as the rbac.yaml service account, in-cluster, with the admission policies in force; every run reads
 * every node (--reread-every 0s): the tests change a node's file behind its unchanged Multus pod, which a run would
 * otherwise judge from the previous run's summary.
 */
async function asRotatorAccount(args: string[]): Promise<RotatorRun> {
  applyRbac(readerRef);
  const saEnv = await inClusterEnv(env, 'multus-token-rotator', 'multus-token-rotator');
  return runRotator([...args, '--reader-image', readerRef, '--read-timeout', '30s', '--reread-every', '0s',
    '--daemonsets', DAEMONSETS], saEnv);
}

/** The node's Multus pod Ready, and the node's file holding a token bound to it. */
async function multusSettled(what: string): Promise<V1Pod> {
  let pod: V1Pod | undefined;
  await waitFor(what, async () => {
    pod = await realMultusPod();
    try {
      return pod !== undefined && claimsOf(realNodeKubeconfigFile(env.root, node))['kubernetes.io']?.pod?.uid ===
          pod.metadata?.uid;
    } catch {
      return false;
    }
  }, 120_000, 250);
  if (!pod) throw new Error('unreachable');
  return pod;
}

/** Deletes the real nodes' DaemonSet and waits until its pods are gone (the next one takes the same name). */
async function removeRealDaemonSet(): Promise<void> {
  await env.kc.makeApiClient(AppsV1Api).deleteNamespacedDaemonSet({ name: DS, namespace: 'kube-system' })
    .catch(() => undefined);
  await waitFor(`the pods of ${DS} gone`, async () => {
    const pods = await core.listNamespacedPod({ namespace: 'kube-system', fieldSelector: `spec.nodeName=${node}` });
    return !pods.items.some((p) => p.metadata?.name?.startsWith(`${DS}-`));
  }, 60_000, 250);
}

/**
 * An expired token on the real node stops a new pod's sandbox (containerd -> the real Multus binary -> Unauthorized);
 * `rotate` (the rotator with --execute) replaces the Multus pod with its grace period, the new file holds a token the
 * kubelet projected, and the kubelet's own retries start the stuck pod.
 */
async function outageRepaired(t: TestContext, rotate: () => Promise<RotatorRun>): Promise<void> {
  const ns = await withNamespace(t, env);
  const multus = await multusSettled('the node settled');
  const file = realNodeKubeconfigFile(env.root, node);
  // A token bound to the node's Multus pod, signed by the cluster's key, expired a minute ago.
  writeFileSync(file, multusKubeconfig(await boundToken(env, multus, -60)), { mode: 0o600 });
  await core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name: 'stuck' },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0,
      containers: [{ name: 'c', image: images?.busybox.name, imagePullPolicy: 'Never', command: ['sleep', '3600'] }] },
  } });
  let message = '';
  await waitFor('the sandbox refused by the real Multus binary (Unauthorized)', async () => {
    const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: 'involvedObject.name=stuck' });
    message = events.items.find((e) => e.reason === 'FailedCreatePodSandBox')?.message ?? '';
    return message !== '';
  }, 90_000, 500);
  assert.match(message, /Unauthorized/);
  const stuck = await core.readNamespacedPod({ name: 'stuck', namespace: ns });
  assert.equal(stuck.status?.phase, 'Pending');

  // Watch the old Multus pod's deletion: the grace period the API server recorded for it.
  let grace: number | undefined;
  const watching = setInterval(() => {
    void core.readNamespacedPod({ name: multus.metadata?.name ?? '', namespace: 'kube-system' })
      .then((p) => {
        grace ??= p.metadata?.deletionGracePeriodSeconds;
      }, () => undefined);
  }, 100);
  t.after(() => clearInterval(watching));
  const run = await rotate();
  clearInterval(watching);
  const n = parse(run.stdout).execution?.nodes.find((x) => x.node === node);
  assert.equal(n?.outcome, 'rotated', `${n?.reason ?? ''}\n${run.stderr}`);
  assert.equal(grace, multus.spec?.terminationGracePeriodSeconds, 'the Multus pod was deleted with its grace period');

  const fresh = await multusSettled('the new Multus pod Ready with its own token in the file');
  assert.notEqual(fresh.metadata?.uid, multus.metadata?.uid);
  const claims = claimsOf(file);
  // Projected by the kubelet (not minted by a test): it carries the API server's warnafter claim of an extended
  // token, and was issued after the new pod was created.
  assert.ok((claims['kubernetes.io'] as { warnafter?: number }).warnafter, JSON.stringify(Object.keys(claims)));
  assert.ok(Number(claims.iat) * 1000 >= new Date(fresh.metadata?.creationTimestamp ?? 0).getTime() - 1000);

  await waitFor('the stuck pod Running (the kubelet retried its sandbox)', async () => {
    const p = await core.readNamespacedPod({ name: 'stuck', namespace: ns });
    return p.status?.phase === 'Running' && p.metadata?.uid === stuck.metadata?.uid;
  }, 120_000, 500);
}

describe('a real node: upstream Multus v4.2.2 thin (distroless), a real kubelet, containerd and runc', () => {
  before(async () => {
    assert.ok(node && images, 'the cluster has no real node: start it with REAL_NODES=1 (the e2e suite does)');
    await applyYaml(env.kc,
      upstreamManifest({ version: 'v4.2.2', file: 'deployments/multus-daemonset.yml', image: images.multusV4Thin.name,
        apiserverPort: PORTS.apiserver }));
    await multusSettled(`upstream's thin Multus Ready on ${node} with its token in the node's file`);
  });
  after(async () => {
    await removeRealDaemonSet();
    execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', path.join(repoRoot, 'rbac.yaml')], {
      stdio: 'pipe',
    });
  });

  test('the reader pod, as the rotator creates it and rbac.yaml admits it, reads the distroless file', async () => {
    // The image really has no cat: a real exec (as the cluster admin, no policy involved) fails in the runtime.
    const multus = await multusSettled('the node settled');
    const exec = await execRead(env.kc, { namespace: 'kube-system', pod: multus.metadata?.name ?? '',
      container: 'kube-multus', command: ['cat', '/host/etc/cni/net.d/multus.d/multus.kubeconfig'], timeoutMs: 20_000,
      maxBytes: 65536 });
    assert.equal(exec.ok, false);
    assert.match(exec.ok ? '' : exec.reason, /cat.*(not found|no such file)/i);
    const run = await asRotatorAccount(['-o', 'json']);
    const f = parse(run.stdout).findings.find((x) => x.node === node);
    assert.equal(f?.readVia, 'reader-pod', run.stderr);
    assert.equal(f?.class, 'healthy', f?.reason);
    // The rotator's own exec (admitted: kube-multus-ds-real is in MTR_DAEMONSETS) failed on the node.
    const events = run.stderr.split('\n').filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event?: string; node?: string });
    assert.ok(events.some((e) => e.event === 'exec-fallback' && e.node === node), run.stderr);
  });

  test('an expired token stops a new pod; --execute repairs the node and the kubelet starts the pod', async (t) => {
    await outageRepaired(t, () => asRotatorAccount(['--execute', '--yes', '-o', 'json', '--step-timeout', '90s']));
  });
});

/** Upstream's 3.x thin manifest runs on the real node: entrypoint.sh writes the file, the rotator execs cat. */
function thin3x(version: string, file: string, image: () => string): void {
  describe(`a real node: upstream Multus ${version} thin (bash and python3 in the image)`, () => {
    before(async () => {
      assert.ok(node && images, 'the cluster has no real node: start it with REAL_NODES=1 (the e2e suite does)');
      await applyYaml(env.kc, upstreamManifest({ version, file, image: image(), apiserverPort: PORTS.apiserver }));
    });
    after(removeRealDaemonSet);

    test("its entrypoint.sh writes the node's file, which the rotator reads through a real exec", async () => {
      const multus = await multusSettled(`upstream's ${version} Multus Ready on ${node} with its token in the file`);
      // Written by the real entrypoint.sh in the container, with the pod's projected token.
      const claims = claimsOf(realNodeKubeconfigFile(env.root, node));
      assert.ok((claims['kubernetes.io'] as { warnafter?: number }).warnafter, JSON.stringify(Object.keys(claims)));
      const run = await runLocal(env, ['-o', 'json', '--read-timeout', '30s', '--reread-every', '0s', '--daemonsets',
        DAEMONSETS, '--reader-image', readerRef]);
      const f = parse(run.stdout).findings.find((x) => x.node === node);
      assert.equal(f?.readVia, 'exec', run.stderr);
      assert.equal(f?.class, 'healthy', f?.reason);
      assert.equal((await realMultusPod())?.metadata?.uid, multus.metadata?.uid);
    });

    test('an expired token stops a new pod; --execute repairs the node and the kubelet starts the pod', async (t) => {
      await outageRepaired(t, () => asRotatorAccount(['--execute', '--yes', '-o', 'json', '--step-timeout', '90s']));
    });
  });
}

thin3x('v3.9.3', 'deployments/multus-daemonset.yml', () => images?.multusV3.name ?? '');
// 3.7.2 ships its manifest under images/: one DaemonSet, kube-multus-ds. Its per-architecture DaemonSets
// (kube-multus-ds-amd64, …) are only in images/deprecated/multus-daemonset-pre-1.16.yml, as extensions/v1beta1
// objects that Kubernetes removed in 1.16, so they cannot be applied unchanged; their names are tested on the
// simulated nodes (reliability/least-privilege-layouts.test.ts, cluster/local-cluster.test.ts).
thin3x('v3.7.2', 'images/multus-daemonset.yml', () => images?.multusV37.name ?? '');

describe('a real node: upstream Multus v4.2.2 thick (multus-daemon, multus-shim)', () => {
  before(async () => {
    assert.ok(node && images, 'the cluster has no real node: start it with REAL_NODES=1 (the e2e suite does)');
    await applyYaml(env.kc,
      upstreamManifest({ version: 'v4.2.2', file: 'deployments/multus-daemonset-thick.yml',
        image: images.multusV4Thick.name, apiserverPort: PORTS.apiserver }));
  });
  after(removeRealDaemonSet);

  test('pods get their network through the daemon whatever file lies on the node; the rotator leaves it alone',
    async (t) => {
      await waitFor(`upstream's thick Multus Ready on ${node}`, async () => (await realMultusPod()) !== undefined,
        120_000, 250);
      const ns = await withNamespace(t, env);
      // A stale thin-plugin file on the node: the thick plugin never reads it.
      const multus = await realMultusPod();
      if (!multus) throw new Error('unreachable');
      mkdirSync(path.dirname(realNodeKubeconfigFile(env.root, node)), { recursive: true });
      writeFileSync(realNodeKubeconfigFile(env.root, node), multusKubeconfig(await boundToken(env, multus, -60)), {
        mode: 0o600,
      });
      await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'through-thick' },
        spec: { nodeName: node, terminationGracePeriodSeconds: 0,
          containers: [{ name: 'c', image: images?.busybox.name, imagePullPolicy: 'Never',
            command: ['sleep', '3600'] }] },
      } });
      // The node IP is the bridge's .1: the pod's address is in the same /24.
      const nodeIP = (await core.readNode({ name: node })).status?.addresses?.find((x) => x.type === 'InternalIP')
        ?.address ?? '';
      const subnet = nodeIP.replace(/\.1$/, '.');
      await waitFor(`the pod Running with an address on the node bridge (${subnet}0/24)`, async () => {
        const p = await core.readNamespacedPod({ name: 'through-thick', namespace: ns });
        return p.status?.phase === 'Running' && (p.status.podIP ?? '').startsWith(subnet) && subnet !== '.';
      }, 60_000, 250);
      const run = await runLocal(env, ['-o', 'json', '--read-timeout', '30s', '--reread-every', '0s', '--daemonsets',
        DAEMONSETS, '--reader-image', readerRef]);
      const f = parse(run.stdout).findings.find((x) => x.node === node);
      assert.equal(f?.class, 'self-refreshing', `${f?.reason ?? ''}\n${run.stderr}`);
      assert.equal((await realMultusPod())?.metadata?.uid, multus.metadata?.uid);
    });
});
