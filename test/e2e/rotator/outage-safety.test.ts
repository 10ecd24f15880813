// What one run may break, in the outage world (issue 10 items 1 and 2): on a node whose Multus token the API server
// rejects, the real Multus fails CNI ADD and a new pod hangs in ContainerCreating until the node is repaired. A
// Deployment without a budget whose replacement cannot start is the worst case for an eviction.
//
// Placement: each Deployment requires one of two nodes and prefers the second (weight 100); its pods are first placed
// on the first while the second is cordoned, so that every replacement goes to the second node — which is broken
// unless this run repaired it first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test, type TestContext } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { kubectlPath } from '../../../local-cluster/cluster.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady } from '../../../local-cluster/seed/multus.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { NETWORKS, settled } from '../../../local-cluster/seed/workloads.ts';
import { at, logLines } from '../support/run-log.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);
const HOST = 'kubernetes.io/hostname';

interface PodExec {
  name: string;
  outcome: string;
  reason: string;
  replacement?: { name: string };
}
interface Result {
  execution?: { stoppedBecause?: string; nodes: { node: string; outcome: string; reason: string; pods: PodExec[] }[] };
}

const kubectl = (...args: string[]) =>
  execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, ...args], { stdio: 'pipe' });

/** Pods of `name` on `first`, whose replacements the scheduler sends to `second`. No budget. */
async function deploymentPreferring(t: TestContext, ns: string, name: string, first: string, second: string,
  replicas: number): Promise<V1Pod[]> {
  kubectl('cordon', second);
  t.after(() => kubectl('uncordon', second));
  await apps.createNamespacedDeployment({ namespace: ns, body: {
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name }, annotations: NETWORKS },
        spec: { containers: [{ name: 'app', image: `${name}:1` }], terminationGracePeriodSeconds: 0,
          affinity: { nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [
              { key: HOST, operator: 'In', values: [first, second] },
            ] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [
              { key: HOST, operator: 'In', values: [second] },
            ] } }],
          } } } } },
  } });
  const pods = await settled(env, ns, replicas);
  kubectl('uncordon', second);
  assert.ok(pods.every((p) => p.spec?.nodeName === first), 'every pod starts on the first node');
  return pods;
}

/** Samples the Deployment's Ready pods every 100 ms until stopped: the fewest seen. */
function watchReady(ns: string, app: string): { stop: () => Promise<number> } {
  let fewest = Number.POSITIVE_INFINITY;
  let running = true;
  const loop = (async () => {
    while (running) {
      const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` })).items;
      fewest = Math.min(fewest, pods.filter((p) => !p.metadata?.deletionTimestamp && isReady(p)).length);
      await sleep(100);
    }
  })();
  return { stop: async () => {
    running = false;
    await loop;
    return fewest;
  } };
}

async function sandboxFailures(ns: string): Promise<string[]> {
  const events = (await core.listNamespacedEvent({ namespace: ns })).items;
  return events.filter((e) => e.reason === 'FailedCreatePodSandBox').map((e) =>
    `${e.involvedObject.name}: ${e.message}`
  );
}

describe('what one run may break, in the outage world', () => {
  test(
    'a replacement that cannot start (no node takes it): no second pod is taken, the node fails, the run stops',
    async (t) => {
      const [a, c] = [env.nodes[3] ?? '', env.nodes[4] ?? ''];
      const ns = await withNamespace(t, env);
      // c takes no new pod (a NoSchedule taint, which the rotator does not judge); a will be cordoned: a replacement
      // of web's pods, which require a or c, has nowhere to go. A broken node the run does not repair cannot be the
      // cause any more: no pod is evicted toward one (outage-repair.test.ts).
      kubectl('taint', 'node', c, 'mtr-test=block:NoSchedule');
      t.after(() => kubectl('taint', 'node', c, 'mtr-test=block:NoSchedule-'));
      const before = await deploymentPreferring(t, ns, 'web', a, c, 2);
      kubectl('cordon', a);
      t.after(() => kubectl('uncordon', a));
      await ageNodeToken(t, env, a, -180);

      const ready = watchReady(ns, 'web');
      const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
        '--lease-namespace', ns, '--max-nodes', '1', '--step-timeout', '20s', '--dependents', 'secondary-networks']);
      const fewest = await ready.stop();
      const result = JSON.parse(run.stdout) as Result;
      const node = result.execution?.nodes[0];
      assert.equal(node?.node, a, run.stderr);
      assert.equal(node?.outcome, 'failed', node?.reason);
      assert.deepEqual(node?.pods.map((p) => p.outcome), ['failed', 'not-started'], JSON.stringify(node?.pods));
      assert.match(node?.pods[1]?.reason ?? '', /nothing more is evicted on this node/);
      assert.match(result.execution?.stoppedBecause ?? '', new RegExp(`node ${a} failed and --on-failure is stop`));
      assert.equal(run.code, 6);
      assert.ok(fewest >= 1, `web had ${fewest} Ready pods at its lowest: at most one is ever missing`);
      // The pod not evicted is the same pod; the replacement is not scheduled.
      const untouched = before.find((p) => p.metadata?.name === node?.pods[1]?.name);
      assert.equal(
        (await core.readNamespacedPod({ namespace: ns, name: untouched?.metadata?.name ?? '' })).metadata?.uid,
        untouched?.metadata?.uid,
      );
      const stuck = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=web' })).items
        .filter((p) => !isReady(p));
      assert.deepEqual(stuck.map((p) => p.spec?.nodeName ?? 'unscheduled'), ['unscheduled']);
    },
  );

  test(
    'two broken nodes sharing a Deployment: both Multus pods are restarted before the first eviction, so the replacement that lands on the other node starts',
    async (t) => {
      const [a, b] = [env.nodes[1] ?? '', env.nodes[2] ?? ''];
      const ns = await withNamespace(t, env);
      const [pod] = await deploymentPreferring(t, ns, 'shared', a, b, 1);
      await ageNodeToken(t, env, a, -180); // a first in plan order
      await ageNodeToken(t, env, b, -120);

      const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
        '--lease-namespace', ns, '--max-nodes', '2', '--step-timeout', '30s', '--dependents', 'secondary-networks']);
      const result = JSON.parse(run.stdout) as Result;
      const lines = logLines(run.stderr);
      assert.deepEqual(result.execution?.nodes.map((n) => [n.node, n.outcome]), [[a, 'rotated'], [b, 'rotated']],
        run.stderr.slice(-3000));
      assert.equal(run.code, 0);
      // Order: both tokens proven fresh before the eviction.
      const fresh = lines.filter((l) => l.event === 'token-fresh');
      const evicted = lines.filter((l) => l.event === 'pod-evicted');
      assert.equal(fresh.length, 2);
      assert.equal(evicted.length, 1);
      for (const f of fresh) assert.ok(at(f) <= at(evicted[0]), 'every fresh token before the first eviction');
      // The replacement went to b, and started there: no sandbox ever failed.
      const evictedPod = result.execution?.nodes[0]?.pods.find((p) => p.name === pod?.metadata?.name);
      assert.equal(evictedPod?.outcome, 'evicted', JSON.stringify(evictedPod));
      const replacement = await core.readNamespacedPod({ namespace: ns, name: evictedPod?.replacement?.name ?? '' });
      assert.equal(replacement.spec?.nodeName, b);
      assert.ok(isReady(replacement));
      assert.deepEqual(await sandboxFailures(ns), []);
    },
  );
});
