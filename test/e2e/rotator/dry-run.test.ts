// Part 1 end to end: the dry run finds every node's real token through pods/exec (or a reader pod), classifies it,
// plans by node, prints the plan and writes the summary ConfigMap — the same from a local run and an in-cluster run
// with the rbac.yaml service account.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { AppsV1Api, BatchV1Api, CoreV1Api, PolicyV1Api, type V1Pod } from '@kubernetes/client-node';
import { kubectlPath, nodeKubeconfigFile, repoRoot } from '../../../local-cluster/cluster.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPodOn, restoreNodeFileAfter,
  startDistrolessMultus } from '../../../local-cluster/seed/multus.ts';
import { legacyToken, mintToken, multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { inClusterEnv, runLocal, runRotator } from '../support/run-rotator.ts';
import { boundClaims, boundToken } from '../../../local-cluster/seed/tokens.ts';

const env = clusterEnv();

function kubectl(e: typeof env, args: string[]): string {
  return execFileSync(kubectlPath(), ['--kubeconfig', e.kubeconfig, ...args], { encoding: 'utf8' });
}
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);

interface Finding {
  node: string;
  class: string;
  reason: string;
  fingerprint?: string;
  readVia?: string;
}
interface Verdict {
  namespace: string;
  name: string;
  action: string;
  reason: string;
  override?: string;
}
interface Step {
  node: string;
  class: string;
  multusPod: { name: string };
  pods: Verdict[];
}
interface Result {
  findings: Finding[];
  plan: { steps: Step[]; deferred: { node: string; reason: string }[]; skipped: { node: string }[] };
}

function parse(stdout: string): Result {
  return JSON.parse(stdout) as Result;
}

const podOn = (node: string): Promise<V1Pod> => multusPodOn(env, node);

before(() => {
  assert.ok(env.nodes.length >= 6, `this suite needs 6 nodes, the running cluster has ${env.nodes.length}: ` +
    'npm run cluster:down, then run the tests again');
});

