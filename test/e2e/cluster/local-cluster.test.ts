// The local control plane behaves like a real cluster where this product meets it: nodes, controllers, the Multus
// DaemonSet and its per-node kubeconfig, pods/exec through the API server, TokenReview, the JWKS, and eviction
// against a PodDisruptionBudget.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api, OpenidApi, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import { execRead } from '../../../scripts/cluster/exec-read.ts';
import { fileBoundTo } from '../../../local-cluster/cluster.ts';
import { readState, waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { restoreNodeFileAfter, startDistrolessMultus } from '../../../local-cluster/seed/multus.ts';
import { readNodeFile } from '../../../local-cluster/seed/node-files.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);

async function multusPods(): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' });
  return list.items.filter((p) => !p.metadata?.deletionTimestamp);
}

function tokenOf(text: string): string {
  const m = /token: "([^"]+)"/.exec(text);
  assert.ok(m?.[1], 'the kubeconfig has a token');
  return m[1];
}

async function catOnPod(pod: V1Pod): Promise<string> {
  const res = await execRead(env.kc, {
    namespace: 'kube-system',
    pod: pod.metadata?.name ?? '',
    container: 'kube-multus',
    command: ['cat', '/host/etc/cni/net.d/multus.d/multus.kubeconfig'],
    timeoutMs: 15_000,
    maxBytes: 65536,
  });
  assert.ok(res.ok, res.ok ? '' : res.reason);
  return res.bytes.toString('utf8');
}

