// Reliability: least privilege. rbac.yaml is installed into another namespace (mtr-platform, by the substitutions its
// header gives: support/install-rbac.ts), and every claim about what its service account may and may
// not do is proved by a real API call made with that account's own token: a refusal is a 403 from the API server
// (SelfSubjectAccessReview is only a supplement, at the end). Writes that could succeed are sent with dryRun=All, so
// a too-broad rule makes the test fail without changing the cluster. The other Multus layouts (upstream v3.7's
// per-architecture DaemonSets, a Helm-style label, k3s's CNI directory) and the job refusing to act without its guard
// rails: least-privilege-layouts.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, AuthenticationV1Api, AuthorizationV1Api, CoordinationV1Api, CoreV1Api, Exec, KubeConfig, OpenidApi,
  RbacAuthorizationV1Api, type V1Pod, type V1Status } from '@kubernetes/client-node';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPods } from '../../../local-cluster/seed/multus.ts';
import { recordMintedToken } from '../../../local-cluster/seed/token-log.ts';
import { readerPod } from '../../../scripts/cluster/reader-pod.ts';
import { DEFAULTS } from '../../../scripts/config/config.ts';
import { installRbac, installShippedRbac } from '../support/install-rbac.ts';
import { ctr, execPath, execRefusals, messageOf, ONE_FIELD, readerRefusals } from '../support/privilege-cases.ts';

const env = clusterEnv();
const admin = env.kc.makeApiClient(CoreV1Api);
const NS = 'mtr-platform';
const SA = 'multus-token-rotator';
const SUMMARY = 'multus-token-rotator-summary';
const LEASE = 'multus-token-rotator';
const ca = readFileSync(path.join(env.root, 'pki', 'ca.crt'));

let token = '';
let sa: KubeConfig;

/** The service account's own credentials, as a client-node KubeConfig (server and CA of the local cluster). */
function kubeconfigFor(tok: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server: env.server, caFile: path.join(env.root, 'pki', 'ca.crt'),
      skipTLSVerify: false }],
    users: [{ name: SA, token: tok }],
    contexts: [{ name: SA, cluster: 'local', user: SA }],
    currentContext: SA,
  });
  return kc;
}

/** A raw HTTPS call with the service account's token: status and body, nothing interpreted. */
function raw(method: string, urlPath: string, body?: unknown,
  contentType = 'application/json'): Promise<{ status: number; body: string }> {
  const url = new URL(urlPath, env.server);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, ca,
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': contentType }) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

const errCode = (e: unknown) => (e as { code?: number }).code;

/** The call is refused by the API server with 403 Forbidden. */
async function forbidden(what: string, call: () => Promise<unknown>): Promise<void> {
  const err = await call().then(() => undefined, (e: unknown) => e);
  assert.ok(err !== undefined, `${what}: the API server ALLOWED it`);
  assert.equal(errCode(err), 403, `${what}: expected 403, got ${String((err as Error).message ?? err)}`);
  assert.match(String((err as { body?: unknown }).body ?? ''), /forbidden/i, `${what}: a Forbidden status`);
}

async function allowed<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw new Error(`${what}: refused (${errCode(e)}): ${String((e as { body?: unknown }).body ?? e)}`);
  }
}

async function testPod(ns: string, name: string): Promise<V1Pod> {
  await admin.createNamespacedPod({ namespace: ns,
    body: { metadata: { name, labels: { app: name } },
      spec: { nodeName: env.nodes[0], containers: [{ name: 'app', image: 'app:1' }] } } });
  let pod: V1Pod | undefined;
  await waitFor(`pod ${ns}/${name} Ready`,
    async () => isReady(pod = await admin.readNamespacedPod({ name, namespace: ns })), 30_000);
  return pod as V1Pod;
}

async function multusPod(): Promise<V1Pod> {
  const p = (await multusPods(env)).find((x) => isReady(x));
  assert.ok(p, 'a Ready Multus pod in kube-system');
  return p;
}

