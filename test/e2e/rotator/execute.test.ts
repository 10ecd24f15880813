// Part 2 end to end: acting on the plan with the real DaemonSet, ReplicaSet, StatefulSet and disruption controllers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { CoordinationV1Api, CoreV1Api, EventsV1Api, type V1Pod } from '@kubernetes/client-node';
import { kubectlPath, repoRoot } from '../../../local-cluster/cluster.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { holdEntrypoint, multusPodOn } from '../../../local-cluster/seed/multus.ts';
import { at, logLines, type LogLine } from '../support/run-log.ts';
import { inClusterEnv, runLocal, runRotator, startRotator } from '../support/run-rotator.ts';
import { ageNodeToken } from '../../../local-cluster/seed/tokens.ts';
import { barePod, budget, deployment, settled, statefulSet } from '../../../local-cluster/seed/workloads.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);

interface PodExec {
  namespace: string;
  name: string;
  outcome: string;
  reason: string;
}
interface NodeExec {
  node: string;
  outcome: string;
  reason: string;
  pods: PodExec[];
  multus?: { newUid?: string };
}
interface Result {
  findings: { node: string; class: string }[];
  execution?: { nodes: NodeExec[]; stoppedBecause?: string; lease?: { acquired: boolean } };
}

const parse = (s: string) => JSON.parse(s) as Result;

const podOn = (node: string): Promise<V1Pod> => multusPodOn(env, node);

const ageToken = (t: TestContext, node: string, seconds: number) => ageNodeToken(t, env, node, seconds);

async function uidOf(ns: string, name: string): Promise<string | undefined> {
  return core.readNamespacedPod({ name, namespace: ns }).then((p) => p.metadata?.uid, () => undefined);
}

const events = (lines: LogLine[], event: string) => lines.filter((l) => l.event === event);