describe('dry run: classification', () => {
  test('each node is classified from the token its file really holds', async (t) => {
    const [nHealthy, nExpiring, nExpired, nForeign, nLegacy, nGone] = env.nodes;
    for (const n of env.nodes) restoreNodeFileAfter(t, env, n);
    const ns = await withNamespace(t, env);

    writeNodeFile(t, env.root, nExpiring!, multusKubeconfig(await boundToken(env, await podOn(nExpiring!), 2 * 3600)));
    writeNodeFile(t, env.root, nExpired!, multusKubeconfig(await boundToken(env, await podOn(nExpired!), -600)));
    writeNodeFile(t, env.root, nForeign!, multusKubeconfig(
      await mintToken(env.root, { signer: 'foreign',
        claims: { ...(await boundClaims(env, await podOn(nForeign!))),
          exp: Math.floor(Date.now() / 1000) + 86400 * 300 } }),
    ));
    writeNodeFile(t, env.root, nLegacy!, multusKubeconfig(await legacyToken(env.kc, 'kube-system', 'multus')));
    t.after(() =>
      core.deleteNamespacedSecret({ name: 'multus-legacy-token', namespace: 'kube-system' }).catch(() => undefined)
    );

    // A token bound to a pod that is gone: restart the node's Multus pod, then put the old file back, as if the new
    // pod had not rewritten it.
    const old = await podOn(nGone!);
    const oldFile = readFileSync(nodeKubeconfigFile(env.root, nGone!));
    await core.deleteNamespacedPod({ name: old.metadata?.name ?? '', namespace: 'kube-system' });
    await waitFor('the replacement Multus pod', async () => {
      const p = await podOn(nGone!).catch(() => undefined);
      return p !== undefined && p.metadata?.uid !== old.metadata?.uid && isReady(p);
    }, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // let the simulator write its file first
    writeNodeFile(t, env.root, nGone!, oldFile);

    const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns]);
    assert.equal(run.code, 3, `exit 3 (attention): ${run.stderr}`);
    const byNode = new Map(parse(run.stdout).findings.map((f) => [f.node, f]));
    const cls = (n: string | undefined) => byNode.get(n ?? '')?.class;
    assert.equal(cls(nHealthy), 'healthy', byNode.get(nHealthy ?? '')?.reason);
    assert.equal(cls(nExpiring), 'expiring', byNode.get(nExpiring ?? '')?.reason);
    assert.equal(cls(nExpired), 'expired', byNode.get(nExpired ?? '')?.reason);
    assert.equal(cls(nForeign), 'invalid', byNode.get(nForeign ?? '')?.reason);
    assert.match(byNode.get(nForeign ?? '')?.reason ?? '', /sign|key/i);
    assert.equal(cls(nLegacy), 'legacy', byNode.get(nLegacy ?? '')?.reason);
    assert.equal(cls(nGone), 'invalid', byNode.get(nGone ?? '')?.reason);
    assert.match(byNode.get(nGone ?? '')?.reason ?? '', /gone|invalidated|not found|bound/i);
    for (const f of byNode.values()) assert.equal(f.readVia, 'exec');

    // Plan: invalid and expired first, then expiring; healthy and legacy need nothing.
    const plan = parse(run.stdout).plan;
    const order = plan.steps.map((s) => s.node);
    assert.deepEqual(new Set(order.slice(0, 3)), new Set([nExpired, nForeign, nGone]));
    assert.equal(order[3], nExpiring);
    assert.deepEqual(plan.skipped.map((s) => s.node).sort(), [nHealthy, nLegacy].sort());
  });

  test('garbage, a missing file, a thick plugin and a distroless image', async (t) => {
    const [nGarbage, nMissing, nThick, nDistroless] = env.nodes;
    for (const n of env.nodes) restoreNodeFileAfter(t, env, n);
    const ns = await withNamespace(t, env);
    writeNodeFile(t, env.root, nGarbage!, Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x41, 0x0a]));
    rmSync(nodeKubeconfigFile(env.root, nMissing!));
    // A thick-plugin Multus pod (multus-daemon) on a node: it refreshes its own token.
    await core.createNamespacedPod({
      namespace: 'kube-system',
      body: {
        metadata: { name: `multus-thick-${nThick}`, labels: { app: 'multus' },
          annotations: { 'sim.mtr.local/entrypoint': 'none' } },
        spec: { nodeName: nThick, serviceAccountName: 'multus', hostNetwork: true,
          containers: [{ name: 'kube-multus', image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.2-thick',
            command: ['/usr/src/multus-cni/bin/multus-daemon'] }] },
      },
    });
    t.after(() =>
      core.deleteNamespacedPod({ name: `multus-thick-${nThick}`, namespace: 'kube-system', gracePeriodSeconds: 0 })
        .catch(() => undefined)
    );
    const thin = await startDistrolessMultus(t, env, 'kube-system', nDistroless!);
    t.after(() =>
      core.deleteNamespacedPod({ name: thin.metadata?.name ?? '', namespace: 'kube-system', gracePeriodSeconds: 0 })
        .catch(() => undefined)
    );
    await waitFor('the thick pod Ready',
      async () => isReady(await core.readNamespacedPod({ name: `multus-thick-${nThick}`, namespace: 'kube-system' })),
      30_000);

    const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--read-timeout', '20s']);
    const byNode = new Map(parse(run.stdout).findings.map((f) => [f.node, f]));
    assert.equal(byNode.get(nGarbage ?? '')?.class, 'invalid', run.stderr);
    assert.match(byNode.get(nGarbage ?? '')?.reason ?? '', /malformed/);
    assert.equal(byNode.get(nMissing ?? '')?.class, 'unreadable');
    assert.match(byNode.get(nMissing ?? '')?.reason ?? '', /No such file|exec/i);
    assert.equal(byNode.get(nThick ?? '')?.class, 'self-refreshing');
    assert.equal(byNode.get(nDistroless ?? '')?.class, 'healthy', byNode.get(nDistroless ?? '')?.reason);
    assert.equal(byNode.get(nDistroless ?? '')?.readVia, 'reader-pod');
    // The reader pod cleaned up after itself.
    await waitFor('no reader pods left',
      async () =>
        (await core.listNamespacedPod({ namespace: 'kube-system',
          labelSelector: 'app.kubernetes.io/name=multus-token-rotator-reader' })).items.length === 0, 30_000);
    // An unreadable node is never acted on: nothing is restarted on a guess.
    const plan = parse(run.stdout).plan;
    assert.ok(!plan.steps.some((s) => s.node === nMissing));
    assert.equal(run.code, 3);
  });
});