before(async () => {
  installRbac(env, NS);
  const tr = await admin.createNamespacedServiceAccountToken({ name: SA, namespace: NS,
    body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  token = tr.status?.token ?? '';
  assert.ok(token, "a token for the rotator's service account");
  recordMintedToken(token, env.root);
  sa = kubeconfigFor(token);
  // RBAC reaches the authorizer through an informer: wait until the account's first rule is in force.
  const core = sa.makeApiClient(CoreV1Api);
  await waitFor('the rbac.yaml rules in force',
    () => core.listPodForAllNamespaces({ limit: 1 }).then(() => true, () => false), 30_000);
  // The policies reach admission through informers too: wait until a host-root pod is refused by them.
  const hostRoot = readerPod(readerInput(env.nodes[0] ?? ''));
  const v = hostRoot.spec?.volumes?.[0];
  if (v?.hostPath) v.hostPath.path = '/';
  await waitFor("rbac.yaml's policies in force",
    () =>
      core.createNamespacedPod({ namespace: 'kube-system', dryRun: 'All', body: hostRoot }).then(() => false,
        (e: unknown) =>
          /ValidatingAdmissionPolicy 'multus-token-rotator'/.test(String((e as { body?: unknown }).body))), 30_000);
});

after(async () => {
  // The other test files expect rbac.yaml as shipped (its cluster-scoped objects name the namespace
  // multus-token-rotator); this install's namespace goes.
  installShippedRbac(env);
  await admin.deleteNamespace({ name: NS }).catch(() => undefined);
});

describe('least privilege: what the rbac.yaml service account CANNOT do (each a real call answered 403)', () => {
  test('read Secrets: cluster-wide, in kube-system, in its own namespace, or one it knows the name of', async (t) => {
    const ns = await withNamespace(t, env);
    await admin.createNamespacedSecret({ namespace: ns,
      body: { metadata: { name: 'db-password' }, stringData: { password: 'hunter2' } } });
    const core = sa.makeApiClient(CoreV1Api);
    await forbidden('list Secrets in all namespaces', () => core.listSecretForAllNamespaces());
    await forbidden('list Secrets in kube-system', () => core.listNamespacedSecret({ namespace: 'kube-system' }));
    await forbidden('get a Secret in kube-system (403, not 404: refused before the lookup)',
      () => core.readNamespacedSecret({ name: 'any-secret', namespace: 'kube-system' }));
    await forbidden(`list Secrets in its own namespace ${NS}`, () => core.listNamespacedSecret({ namespace: NS }));
    await forbidden(`get the existing Secret ${ns}/db-password`,
      () => core.readNamespacedSecret({ name: 'db-password', namespace: ns }));
    // The admin can read it: the Secret is there, the refusal is the account's.
    assert.equal((await admin.readNamespacedSecret({ name: 'db-password', namespace: ns })).metadata?.name,
      'db-password');
    const watch = await raw('GET', '/api/v1/secrets?watch=true&timeoutSeconds=1');
    assert.equal(watch.status, 403, `watch Secrets: ${watch.body}`);
  });

  test('exec into a pod outside the Multus namespace (Exec class and raw POST), while kube-system is allowed', async (t) => {
    const ns = await withNamespace(t, env);
    const pod = await testPod(ns, 'victim');
    // 1. client-node's Exec: the websocket upgrade is refused with 403.
    const sink = () => new Writable({ write: (_c, _e, done) => done() });
    const err = await new Exec(sa).exec(ns, 'victim', 'app', ['cat', '/etc/hostname'], sink(), sink(), null, false)
      .then((ws) => {
        ws.close();
        return undefined;
      }, (e: unknown) => e);
    assert.ok(err !== undefined, 'exec into a pod of a test namespace was ALLOWED');
    assert.match(String((err as { message?: string }).message ?? err), /403/, 'the upgrade is answered 403');
    // 2. A raw POST to pods/exec: 403 Forbidden naming the subresource.
    const post = await raw('POST',
      `/api/v1/namespaces/${ns}/pods/victim/exec?container=app&command=cat&command=%2Fetc%2Fhostname&stdout=true`);
    assert.equal(post.status, 403, post.body);
    assert.match(post.body, /pods\/exec|"exec"/);
    assert.match(post.body, new RegExp(`system:serviceaccount:${NS}:${SA}`));
    // The same raw POST into a Multus pod in kube-system passes authorization (it then wants a stream upgrade):
    // the refusal above is about the namespace, not the form of the request.
    const m = await multusPod();
    const ok = await raw('POST', `/api/v1/namespaces/kube-system/pods/${m.metadata?.name}/exec?container=kube-multus` +
      `&command=cat&command=${encodeURIComponent(DEFAULTS.kubeconfigPath)}&stdout=true`);
    assert.notEqual(ok.status, 403, `exec into kube-system is what rbac.yaml grants: ${ok.body}`);
    assert.ok(pod.metadata?.uid);
  });

  test('delete a pod outside kube-system (even as a dry run); a Multus pod in kube-system it may', async (t) => {
    const ns = await withNamespace(t, env);
    const pod = await testPod(ns, 'victim');
    const core = sa.makeApiClient(CoreV1Api);
    await forbidden(`delete pod ${ns}/victim`,
      () => core.deleteNamespacedPod({ name: 'victim', namespace: ns, dryRun: 'All' }));
    await forbidden(`delete all pods in ${ns}`,
      () => core.deleteCollectionNamespacedPod({ namespace: ns, dryRun: 'All' }));
    await forbidden(`create a pod in ${ns}`,
      () =>
        core.createNamespacedPod({ namespace: ns, dryRun: 'All',
          body: { metadata: { name: 'intruder' }, spec: { containers: [{ name: 'c', image: 'c:1' }] } } }));
    assert.equal((await admin.readNamespacedPod({ name: 'victim', namespace: ns })).metadata?.uid, pod.metadata?.uid);
    const m = await multusPod();
    await allowed('delete a Multus pod in kube-system (dry run)',
      () => core.deleteNamespacedPod({ name: m.metadata?.name ?? '', namespace: 'kube-system', dryRun: 'All' }));
    const still = await admin.readNamespacedPod({ name: m.metadata?.name ?? '', namespace: 'kube-system' });
    assert.equal(still.metadata?.uid, m.metadata?.uid, 'the dry run changed nothing');
    assert.equal(still.metadata?.deletionTimestamp, undefined);
  });

  test('write a ConfigMap other than its summary; create is allowed by RBAC (a rule cannot limit create to a name)',
    async (t) => {
      const core = sa.makeApiClient(CoreV1Api);
      const other = `someone-elses-${Date.now()}`;
      await admin.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: other }, data: { k: 'v' } } });
      t.after(() => admin.deleteNamespacedConfigMap({ name: other, namespace: NS }).catch(() => undefined));
      const summaryExisted = await admin.readNamespacedConfigMap({ name: SUMMARY, namespace: NS }).then(() => true,
        (e: unknown) => {
          if (errCode(e) === 404) return false;
          throw e;
        });
      if (!summaryExisted) {
        await admin.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: SUMMARY }, data: {} } });
        t.after(() => admin.deleteNamespacedConfigMap({ name: SUMMARY, namespace: NS }).catch(() => undefined));
      }
      const body = { metadata: { name: other, namespace: NS }, data: { k: 'changed' } };
      await forbidden(`update ConfigMap ${NS}/${other}`,
        () => core.replaceNamespacedConfigMap({ name: other, namespace: NS, body, dryRun: 'All' }));
      const patch = await raw('PATCH', `/api/v1/namespaces/${NS}/configmaps/${other}?dryRun=All`, { data: { k: 'x' } },
        'application/merge-patch+json');
      assert.equal(patch.status, 403, `patch ConfigMap ${other}: ${patch.body}`);
      await forbidden(`get ConfigMap ${NS}/${other}`,
        () => core.readNamespacedConfigMap({ name: other, namespace: NS }));
      await forbidden(`delete ConfigMap ${NS}/${other}`,
        () => core.deleteNamespacedConfigMap({ name: other, namespace: NS, dryRun: 'All' }));
      await forbidden(`delete its own summary ${NS}/${SUMMARY}`,
        () => core.deleteNamespacedConfigMap({ name: SUMMARY, namespace: NS, dryRun: 'All' }));
      await forbidden(`list ConfigMaps in ${NS}`, () => core.listNamespacedConfigMap({ namespace: NS }));
      await forbidden('create a ConfigMap in kube-system',
        () =>
          core.createNamespacedConfigMap({ namespace: 'kube-system', dryRun: 'All',
            body: { metadata: { name: 'x' } } }));
      assert.equal((await admin.readNamespacedConfigMap({ name: other, namespace: NS })).data?.k, 'v', 'unchanged');
      // Allowed, on purpose: get and update its own summary; create any name in its own namespace (RBAC cannot limit
      // create by resourceNames). A ConfigMap it creates under another name it can then neither read nor change.
      const own = await allowed('get its own summary',
        () => core.readNamespacedConfigMap({ name: SUMMARY, namespace: NS }));
      await allowed('update its own summary (dry run)',
        () => core.replaceNamespacedConfigMap({ name: SUMMARY, namespace: NS, dryRun: 'All', body: own }));
      await allowed(`create a ConfigMap of any name in ${NS} (dry run): allowed by rbac.yaml`,
        () =>
          core.createNamespacedConfigMap({ namespace: NS, dryRun: 'All', body: { metadata: { name: 'any-name' } } }));
    });

  test('update a Lease other than its own', async (t) => {
    const coord = sa.makeApiClient(CoordinationV1Api);
    const adminCoord = env.kc.makeApiClient(CoordinationV1Api);
    const other = `someone-elses-lease-${Date.now()}`;
    await adminCoord.createNamespacedLease({ namespace: NS,
      body: { metadata: { name: other }, spec: { holderIdentity: 'someone', leaseDurationSeconds: 60 } } });
    t.after(() => adminCoord.deleteNamespacedLease({ name: other, namespace: NS }).catch(() => undefined));
    const existed = await adminCoord.readNamespacedLease({ name: LEASE, namespace: NS }).then(() => true,
      (e: unknown) => {
        if (errCode(e) === 404) return false;
        throw e;
      });
    if (!existed) {
      await adminCoord.createNamespacedLease({ namespace: NS, body: { metadata: { name: LEASE }, spec: {} } });
      t.after(() => adminCoord.deleteNamespacedLease({ name: LEASE, namespace: NS }).catch(() => undefined));
    }
    await forbidden(`update Lease ${NS}/${other}`,
      () =>
        coord.replaceNamespacedLease({ name: other, namespace: NS, dryRun: 'All',
          body: { metadata: { name: other, namespace: NS }, spec: { holderIdentity: 'rotator' } } }));
    const patch = await raw('PATCH', `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${other}?dryRun=All`, {
      spec: { holderIdentity: 'rotator' },
    }, 'application/merge-patch+json');
    assert.equal(patch.status, 403, `patch Lease ${other}: ${patch.body}`);
    await forbidden(`get Lease ${NS}/${other}`, () => coord.readNamespacedLease({ name: other, namespace: NS }));
    await forbidden(`delete Lease ${NS}/${other}`,
      () => coord.deleteNamespacedLease({ name: other, namespace: NS, dryRun: 'All' }));
    await forbidden("update the kube-system Leases (e.g. the controller manager's)",
      () =>
        coord.replaceNamespacedLease({
          name: 'kube-controller-manager',
          namespace: 'kube-system',
          dryRun: 'All',
          body: { metadata: { name: 'kube-controller-manager', namespace: 'kube-system' }, spec: {} },
        }));
    const own = await allowed('get its own Lease', () => coord.readNamespacedLease({ name: LEASE, namespace: NS }));
    await allowed('update its own Lease (dry run)',
      () => coord.replaceNamespacedLease({ name: LEASE, namespace: NS, dryRun: 'All', body: own }));
  });

  test('patch a Node', async () => {
    const node = env.nodes[0] ?? '';
    const r = await raw('PATCH', `/api/v1/nodes/${node}?dryRun=All`, { metadata: { labels: { pwned: 'true' } } },
      'application/merge-patch+json');
    assert.equal(r.status, 403, r.body);
    assert.match((JSON.parse(r.body) as { message: string }).message, /cannot patch resource "nodes"/);
    const core = sa.makeApiClient(CoreV1Api);
    const n = await allowed('get the Node (allowed: it judges Ready/schedulable)', () => core.readNode({ name: node }));
    await forbidden(`update Node ${node} (e.g. cordon)`,
      () => core.replaceNode({ name: node, dryRun: 'All', body: { ...n, spec: { ...n.spec, unschedulable: true } } }));
    await forbidden(`delete Node ${node}`, () => core.deleteNode({ name: node, dryRun: 'All' }));
    const status = await raw('PATCH', `/api/v1/nodes/${node}/status?dryRun=All`, { status: { conditions: [] } },
      'application/merge-patch+json');
    assert.equal(status.status, 403, status.body);
    assert.equal((await admin.readNode({ name: node })).metadata?.labels?.pwned, undefined);
  });

  test('create or delete DaemonSets (its own Multus DaemonSet included)', async (t) => {
    const ns = await withNamespace(t, env);
    const apps = sa.makeApiClient(AppsV1Api);
    const ds = (namespace: string) => ({ metadata: { name: 'intruder', namespace }, spec: {
      selector: { matchLabels: { app: 'intruder' } },
      template: { metadata: { labels: { app: 'intruder' } }, spec: { containers: [{ name: 'c', image: 'c:1' }] } },
    } });
    await forbidden('create a DaemonSet in kube-system',
      () => apps.createNamespacedDaemonSet({ namespace: 'kube-system', dryRun: 'All', body: ds('kube-system') }));
    await forbidden(`create a DaemonSet in ${ns}`,
      () => apps.createNamespacedDaemonSet({ namespace: ns, dryRun: 'All', body: ds(ns) }));
    const multusDs =
      (await env.kc.makeApiClient(AppsV1Api).listNamespacedDaemonSet({ namespace: 'kube-system' })).items[0];
    assert.ok(multusDs?.metadata?.name, 'the Multus DaemonSet');
    await forbidden(`delete DaemonSet kube-system/${multusDs.metadata.name}`, () =>
      apps.deleteNamespacedDaemonSet({
        name: multusDs.metadata?.name ?? '',
        namespace: 'kube-system',
        dryRun: 'All',
      }));
    await forbidden('delete all DaemonSets in kube-system', () =>
      apps.deleteCollectionNamespacedDaemonSet({
        namespace: 'kube-system',
        dryRun: 'All',
      }));
    await forbidden(`update DaemonSet kube-system/${multusDs.metadata.name}`, () =>
      apps.replaceNamespacedDaemonSet({
        name: multusDs.metadata?.name ?? '',
        namespace: 'kube-system',
        dryRun: 'All',
        body: multusDs,
      }));
  });

  test('and more it has no need for: mint tokens, escalate or read RBAC, read service accounts beyond get in kube-system', async () => {
    const core = sa.makeApiClient(CoreV1Api);
    await forbidden('request a token for the multus service account (serviceaccounts/token)',
      () =>
        core.createNamespacedServiceAccountToken({ name: 'multus', namespace: 'kube-system', dryRun: 'All',
          body: { spec: { audiences: [] } } }));
    await forbidden('request a token for itself',
      () =>
        core.createNamespacedServiceAccountToken({ name: SA, namespace: NS, dryRun: 'All',
          body: { spec: { audiences: [] } } }));
    const rbac = sa.makeApiClient(RbacAuthorizationV1Api);
    await forbidden('bind itself to cluster-admin', () =>
      rbac.createClusterRoleBinding({ dryRun: 'All', body: {
        metadata: { name: 'mtr-escalate' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: SA, namespace: NS }],
      } }));
    await forbidden('read its own ClusterRole', () => rbac.readClusterRole({ name: 'multus-token-rotator' }));
    await forbidden("read the Multus namespace's service accounts other than by name (list)",
      () => core.listNamespacedServiceAccount({ namespace: 'kube-system' }));
    await forbidden('read a service account outside kube-system',
      () => core.readNamespacedServiceAccount({ name: SA, namespace: NS }));
  });

  test('create a pod in its own namespace (it never needs to)', async () => {
    await forbidden(`create a pod in ${NS}`,
      () =>
        sa.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: NS, dryRun: 'All',
          body: readerPod({ ...readerInput(env.nodes[0] ?? ''), namespace: NS }) }));
  });
});