describe('execute', () => {
  test('nodes in order, Multus first, every replacement Ready before the next node; budgets and bare pods respected',
    async (t) => {
      const [first, second] = [env.nodes[2] ?? '', env.nodes[3] ?? ''];
      const ns = await withNamespace(t, env);
      await deployment(env, ns, 'web', first, 2);
      await budget(env, ns, 'web', 'web', { maxUnavailable: 1 });
      await statefulSet(env, ns, 'db', first);
      await deployment(env, ns, 'protected', first, 1);
      await budget(env, ns, 'protected', 'protected', { maxUnavailable: 0 });
      await barePod(env, ns, 'bare', first);
      await deployment(env, ns, 'api', second, 1);
      const before = await settled(env, ns, 6);
      const protectedPod = before.find((p) => p.metadata?.name?.startsWith('protected-'));
      const protectedUid = protectedPod?.metadata?.uid;
      const bareUid = await uidOf(ns, 'bare');
      // The second node's token is expiring, the first's expired: the first goes first.
      await ageToken(t, first, -120);
      await ageToken(t, second, 3600);

      const run = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
        '--lease-namespace', ns, '--step-timeout', '20s', '--dependents', 'secondary-networks']);
      const result = parse(run.stdout);
      const lines = logLines(run.stderr);
      assert.deepEqual(result.execution?.nodes.map((n) => n.node), [first, second], run.stderr);
      const [n1, n2] = result.execution?.nodes ?? [];
      assert.equal(n1?.outcome, 'partial', n1?.reason); // the protected pod is blocked
      assert.equal(n2?.outcome, 'rotated', n2?.reason);

      // Order in time: every planned node's fresh token before the first eviction anywhere (so that a replacement
      // never lands on a node that is still broken); then node 1's dependents before node 2's.
      const fresh = events(lines, 'token-fresh');
      const evicted = events(lines, 'pod-evicted');
      const finished = events(lines, 'node-finished');
      assert.equal(fresh.length, 2, run.stderr);
      for (const e of evicted) for (const f of fresh) assert.ok(at(e) >= at(f));
      assert.ok(at(finished.find((f) => f.node === first)) <= at(finished.find((s) => s.node === second)));
      // Every evicted pod's replacement was Ready before the rotator went on.
      for (const p of n1?.pods ?? []) {
        if (p.outcome === 'evicted') assert.match(p.reason, /Ready after \d+ ms/);
      }
      const outcome = (name: string) => n1?.pods.find((p) => p.name.startsWith(name));
      assert.equal(outcome('web-')?.outcome, 'evicted');
      assert.equal(outcome('db-0')?.outcome, 'evicted');
      assert.equal(outcome('protected-')?.outcome, 'blocked');
      assert.match(outcome('protected-')?.reason ?? '', new RegExp(`${ns}/protected`));
      assert.equal(outcome('bare')?.outcome, 'skipped');
      // The budget-protected pod and the bare pod are untouched and still running.
      assert.equal(await uidOf(ns, protectedPod?.metadata?.name ?? ''), protectedUid);
      assert.equal(await uidOf(ns, 'bare'), bareUid);
      await settled(env, ns, 6);
      // The summary records the execution.
      const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
      assert.match(cm.data?.['summary.yaml'] ?? '', /execution:/);
      assert.match(cm.data?.['summary.yaml'] ?? '', /blocked/);

      // Both nodes now hold fresh tokens bound to their new Multus pods.
      const again = parse((await runLocal(env, ['-o', 'json', '--summary-namespace', ns])).stdout);
      for (const n of [first, second]) assert.equal(again.findings.find((f) => f.node === n)?.class, 'healthy');

      // Events an operator can filter on: on the node, the Multus pod and the evicted pods.
      const ev = env.kc.makeApiClient(EventsV1Api);
      const all = [...(await ev.listNamespacedEvent({ namespace: ns })).items,
        ...(await ev.listNamespacedEvent({ namespace: 'default' })).items,
        ...(await ev.listNamespacedEvent({ namespace: 'kube-system' })).items];
      const reasons = new Set(all.filter((e) => e.reportingController === 'multus-token-rotator.io/rotator')
        .map((e) => `${e.regarding?.kind}:${e.reason}`));
      for (const r of ['Node:MultusTokenRotation', 'Node:MultusTokenRotated', 'Node:MultusTokenRotationPartial',
        'Pod:MultusTokenRotation', 'Pod:MultusTokenEvicted', 'Pod:MultusTokenEvictionBlocked']) {
        assert.ok(reasons.has(r), `an Event ${r} (have: ${[...reasons].join(', ')})`);
      }
      assert.equal(run.code, 3, 'a blocked pod is left over: attention');
    });

  test('two runs started together: exactly one acts', async (t) => {
    const node = env.nodes[4] ?? '';
    const ns = await withNamespace(t, env);
    await ageToken(t, node, -60);
    const oldUid = (await podOn(node)).metadata?.uid;
    // The acting run waits for the node's new Multus pod to write its token: long enough for the other to try.
    const release = holdEntrypoint(t, env, node);
    setTimeout(release, 5000);
    const args = ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns, '--lease-namespace', ns,
      '--step-timeout', '30s'];
    const runs = await Promise.all([runLocal(env, args), runLocal(env, args)]);
    const acted = runs.filter((r) => logLines(r.stderr).some((l) => l.event === 'multus-restarted'));
    assert.equal(acted.length, 1, runs.map((r) => r.stderr).join('\n---\n'));
    assert.equal(acted[0]?.code, 0, acted[0]?.stderr);
    const other = runs.find((r) => r !== acted[0]);
    assert.equal(other?.code, 5, other?.stderr);
    assert.match(other?.stderr ?? '', /"event":"lease-held".*"heldBy":"[^"]+"/);
    // The Multus pod was restarted once, by the run that holds the lease; the other changed nothing.
    const now = await podOn(node);
    assert.notEqual(now.metadata?.uid, oldUid);
    assert.equal(parse(acted[0]?.stdout ?? '{}').execution?.nodes[0]?.multus?.newUid, now.metadata?.uid);
  });

  test('SIGTERM in the middle: lease released, a truthful summary, and the next run finishes the work', async (t) => {
    const [a, b] = [env.nodes[0] ?? '', env.nodes[5] ?? ''];
    const ns = await withNamespace(t, env);
    await deployment(env, ns, 'first', a, 1);
    await deployment(env, ns, 'later', b, 1);
    await settled(env, ns, 2);
    await ageToken(t, a, -60);
    await ageToken(t, b, -30);
    const bMultus = (await podOn(b)).metadata?.uid;
    // Node a's new Multus pod will be slow to write its token: the run is caught waiting for it.
    const release = holdEntrypoint(t, env, a);
    // Waves of one: node b, broken too, would be the next wave.
    const run = startRotator(['--kubeconfig', env.kubeconfig, '--execute', '--yes', '-o', 'json', '--summary-namespace',
      ns, '--lease-namespace', ns, '--step-timeout', '60s', '--repair-wave-size', '1', '--dependents',
      'secondary-networks']);
    await run.waitForEvent('multus-restarted', (l) => l.node === a);
    await new Promise((r) => setTimeout(r, 500));
    run.kill('SIGTERM');
    const res = await run.done;
    assert.equal(res.code, 130, res.stderr);
    const result = parse(res.stdout);
    const [na, nb] = result.execution?.nodes ?? [];
    assert.equal(na?.node, a);
    assert.match(na?.reason ?? '', /SIGTERM/);
    assert.equal(na?.pods.find((p) => p.name.startsWith('first-'))?.outcome, 'not-started');
    assert.equal(nb?.outcome, 'not-started');
    assert.match(result.execution?.stoppedBecause ?? '', /SIGTERM/);
    assert.equal((await podOn(b)).metadata?.uid, bMultus, 'node b untouched');
    const lease = await env.kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: 'multus-token-rotator',
      namespace: ns });
    assert.ok(!lease.spec?.holderIdentity, 'the lease was released');
    const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: ns });
    assert.equal(cm.data?.['exit-code'], '130');
    assert.match(cm.data?.['summary.yaml'] ?? '', /not-started/);

    // The next run derives its plan from the cluster and finishes the work: node b is rotated; node a's new Multus
    // pod, no longer held, has written its fresh token by itself (healthy), or the run rotates it again.
    release();
    const next = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--summary-namespace', ns,
      '--lease-namespace', ns, '--step-timeout', '20s']);
    const nextResult = parse(next.stdout);
    const done = new Map(nextResult.execution?.nodes.map((n) => [n.node, n.outcome]));
    assert.equal(done.get(b), 'rotated', next.stderr);
    assert.ok(done.get(a) === 'rotated' || nextResult.findings.find((f) => f.node === a)?.class === 'healthy');
    assert.equal(next.code, 0);
    const last = parse((await runLocal(env, ['-o', 'json', '--summary-namespace', ns])).stdout);
    for (const n of [a, b]) assert.equal(last.findings.find((f) => f.node === n)?.class, 'healthy');
  });

  test('--server-dry-run: the API server judges, nothing changes', async (t) => {
    const node = env.nodes[1] ?? '';
    const ns = await withNamespace(t, env);
    await deployment(env, ns, 'ok', node, 1);
    await deployment(env, ns, 'guarded', node, 1);
    await budget(env, ns, 'guarded', 'guarded', { maxUnavailable: 0 });
    const pods = await settled(env, ns, 2);
    await ageToken(t, node, -60);
    const multus = (await podOn(node)).metadata?.uid;
    const run = await runLocal(env, ['--server-dry-run', '-o', 'json', '--summary-namespace', ns, '--dependents',
      'secondary-networks']);
    const n = parse(run.stdout).execution?.nodes[0];
    assert.equal(n?.outcome, 'dry-run', run.stderr);
    assert.equal(n?.pods.find((p) => p.name.startsWith('ok-'))?.outcome, 'dry-run');
    assert.equal(n?.pods.find((p) => p.name.startsWith('guarded-'))?.outcome, 'blocked');
    assert.equal((await podOn(node)).metadata?.uid, multus);
    const after = (await core.listNamespacedPod({ namespace: ns })).items.map((p) => p.metadata?.uid).sort();
    assert.deepEqual(after, pods.map((p) => p.metadata?.uid).sort());
    // Not even an Event: a server-side dry run writes nothing.
    const written = (await env.kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns })).items
      .filter((e) => e.reportingController === 'multus-token-rotator.io/rotator');
    assert.equal(written.length, 0);
    assert.equal(run.code, 3);
  });

  test('the in-cluster run with the rbac.yaml service account can act', async (t) => {
    const node = env.nodes[3] ?? '';
    const ns = await withNamespace(t, env);
    await deployment(env, ns, 'svc', node, 1);
    await settled(env, ns, 1);
    await ageToken(t, node, -60);
    execFileSync(kubectlPath(), ['--kubeconfig', env.kubeconfig, 'apply', '-f', path.join(repoRoot, 'rbac.yaml')]);
    const saEnv = await inClusterEnv(env, 'multus-token-rotator', 'multus-token-rotator');
    const run = await runRotator(['--execute', '--yes', '-o', 'json', '--step-timeout', '20s', '--dependents',
      'secondary-networks'], saEnv);
    const n = parse(run.stdout).execution?.nodes.find((x) => x.node === node);
    assert.equal(n?.outcome, 'rotated', run.stderr);
    assert.equal(n?.pods.find((p) => p.name.startsWith('svc-'))?.outcome, 'evicted');
    assert.equal(run.code, 0, run.stderr);
  });
});
