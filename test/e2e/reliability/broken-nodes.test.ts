// Issue 10 items 5 and 6, in the outage world: a node whose Multus token the API server rejects cannot start a pod
// that needs a network sandbox (the real Multus binary fails CNI ADD with Unauthorized; a hostNetwork pod gets no
// sandbox, so no CNI). Nodes are broken the way local-cluster/seed does it: an expired token, bound to the node's
// Multus pod and signed by the cluster's key, written into the node's multus.kubeconfig (ageNodeToken).
//  - the job's own pod (a Job from cronjob.yaml's CronJob) starts with every worker node but one broken, on each
//    broken node in turn and wherever the scheduler puts it; the same pod without hostNetwork does not start there;
//  - the reader pod starts on a broken node and the in-cluster run (rbac.yaml's service account, so the admission
//    policy judges the reader pod) reads that node's file through it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { kubectlPath, repoRoot } from '../../../local-cluster/cluster.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, restoreNodeFileAfter, startDistrolessMultus } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { ageNodeToken, boundToken } from '../../../local-cluster/seed/tokens.ts';
import { inClusterEnv, runRotator } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const batch = env.kc.makeApiClient(BatchV1Api);
const NS = 'multus-token-rotator';

function kubectl(args: string[]): string {
  return execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, ...args], { encoding: 'utf8' });
}

const started = (p: V1Pod | undefined) => p !== undefined && (isReady(p) || p.status?.phase === 'Succeeded');

/** A pod pinned to `node` that needs a network sandbox: it must NOT start there if the node is broken. */
async function provesBroken(t: { after(fn: () => unknown): void }, node: string): Promise<void> {
  const ns = await withNamespace(t, env);
  await core.createNamespacedPod({ namespace: ns,
    body: { metadata: { name: 'needs-network' },
      spec: { nodeName: node, containers: [{ name: 'app', image: 'app:1' }] } } });
  await waitFor(`a FailedCreatePodSandBox Event for a pod-network pod on ${node}`,
    async () =>
      (await core.listNamespacedEvent({ namespace: ns })).items.some((e) => e.reason === 'FailedCreatePodSandBox'),
    60_000);
  assert.ok(!started(await core.readNamespacedPod({ name: 'needs-network', namespace: ns })),
    `${node} is broken: a pod that needs CNI does not start there`);
}

/** A Job made from the CronJob, as `kubectl create job --from=cronjob/…` does; `change` alters only what is named. */
async function jobFromCronJob(t: { after(fn: () => unknown): void }, name: string,
  change: (job: V1Job) => void = () => undefined): Promise<string> {
  const cj = await batch.readNamespacedCronJob({ name: 'multus-token-rotator', namespace: NS });
  const job: V1Job = { metadata: { name, annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' } },
    spec: structuredClone(cj.spec?.jobTemplate.spec) };
  change(job);
  await batch.createNamespacedJob({ namespace: NS, body: job });
  t.after(() =>
    batch.deleteNamespacedJob({ name, namespace: NS, propagationPolicy: 'Background' }).catch(() => undefined)
  );
  return name;
}

async function jobPod(job: string): Promise<V1Pod | undefined> {
  return (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${job}` })).items[0];
}

before(() => {
  assert.ok(env.nodes.length >= 3, 'at least three nodes');
  kubectl(['apply', '-f', path.join(repoRoot, 'rbac.yaml')]);
  kubectl(['apply', '-f', path.join(repoRoot, 'cronjob.yaml')]);
});

describe('broken nodes: the job and its reader pod start where pods that need a network cannot', () => {
  test('a Job from the CronJob runs when every worker node but one is broken (issue 10 item 6)', async (t) => {
    const [healthy, ...broken] = env.nodes;
    for (const n of broken) await ageNodeToken(t, env, n, -120);
    for (const n of broken) await provesBroken(t, n);

    const stamp = Date.now().toString(36);
    const pinned = (node: string) => (job: V1Job) => {
      const spec = job.spec?.template.spec;
      assert.ok(spec);
      spec.nodeSelector = { ...spec.nodeSelector, 'kubernetes.io/hostname': node };
    };
    // On each broken node (placement is the only change), and once where the scheduler chooses.
    const jobs = [
      ...await Promise.all(broken.map((n, i) => jobFromCronJob(t, `broken-${i}-${stamp}`, pinned(n)))),
      await jobFromCronJob(t, `anywhere-${stamp}`),
    ];
    // The control: the same Job without hostNetwork, on a broken node, does not start.
    const control = await jobFromCronJob(t, `no-hostnet-${stamp}`, (job) => {
      pinned(broken[0] ?? '')(job);
      const spec = job.spec?.template.spec;
      assert.ok(spec);
      spec.hostNetwork = false;
      spec.dnsPolicy = 'ClusterFirst';
    });
    const pods = new Map<string, V1Pod | undefined>();
    await waitFor(`the pods of ${jobs.length} Jobs from the CronJob started`, async () => {
      for (const j of jobs) pods.set(j, await jobPod(j));
      return jobs.every((j) => started(pods.get(j)));
    }, 90_000);
    for (const [i, n] of broken.entries()) {
      const p = pods.get(jobs[i] ?? '');
      assert.equal(p?.spec?.nodeName, n, `job ${jobs[i]} ran on the broken node ${n}`);
      assert.equal(p?.spec?.hostNetwork, true);
    }
    const c = await jobPod(control);
    assert.equal(c?.spec?.nodeName, broken[0]);
    assert.ok(!started(c), "without hostNetwork, the job's pod does not start on a broken node");
    t.diagnostic(`healthy ${healthy}; broken ${broken.join(', ')}; the unpinned job ran on ` +
      `${pods.get(jobs.at(-1) ?? '')?.spec?.nodeName}`);
  });

  test('the reader pod starts on a broken node and the in-cluster run reads its file (issue 10 item 5)', async (t) => {
    const node = env.nodes[1] ?? '';
    // A distroless Multus (no cat: exec fails, so the file is read through a reader pod), then its node broken:
    // an expired token bound to that Multus pod.
    const thin = await startDistrolessMultus(t, env, 'kube-system', node);
    t.after(() =>
      core.deleteNamespacedPod({ name: thin.metadata?.name ?? '', namespace: 'kube-system', gracePeriodSeconds: 0 })
        .catch(() => undefined)
    );
    restoreNodeFileAfter(t, env, node);
    writeNodeFile(t, env.root, node, multusKubeconfig(await boundToken(env, thin, -120)));
    await provesBroken(t, node);

    const saEnv = await inClusterEnv(env, NS, 'multus-token-rotator');
    const run = await runRotator(['-o', 'json', '--read-timeout', '30s'], saEnv);
    const found =
      (JSON.parse(run.stdout) as { findings: { node: string; class: string; readVia?: string; reason: string }[] })
        .findings.find((f) => f.node === node);
    assert.equal(found?.readVia, 'reader-pod', `${JSON.stringify(found)}\n${run.stderr.slice(-2000)}`);
    assert.equal(found?.class, 'expired', found?.reason);
    await waitFor('no reader pods left',
      async () =>
        (await core.listNamespacedPod({ namespace: 'kube-system',
          labelSelector: 'app.kubernetes.io/name=multus-token-rotator-reader' })).items.length === 0, 30_000);
  });
});