// RBAC allows creating pods in kube-system (for the reader pod); nothing in RBAC can say which pod. rbac.yaml's
// admission policy admits exactly the pod scripts/cluster/reader-pod.ts builds. Each case (support/privilege-cases.ts)
// is that admitted pod with ONE field changed, sent with dryRun=All (nothing starts), and must be refused by the rule
// that names that field: a case that is refused for any other reason fails. The unchanged pod is admitted first, so
// each refusal can only come from the field that differs.
const readerInput = (node: string) => ({ namespace: 'kube-system', node, image: DEFAULTS.readerImage,
  hostPath: '/etc/cni/net.d', mountPath: '/host/etc/cni/net.d', filePath: DEFAULTS.kubeconfigPath,
  timeoutMs: DEFAULTS.readTimeoutMs });
describe('least privilege: the admission policy admits exactly the reader pod', () => {
  test('the reader pod the job builds is admitted (dry run)', async () => {
    await allowed('create the reader pod in kube-system (dry run)', () =>
      sa.makeApiClient(CoreV1Api)
        .createNamespacedPod({ namespace: 'kube-system', dryRun: 'All',
          body: readerPod(readerInput(env.nodes[0] ?? '')) }));
  });

  test(`each pod differing from it by one field is refused by the rule for that field (${ONE_FIELD.length} cases)`, async () => {
    const wrong = await readerRefusals(sa.makeApiClient(CoreV1Api), 'kube-system',
      readerPod(readerInput(env.nodes[0] ?? '')));
    assert.deepEqual(wrong, [], 'each one-field variant refused by its own rule');
  });
});