describe('dry run: plan and report', () => {
  test('the plan filters the pods of a node like kubectl drain, and the summary holds no token', async (t) => {
    const node = env.nodes[1] ?? '';
    restoreNodeFileAfter(t, env, node);
    const ns = await withNamespace(t, env);
    const net = { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' };
    const pin = { nodeName: node };
    const container = [{ name: 'app', image: 'app:1' }];
    const deploy = (name: string, annotations: Record<string, string>, extra: Record<string, unknown> = {}) =>
      apps.createNamespacedDeployment({ namespace: ns,
        body: { metadata: { name },
          spec: { replicas: 1, selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name }, annotations },
              spec: { ...pin, containers: container, ...extra } } } } });
    await deploy('web', net);
    await deploy('db', net);
    await deploy('plain', {});
    await deploy('cache', net, { volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [{ ...container[0], volumeMounts: [{ name: 'scratch', mountPath: '/tmp' }] }] });
    await deploy('hostnet', net, { hostNetwork: true });
    await deploy('optout', { ...net, 'multus-token-rotator.io/skip': 'true' });
    await core.createNamespacedPod({ namespace: ns,
      body: { metadata: { name: 'bare', annotations: net }, spec: { ...pin, containers: container } } });
    await env.kc.makeApiClient(BatchV1Api).createNamespacedJob({ namespace: ns,
      body: { metadata: { name: 'job' }, spec: {
        template: { metadata: { annotations: net }, spec: { ...pin, restartPolicy: 'Never', containers: container } },
      } } });
    await env.kc.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({ namespace: ns,
      body: { metadata: { name: 'db' }, spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'db' } } } } });
    await waitFor('the workloads Ready and the budget observed', async () => {
      const d = await apps.listNamespacedDeployment({ namespace: ns });
      const pdb = await env.kc.makeApiClient(PolicyV1Api).readNamespacedPodDisruptionBudget({ name: 'db',
        namespace: ns });
      return d.items.every((x) => x.status?.readyReplicas === 1) &&
        pdb.status?.observedGeneration === pdb.metadata?.generation;
    }, 60_000);
    writeNodeFile(t, env.root, node, multusKubeconfig(await boundToken(env, await podOn(node), 3600)));

    const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--dependents', 'secondary-networks']);
    const step = parse(run.stdout).plan.steps.find((s) => s.node === node);
    assert.ok(step, `a step for ${node}: ${run.stderr}`);
    const verdict = (prefix: string) => step.pods.find((p) => p.namespace === ns && p.name.startsWith(prefix));
    assert.equal(verdict('web')?.action, 'restart');
    assert.equal(verdict('db')?.action, 'blocked');
    assert.match(verdict('db')?.reason ?? '', new RegExp(`${ns}/db`));
    assert.equal(verdict('cache')?.action, 'refused');
    assert.equal(verdict('cache')?.override, '--allow-local-storage');
    assert.equal(verdict('hostnet')?.action, 'skip');
    assert.equal(verdict('optout')?.action, 'skip');
    assert.equal(verdict('bare')?.action, 'manual');
    assert.equal(verdict('plain'), undefined, 'a pod that asks for no secondary network is not a dependent');
    assert.ok(!['restart'].includes(verdict('job')?.action ?? 'skip'), 'a Job pod is never restarted');

    // The summary ConfigMap: findings and plan, flat keys, and no token anywhere.
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    const all = JSON.stringify(cm.data);
    assert.match(cm.data?.['summary.yaml'] ?? '', new RegExp(node));
    assert.equal(cm.data?.['exit-code'], '3');
    assert.ok(cm.data?.['nodes-by-class']?.includes('expiring=1'));
    const tokens = env.nodes.map((n) =>
      /token: "([^"]+)"/.exec(readFileSync(nodeKubeconfigFile(env.root, n), 'utf8'))?.[1]
    )
      .filter((x): x is string => Boolean(x));
    assert.ok(tokens.length > 0);
    for (const tok of tokens) {
      assert.ok(!all.includes(tok), 'no token in the summary');
      assert.ok(!run.stdout.includes(tok) && !run.stderr.includes(tok), 'no token in the output');
      assert.ok(!all.includes(tok.split('.')[2] ?? 'x'), "not even a token's signature");
    }
    // A second run adds to the history.
    await runLocal(env, ['-o', 'json', '--summary-namespace', ns]);
    const cm2 = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    assert.ok((cm2.data?.['history.yaml'] ?? '').split('startedAt').length - 1 >= 2, 'history has two runs');
  });

  test('the table output is readable, and --max-nodes defers the rest with a reason', async (t) => {
    const ns = await withNamespace(t, env);
    const [a, b] = env.nodes;
    for (const n of [a, b]) restoreNodeFileAfter(t, env, n ?? '');
    writeNodeFile(t, env.root, a!, multusKubeconfig(await boundToken(env, await podOn(a!), 3600)));
    writeNodeFile(t, env.root, b!, multusKubeconfig(await boundToken(env, await podOn(b!), 7200)));
    const run = await runLocal(env, ['--summary-namespace', ns, '--max-nodes', '1']);
    assert.equal(run.code, 3);
    assert.match(run.stdout, /NODE\s+CLASS/);
    assert.match(run.stdout, new RegExp(`${a}.*expiring`));
    assert.match(run.stdout, /--max-nodes/);
    assert.match(run.stdout, /--execute/);
  });
});

