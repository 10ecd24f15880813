// Repair an outage in one run, fleet-wide (issue 16 item 7), with the real Multus deciding whether a pod's sandbox
// starts: a broken node (its token rejected) is repaired whatever --max-nodes says, in parallel waves; a node whose
// Multus never writes a fresh file fails alone and goes last in the next run; and with --dependents
// secondary-networks no pod is evicted while a node its replacement could land on is still broken.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { fileBoundTo, kubectlPath } from '../../../local-cluster/cluster.ts';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { holdEntrypoint, isReady, multusPods } from '../../../local-cluster/seed/multus.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);
const HOST = 'kubernetes.io/hostname';

interface NodeRun {
  node: string;
  outcome: string;
  reason: string;
  wave?: number;
  failedRuns?: number;
  stuckPods?: { name: string; outcome: string; startedMs?: number }[];
  pods: { name: string; outcome: string; reason: string }[];
}
interface Doc {
  plan: {
    steps: { node: string; repair?: boolean; outage?: { name: string; effect: string; reason: string }[];
      pods: { name: string; action: string; reason: string }[] }[];
    deferred: { node: string }[];
  };
  execution?: { stoppedBecause?: string; nodes: NodeRun[] };
}

const kubectl = (...args: string[]) =>
  execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, ...args], { stdio: 'pipe' });

async function rotate(ns: string, ...args: string[]): Promise<{ code: number; doc: Doc; stderr: string }> {
  const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace',
    ns, ...args]);
  return { code: run.code, doc: JSON.parse(run.stdout) as Doc, stderr: run.stderr };
}

async function bare(ns: string, name: string, node: string): Promise<V1Pod> {
  return core.createNamespacedPod({ namespace: ns, body: {
    metadata: { name, annotations: NETWORKS },
    spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'app', image: `${name}:1` }] },
  } });
}

async function unauthorizedSandbox(ns: string, name: string): Promise<boolean> {
  const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
  return events.items.some((e) => e.reason === 'FailedCreatePodSandBox' && /Unauthorized/.test(e.message ?? ''));
}

/** Every node's file bound to its current Ready Multus pod: the cluster as the next test expects it. */
async function allFresh(): Promise<boolean> {
  const pods = (await multusPods(env)).filter(isReady);
  return env.nodes.every((n) => {
    const bound = fileBoundTo(env.root, n);
    return pods.some((p) => p.spec?.nodeName === n && p.metadata?.uid === bound);
  });
}

/**
 * Deletes and creates again kube-system/multus: every token bound to the old account is rejected — once the API
 * server's cache of successful token authentications (10 s) has forgotten it. Returns the function that marks the
 * cluster repaired; unless called, every Multus pod is restarted after the test, so later tests find it healthy.
 */
async function recreateMultusServiceAccount(t: TestContext): Promise<() => void> {
  const before = await core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
  await core.deleteNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
  await waitFor('the multus service account to be gone',
    () => core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' }).then(() => false, () => true),
    30_000);
  await core.createNamespacedServiceAccount({ namespace: 'kube-system',
    body: { metadata: { name: 'multus', labels: before.metadata?.labels } } });
  let repaired = false;
  t.after(async () => {
    if (repaired && await allFresh()) return;
    const old = new Set((await multusPods(env)).map((p) => p.metadata?.uid));
    for (const p of await multusPods(env)) {
      await core.deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace: 'kube-system' }).catch(() => undefined);
    }
    await waitFor('every node fresh again',
      async () => (await allFresh()) && (await multusPods(env)).every((p) => !old.has(p.metadata?.uid)), 120_000, 500);
  });
  await sleep(11_000);
  return () => {
    repaired = true;
  };
}