describe('least privilege: exec and delete in the Multus namespace', () => {
  test("exec: only cat of the exact configured path, only into a Multus pod's container or a reader pod", async (t) => {
    const m = await multusPod();
    const name = m.metadata?.name ?? '';
    assert.match(name, /^kube-multus-ds-[a-z0-9]{5}$/, 'a Multus DaemonSet pod');
    // A pod in kube-system that is not Multus, with a container named like Multus's (made by the admin).
    await admin.createNamespacedPod({ namespace: 'kube-system',
      body: { metadata: { name: 'mtr-lp-victim' },
        spec: { nodeName: env.nodes[0], hostNetwork: true, containers: [{ name: 'kube-multus', image: 'app:1' }] } } });
    t.after(() =>
      admin.deleteNamespacedPod({ name: 'mtr-lp-victim', namespace: 'kube-system', gracePeriodSeconds: 0 })
        .catch(() => undefined)
    );
    const PATH = DEFAULTS.kubeconfigPath;
    // Allowed: authorization and admission pass (a plain POST then wants a stream upgrade: 400, nothing runs).
    const ok = await raw('POST', execPath('kube-system', name, 'kube-multus', { command: ['cat', PATH] }));
    assert.equal(ok.status, 400, `cat of the configured path in the Multus container: ${ok.body}`);
    assert.match(messageOf(ok.body), /Upgrade request required/);
    const wrong = await execRefusals((p) => raw('POST', p), 'kube-system', name, 'kube-multus', PATH, 'mtr-lp-victim');
    assert.deepEqual(wrong, [], "each exec refused by the exec policy's rule for it");
  });

  test('delete: a kube-system pod that is neither Multus nor its reader is refused', async (t) => {
    await admin.createNamespacedPod({ namespace: 'kube-system',
      body: { metadata: { name: 'mtr-lp-bystander', labels: { app: 'not-multus' } },
        spec: { nodeName: env.nodes[0], hostNetwork: true, containers: [{ name: 'c', image: 'app:1' }] } } });
    t.after(() =>
      admin.deleteNamespacedPod({ name: 'mtr-lp-bystander', namespace: 'kube-system', gracePeriodSeconds: 0 })
        .catch(() => undefined)
    );
    const err = await sa.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: 'mtr-lp-bystander',
      namespace: 'kube-system', dryRun: 'All' }).then(() => undefined, (e: unknown) => e);
    assert.ok(err !== undefined, 'deleting a bystander pod in kube-system was ALLOWED');
    assert.match(String((err as { body?: unknown }).body ?? ''),
      /ValidatingAdmissionPolicy 'multus-token-rotator-delete'/);
  });

  test('its own namespace: every pod there, by anyone, is held to "restricted" but for hostNetwork', async () => {
    const base = (): V1Pod => ({ metadata: { name: 'ns-probe' },
      spec: { hostNetwork: true, restartPolicy: 'Never',
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{ name: 'c', image: 'app:1',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] },
            readOnlyRootFilesystem: true } }] } });
    await allowed("a restricted pod with hostNetwork (the job's shape), as the admin",
      () => admin.createNamespacedPod({ namespace: NS, dryRun: 'All', body: base() }));
    const cases: [string, (p: V1Pod) => void][] = [
      ['hostPath /', (p) => {
        p.spec!.volumes = [{ name: 'r', hostPath: { path: '/' } }];
      }],
      ['privileged', (p) => {
        ctr(p).securityContext!.privileged = true;
        delete ctr(p).securityContext!.allowPrivilegeEscalation;
      }],
      ['root', (p) => {
        p.spec!.securityContext!.runAsUser = 0;
        p.spec!.securityContext!.runAsNonRoot = false;
      }],
      ['hostPID', (p) => {
        p.spec!.hostPID = true;
      }],
      ['a capability', (p) => {
        ctr(p).securityContext!.capabilities = { add: ['SYS_ADMIN'] };
      }],
    ];
    for (const [what, change] of cases) {
      const pod = base();
      change(pod);
      const err = await admin.createNamespacedPod({ namespace: NS, dryRun: 'All', body: pod }).then(() => undefined,
        (e: unknown) => e);
      assert.ok(err !== undefined, `${what} in ${NS} was ADMITTED`);
      assert.match(String((err as { body?: unknown }).body ?? ''),
        /ValidatingAdmissionPolicy 'multus-token-rotator-namespace'/, what);
    }
  });
});