describe('local cluster', () => {
  test('every node is Ready and runs a Ready Multus pod of the DaemonSet', async () => {
    const nodes = await core.listNode();
    // The real nodes (REAL_NODES) run no Multus until a test deploys one (test/e2e/real-node/).
    const real = readState(env.root)?.realNodes ?? [];
    assert.deepEqual(nodes.items.map((n) => n.metadata?.name).sort(), [...env.nodes, ...real].sort());
    for (const n of nodes.items) {
      assert.equal(n.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True', `${n.metadata?.name} Ready`);
    }
    const pods = await multusPods();
    assert.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), [...env.nodes].sort());
    for (const p of pods) {
      assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
      assert.equal(p.spec?.serviceAccountName, 'multus');
      assert.equal(p.spec?.hostNetwork, true);
    }
  });

  test('a Deployment of 3 replicas becomes Ready', async (t) => {
    const ns = await withNamespace(t, env);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
        },
      },
    });
    await waitFor('3 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
      return d.status?.readyReplicas === 3;
    }, 60_000);
  });

  test('exec of cat on two nodes returns two different tokens, each bound to its own Multus pod', async () => {
    const pods = (await multusPods()).slice(0, 2);
    assert.equal(pods.length, 2);
    const tokens = await Promise.all(pods.map(async (p) => tokenOf(await catOnPod(p))));
    assert.notEqual(tokens[0], tokens[1]);
    const jwks = await env.kc.makeApiClient(OpenidApi)
      .getServiceAccountIssuerOpenIDKeyset() as unknown as JSONWebKeySet;
    const authn = env.kc.makeApiClient(AuthenticationV1Api);
    for (const [i, pod] of pods.entries()) {
      const token = tokens[i] ?? '';
      const claims = decodeJwt(token) as { 'kubernetes.io'?: { pod?: { uid?: string }; warnafter?: number } };
      assert.equal(claims['kubernetes.io']?.pod?.uid, pod.metadata?.uid);
      // The API server extended the 3607 s request to about a year, as in production.
      const exp = decodeJwt(token).exp ?? 0;
      assert.ok(exp - Date.now() / 1000 > 300 * 86400, `exp ${exp} is about a year away`);
      assert.ok(claims['kubernetes.io']?.warnafter, 'warnafter is set on an extended token');
      // The cluster's JWKS verifies it, and the API server accepts it.
      await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'https://kubernetes.default.svc.cluster.local' });
      const review = await authn.createTokenReview({ body: { spec: { token } } });
      assert.equal(review.status?.authenticated, true, review.status?.error);
      assert.equal(review.status?.user?.username, 'system:serviceaccount:kube-system:multus');
    }
  });

  test("deleting a Multus pod yields a new pod and a new token in that node's file", async () => {
    const [old] = await multusPods();
    assert.ok(old?.metadata?.uid && old.spec?.nodeName);
    const node = old.spec.nodeName;
    const before = tokenOf(readNodeFile(env.root, node).toString('utf8'));
    await core.deleteNamespacedPod({ name: old.metadata.name ?? '', namespace: 'kube-system' });
    let fresh: V1Pod | undefined;
    await waitFor('a replacement Multus pod on the node with its own token in the file', async () => {
      fresh = (await multusPods()).find((p) =>
        p.spec?.nodeName === node && p.metadata?.uid !== old.metadata?.uid &&
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      );
      return fresh !== undefined && fileBoundTo(env.root, node) === fresh.metadata?.uid;
    }, 60_000);
    const after = tokenOf(readNodeFile(env.root, node).toString('utf8'));
    assert.notEqual(after, before);
    // The old token is bound to a pod that is gone: the API server no longer accepts it.
    const authn = env.kc.makeApiClient(AuthenticationV1Api);
    await waitFor('the old token to be rejected', async () => {
      const r = await authn.createTokenReview({ body: { spec: { token: before } } });
      return r.status?.authenticated !== true;
    }, 30_000);
  });

  test('a budget with maxUnavailable 0 makes an eviction answer 429', async (t) => {
    const ns = await withNamespace(t, env);
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'db' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'db' } },
          template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'db', image: 'postgres' }] } },
        },
      },
    });
    await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
      namespace: ns,
      body: { metadata: { name: 'db' }, spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'db' } } } },
    });
    let pods: V1Pod[] = [];
    await waitFor('2 ready pods and an observed budget', async () => {
      pods = (await core.listNamespacedPod({ namespace: ns })).items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      );
      const pdb = await env.kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'db',
        namespace: ns });
      return pods.length === 2 && pdb.status?.observedGeneration === pdb.metadata?.generation &&
        pdb.status?.currentHealthy === 2;
    }, 60_000);
    const name = pods[0]?.metadata?.name ?? '';
    await assert.rejects(
      core.createNamespacedPodEviction({ name, namespace: ns, body: { metadata: { name, namespace: ns } } }),
      (err: { code?: number }) => err.code === 429,
    );
  });

  test("a Multus pod of the distroless 4.x thin image cannot be exec'd into, while its node file is written", async (t) => {
    const node = env.nodes[env.nodes.length - 1] ?? '';
    const ns = await withNamespace(t, env);
    const pod = await startDistrolessMultus(t, env, ns, node);
    const read = () =>
      execRead(env.kc, { namespace: ns, pod: pod.metadata?.name ?? '', container: 'kube-multus',
        command: ['cat', '/host/etc/cni/net.d/multus.d/multus.kubeconfig'], timeoutMs: 15_000, maxBytes: 65536 });
    // kwok learns of the pod's Exec through its informer: allow it a moment.
    let res = await read();
    for (let i = 0; i < 20 && res.ok; i++) {
      await sleep(250);
      res = await read();
    }
    assert.equal(res.ok, false);
    assert.match(res.ok ? '' : res.reason, /exec into .* failed/);
  });

  test("a Multus pod of upstream v3.7's image (nfvpe/multus: no multus-cni in its name) runs on a simulated node",
    async (t) => {
      const node = env.nodes[env.nodes.length - 2] ?? '';
      const ns = await withNamespace(t, env);
      restoreNodeFileAfter(t, env, node);
      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'multus' } } });
      // Shaped like upstream v3.7's per-architecture DaemonSet's pods (labels, image, command, args).
      const pod = await core.createNamespacedPod({ namespace: ns, body: {
        metadata: { name: 'kube-multus-ds-amd64-v37', labels: { tier: 'node', app: 'multus', name: 'multus' } },
        spec: { nodeName: node, serviceAccountName: 'multus', hostNetwork: true,
          containers: [{ name: 'kube-multus', image: 'docker.io/nfvpe/multus:stable', command: ['/entrypoint.sh'],
            args: ['--multus-conf-file=auto', '--cni-version=0.3.1'],
            volumeMounts: [{ name: 'cni', mountPath: '/host/etc/cni/net.d' }] }],
          volumes: [{ name: 'cni', hostPath: { path: '/etc/cni/net.d' } }] },
      } });
      // Its entrypoint ran: the node's file now holds this pod's token.
      await waitFor(`${node}'s file written by the v3.7-shaped pod`,
        () => fileBoundTo(env.root, node) === pod.metadata?.uid, 30_000);
    });
});