describe('repairing an outage, in the outage world', () => {
  test(
    'the multus service account recreated, every node broken: one run with --max-nodes 2 repairs them all, and the stuck pods start without being evicted',
    async (t) => {
      const ns = await withNamespace(t, env);
      const running = await bare(ns, 'running', env.nodes[0] ?? '');
      await waitFor('the running pod',
        async () => isReady(await core.readNamespacedPod({ namespace: ns, name: 'running' })), 30_000, 250);
      const repaired = await recreateMultusServiceAccount(t);
      const stuck = await Promise.all(env.nodes.map((n, i) => bare(ns, `stuck-${i}`, n)));
      for (const p of stuck) {
        await waitFor(`${p.metadata?.name} to fail CNI ADD with Unauthorized`, () =>
          unauthorizedSandbox(ns, p.metadata?.name ?? ''), 60_000, 500);
      }

      const run = await rotate(ns, '--max-nodes', '2', '--step-timeout', '60s');
      const nodes = run.doc.execution?.nodes ?? [];
      assert.equal(run.code, 0, run.stderr.slice(-3000));
      assert.deepEqual(nodes.map((n) => n.outcome), env.nodes.map(() => 'rotated'), JSON.stringify(nodes));
      assert.deepEqual(new Set(nodes.map((n) => n.node)), new Set(env.nodes));
      assert.deepEqual(run.doc.plan.deferred, []);
      assert.ok(nodes.every((n) => n.wave === 1), 'one wave: the default size covers 6 nodes');
      repaired();
      // The stuck pods start by themselves: same UIDs, no eviction; the run watched them start.
      for (const p of stuck) {
        const now = await core.readNamespacedPod({ namespace: ns, name: p.metadata?.name ?? '' });
        assert.equal(now.metadata?.uid, p.metadata?.uid);
        assert.ok(isReady(now) || now.status?.phase === 'Running', `${p.metadata?.name} started`);
      }
      assert.deepEqual(nodes.flatMap((n) => (n.stuckPods ?? []).map((s) => s.outcome)), env.nodes.map(() => 'started'));
      assert.ok(nodes.every((n) => n.pods.every((p) => p.outcome !== 'evicted')));
      // The plan said which pods the outage hurt and which it did not touch, with why.
      const first = run.doc.plan.steps.find((s) => s.node === env.nodes[0]);
      const verdicts = new Map((first?.outage ?? []).map((v) => [v.name, v]));
      assert.equal(verdicts.get('stuck-0')?.effect, 'stuck');
      assert.equal(verdicts.get('running')?.effect, 'untouched');
      assert.match(verdicts.get('running')?.reason ?? '', /only in CNI ADD and DEL/);
      assert.equal((await core.readNamespacedPod({ namespace: ns, name: 'running' })).metadata?.uid,
        running.metadata?.uid);
      // The summary and the Event say it in numbers.
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'multus-token-rotator-summary' });
      assert.equal(cm.data?.repair, `found=${env.nodes.length},repaired=${env.nodes.length},failed=0,` +
        `stuck=${env.nodes.length},started=${env.nodes.length}`);
      const events = await core.listNamespacedEvent({ namespace: 'kube-system',
        fieldSelector: 'reason=MultusOutageRepaired' });
      assert.ok(events.items.length > 0, 'a MultusOutageRepaired Event on the DaemonSet');
    },
  );

  test(
    'a node whose Multus never writes a fresh file fails alone: the other nodes are rotated, in this run and the next, where it goes last',
    async (t) => {
      const [a, b, c] = [env.nodes[3] ?? '', env.nodes[4] ?? '', env.nodes[5] ?? ''];
      const ns = await withNamespace(t, env);
      await ageNodeToken(t, env, a, -300); // a expired first: today it would be planned first, every run
      await ageNodeToken(t, env, b, -200);
      await ageNodeToken(t, env, c, -100);
      holdEntrypoint(t, env, a);
      const args = ['--repair-wave-size', '1', '--step-timeout', '20s'];

      const first = await rotate(ns, ...args);
      assert.deepEqual(first.doc.execution?.nodes.map((n) => [n.node, n.outcome]), [[a, 'failed'], [b, 'rotated'], [c,
        'rotated']], first.stderr.slice(-3000));
      assert.equal(first.doc.execution?.stoppedBecause, undefined);
      assert.equal(first.doc.execution?.nodes[0]?.failedRuns, 1);

      await ageNodeToken(t, env, b, -200);
      await ageNodeToken(t, env, c, -100);
      const second = await rotate(ns, ...args);
      assert.deepEqual(second.doc.execution?.nodes.map((n) => [n.node, n.outcome]), [[b, 'rotated'], [c, 'rotated'], [a,
        'failed']], second.stderr.slice(-3000));
      assert.equal(second.doc.execution?.nodes[2]?.failedRuns, 2);
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: 'multus-token-rotator-summary' });
      assert.equal(cm.data?.['failed-runs.yaml'], `${a}: 2\n`);
    },
  );

  test(
    'with --dependents secondary-networks, no pod is evicted while a node its replacement could land on is still broken',
    async (t) => {
      const [a, b] = [env.nodes[1] ?? '', env.nodes[2] ?? ''];
      const ns = await withNamespace(t, env);
      // web runs on a; the scheduler would put its replacement on b (required a|b, preferring b).
      kubectl('cordon', b);
      t.after(() => kubectl('uncordon', b));
      await apps.createNamespacedDeployment({ namespace: ns, body: {
        metadata: { name: 'web' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' }, annotations: NETWORKS },
            spec: { containers: [{ name: 'app', image: 'web:1' }], terminationGracePeriodSeconds: 0,
              affinity: { nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [
                  { key: HOST, operator: 'In', values: [a, b] },
                ] }] },
                preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [
                  { key: HOST, operator: 'In', values: [b] },
                ] } }],
              } } } } },
      } });
      const [web] = await settled(env, ns, 1);
      kubectl('uncordon', b);
      assert.equal(web?.spec?.nodeName, a);
      // Both broken; b's new Multus never writes a fresh file, so b stays broken after this run.
      await ageNodeToken(t, env, a, -200);
      await ageNodeToken(t, env, b, -100);
      holdEntrypoint(t, env, b);

      const run = await rotate(ns, '--dependents', 'secondary-networks', '--on-failure', 'continue', '--step-timeout',
        '20s');
      const nodes = new Map((run.doc.execution?.nodes ?? []).map((n) => [n.node, n]));
      assert.equal(nodes.get(a)?.outcome, 'rotated', run.stderr.slice(-3000));
      assert.equal(nodes.get(b)?.outcome, 'failed');
      const pod = nodes.get(a)?.pods.find((p) => p.name === web?.metadata?.name);
      assert.equal(pod?.outcome, 'skipped', JSON.stringify(nodes.get(a)?.pods));
      assert.match(pod?.reason ?? '', new RegExp(`could land on broken node\\(s\\) ${b} whose repair did not succeed`));
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items;
      assert.deepEqual(pods.map((p) => [p.metadata?.uid, p.spec?.nodeName]), [[web?.metadata?.uid, a]],
        'the pod was not evicted, and nothing landed on the broken node');
    },
  );
});