describe('least privilege: what it CAN do (each a real call that succeeds)', () => {
  test(
    'list pods cluster-wide, list nodes and budgets, evict (dryRun=All), review a token, read the JWKS, exec into Multus',
    async (t) => {
      const core = sa.makeApiClient(CoreV1Api);
      const all = await allowed('list pods in all namespaces', () => core.listPodForAllNamespaces());
      assert.ok(all.items.some((p) => p.metadata?.namespace === 'kube-system'), 'it sees the Multus pods');
      assert.ok((await allowed('list nodes', () => core.listNode())).items.length >= 1);

      const ns = await withNamespace(t, env);
      const pod = await testPod(ns, 'evictee');
      const eviction = await allowed('create an eviction (dryRun=All)', () =>
        core.createNamespacedPodEviction({
          name: 'evictee',
          namespace: ns,
          body: { metadata: { name: 'evictee', namespace: ns }, deleteOptions: { dryRun: ['All'] } },
        }));
      assert.ok(eviction, 'an eviction reply');
      const still = await admin.readNamespacedPod({ name: 'evictee', namespace: ns });
      assert.equal(still.metadata?.uid, pod.metadata?.uid, 'the dry-run eviction left the pod alone');
      assert.equal(still.metadata?.deletionTimestamp, undefined);

      const review = await allowed('create a TokenReview',
        () =>
          sa.makeApiClient(AuthenticationV1Api).createTokenReview({
            body: { spec: { token } },
          }));
      assert.equal(review.status?.authenticated, true);
      assert.equal(review.status?.user?.username, `system:serviceaccount:${NS}:${SA}`);

      const jwks = await allowed('read /openid/v1/jwks',
        () => sa.makeApiClient(OpenidApi).getServiceAccountIssuerOpenIDKeyset());
      const keys = (typeof jwks === 'string' ? JSON.parse(jwks) : jwks) as { keys?: { kid?: string }[] };
      assert.ok((keys.keys ?? []).length >= 1 && keys.keys?.[0]?.kid, "the JWKS holds the cluster's key(s)");

      // A real exec into a Multus container (what the scan does), reading a file that holds no token.
      const m = await multusPod();
      let out = '';
      let status: V1Status | undefined;
      const stdout = new Writable({ write: (c: Buffer, _e, done) => {
        out += c.toString();
        done();
      } });
      const stderr = new Writable({ write: (_c, _e, done) => done() });
      const ws = await allowed('exec into a Multus pod in kube-system',
        () =>
          new Exec(sa).exec('kube-system', m.metadata?.name ?? '', 'kube-multus', ['cat',
            '/host/etc/cni/net.d/multus.d/multus.kubeconfig'], stdout, stderr, null, false, (s) => {
            status = s;
          }));
      await new Promise<void>((
        resolve,
      ) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())));
      assert.equal(status?.status, 'Success', JSON.stringify(status));
      assert.match(out, /current-context: multus-context/);
      // Any other command, even a harmless cat of another file, is refused by rbac.yaml's exec policy.
      const refused = await new Exec(sa).exec('kube-system', m.metadata?.name ?? '', 'kube-multus', ['cat',
        '/host/etc/cni/net.d/00-multus.conf'], stdout, stderr, null, false).then(() => undefined, (e: unknown) => e);
      assert.ok(refused !== undefined, 'exec of another command was allowed');
    },
  );
});