describe('metrics', () => {
  test("--pushgateway receives the run's figures, and no token", async (t) => {
    const ns = await withNamespace(t, env);
    const bodies: { url: string; method: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        bodies.push({ url: req.url ?? '', method: req.method ?? '', body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    t.after(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const run = await runLocal(env, ['-o', 'json', '--summary-namespace', ns, '--pushgateway',
      `http://127.0.0.1:${port}`]);
    assert.equal(bodies.length, 1, run.stderr);
    assert.equal(bodies[0]?.method, 'PUT');
    assert.equal(bodies[0]?.url, '/metrics/job/multus-token-rotator');
    const text = bodies[0]?.body ?? '';
    assert.match(text, /^multus_token_rotator_earliest_token_expiry_timestamp_seconds \d+/m);
    assert.match(text, new RegExp(`^multus_token_rotator_nodes\\{class="healthy"\\} ${env.nodes.length}$`, 'm'));
    assert.match(text, /^multus_token_rotator_last_run_exit_code 0$/m);
    for (const n of env.nodes) {
      const tok = /token: "([^"]+)"/.exec(readFileSync(nodeKubeconfigFile(env.root, n), 'utf8'))?.[1] ?? 'none';
      assert.ok(!text.includes(tok));
    }
  });
});

describe('configuration errors', () => {
  test('bad flags stop before any API call, listing every problem', async () => {
    // An unreachable server: had it been contacted, the error would be a connection error, not a usage error.
    const run = await runRotator(['--max-nodes', '0', '--expiring-within', 'soon', '--bogus', '--selector', 'a in (',
      '--kubeconfig', path.join(repoRoot, 'does-not-exist.kubeconfig')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--max-nodes/);
    assert.match(run.stderr, /--expiring-within/);
    assert.match(run.stderr, /--bogus/);
    assert.match(run.stderr, /--selector/);
  });
});

describe('manifests and the in-cluster path', () => {
  test("rbac.yaml and cronjob.yaml are admitted (strict validation, the namespace's pod policy)", async () => {
    kubectl(env, ['apply', '--validate=strict', '-f', path.join(repoRoot, 'rbac.yaml')]);
    kubectl(env, ['apply', '--validate=strict', '-f', path.join(repoRoot, 'cronjob.yaml')]);
    const nsObj = await core.readNamespace({ name: 'multus-token-rotator' });
    // hostNetwork (cronjob.yaml says why) needs Pod Security "privileged"; rbac.yaml's namespace policy holds the
    // rest of "restricted".
    assert.equal(nsObj.metadata?.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
    // The CronJob's pod template passes the namespace policy: a Job made from it is admitted and its pod created.
    const batch = env.kc.makeApiClient(BatchV1Api);
    const cj = await batch.readNamespacedCronJob({ name: 'multus-token-rotator', namespace: 'multus-token-rotator' });
    assert.equal(cj.spec?.concurrencyPolicy, 'Forbid');
    const jobName = `manual-${Date.now()}`;
    await batch.createNamespacedJob({ namespace: 'multus-token-rotator', body: {
      metadata: { name: jobName, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } },
      spec: cj.spec?.jobTemplate.spec,
    } });
    await waitFor("the Job's pod to be admitted", async () =>
      (await core.listNamespacedPod({
        namespace: 'multus-token-rotator',
        labelSelector: `job-name=${jobName}`,
      })).items.length === 1, 30_000);
    await batch.deleteNamespacedJob({ name: jobName, namespace: 'multus-token-rotator',
      propagationPolicy: 'Background' });
  });

  test('the in-cluster run with the rbac.yaml service account gives the same findings as the local run', async (t) => {
    kubectl(env, ['apply', '--validate=strict', '-f', path.join(repoRoot, 'rbac.yaml')]);
    const [a, b] = env.nodes;
    for (const n of [a, b]) restoreNodeFileAfter(t, env, n ?? '');
    writeNodeFile(t, env.root, a!, multusKubeconfig(await boundToken(env, await podOn(a!), -60)));
    writeNodeFile(t, env.root, b!, 'not: [a kubeconfig');
    const saEnv = await inClusterEnv(env, 'multus-token-rotator', 'multus-token-rotator');
    const inCluster = await runRotator(['-o', 'json'], saEnv);
    // A dry run with a planned step (node a's expired token) exits 3; 4 would be a missing permission.
    assert.equal(inCluster.code, 3, `exit ${inCluster.code}: ${inCluster.stderr.slice(-2000)}`);
    // It wrote its summary into its own namespace (the default in-cluster), with the RBAC it was given.
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary',
      namespace: 'multus-token-rotator' });
    assert.match(cm.data?.['summary.yaml'] ?? '', /in-cluster/);
    const local = await runLocal(env, ['-o', 'json', '--summary-namespace', 'multus-token-rotator']);
    const strip = (r: Result) => r.findings.map((f) => [f.node, f.class, f.fingerprint]);
    assert.deepEqual(strip(parse(inCluster.stdout)), strip(parse(local.stdout)));
    assert.equal(inCluster.code, local.code);
    assert.equal(parse(inCluster.stdout).findings.find((f) => f.node === a)?.class, 'expired');
    assert.equal(parse(inCluster.stdout).findings.find((f) => f.node === b)?.class, 'invalid');
  });
});