describe('least privilege: SelfSubjectAccessReview agrees (a supplement to the calls above)', () => {
  test("the authorizer's view of each rule", async () => {
    const authz = sa.makeApiClient(AuthorizationV1Api);
    const can = async (
      a: { verb: string; resource: string; group?: string; namespace?: string; name?: string; subresource?: string },
    ) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: {
        verb: a.verb,
        resource: a.resource,
        group: a.group ?? '',
        namespace: a.namespace,
        name: a.name,
        subresource: a.subresource,
      } } } })).status?.allowed === true;
    const cases: [boolean, Parameters<typeof can>[0]][] = [
      [false, { verb: 'list', resource: 'secrets' }],
      [false, { verb: 'get', resource: 'secrets', namespace: 'kube-system' }],
      [false, { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'default' }],
      [true, { verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'kube-system' }],
      [false, { verb: 'delete', resource: 'pods', namespace: 'default' }],
      [true, { verb: 'delete', resource: 'pods', namespace: 'kube-system' }],
      [false, { verb: 'update', resource: 'configmaps', namespace: NS, name: 'other' }],
      [true, { verb: 'update', resource: 'configmaps', namespace: NS, name: SUMMARY }],
      [true, { verb: 'create', resource: 'configmaps', namespace: NS }],
      [false, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: 'other' }],
      [true, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NS, name: LEASE }],
      [false, { verb: 'patch', resource: 'nodes' }],
      [false, { verb: 'create', resource: 'daemonsets', group: 'apps', namespace: 'kube-system' }],
      [false, { verb: 'delete', resource: 'daemonsets', group: 'apps', namespace: 'kube-system' }],
      [true, { verb: 'list', resource: 'pods' }],
      [true, { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' }],
      [true, { verb: 'create', resource: 'tokenreviews', group: 'authentication.k8s.io' }],
    ];
    for (const [expected, attrs] of cases) {
      assert.equal(await can(attrs), expected, `SelfSubjectAccessReview ${JSON.stringify(attrs)}`);
    }
  });
});
