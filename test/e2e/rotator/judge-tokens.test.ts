// Issue 10, "judge tokens and modes right", end to end: a node whose own token the API server granted too short for
// the cadence gets no restart (item 7; issue 17 item 3: one rule, per node), and a DaemonSet rollout with maxSurge — two Multus pods on a node — is judged against the pod
// that wrote the node's file, never planning the newer pod's deletion (item 11).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1DaemonSet, type V1Pod } from '@kubernetes/client-node';
import { decodeJwt } from 'jose';
import { waitFor } from '../../../local-cluster/processes.ts';
import { clusterEnv, withNamespace } from '../../../local-cluster/seed/cluster-env.ts';
import { isReady, multusPodOn, multusPods, restoreNodeFileAfter } from '../../../local-cluster/seed/multus.ts';
import { multusKubeconfig, writeNodeFile } from '../../../local-cluster/seed/node-files.ts';
import { recordMintedToken } from '../../../local-cluster/seed/token-log.ts';
import { ageNodeToken, boundToken } from '../../../local-cluster/seed/tokens.ts';
import { runLocal } from '../support/run-rotator.ts';

const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const apps = env.kc.makeApiClient(AppsV1Api);
const DS = { name: 'kube-multus-ds', namespace: 'kube-system' };

interface Finding {
  node: string;
  class: string;
  reason: string;
  multusPod: { name: string; uid: string };
}
interface Result {
  findings: Finding[];
  plan: { steps: { node: string; multusPod: { name: string; uid: string } }[];
    deferred: { node: string; reason: string; override?: string }[]; advisories?: string[] };
  execution?: { nodes: { node: string; outcome: string; reason: string }[] };
  warnings?: string[];
}
const parse = (stdout: string): Result => JSON.parse(stdout) as Result;
const uidOf = (p: V1Pod | undefined) => p?.metadata?.uid ?? '';

describe('item 7 / issue 17 item 3: tokens granted too short for the cadence, judged per node', () => {
  test('a node whose own token lives 1 h or 12 h is deferred with why; a node granted a year beside it is rotated',
    async (t) => {
      const [nHour, nTwelve, nExpired] = env.nodes;
      assert.ok(nHour && nTwelve && nExpired);
      const ns = await withNamespace(t, env);
      // What the API server issues a Multus pod when it does not extend tokens: a pod-bound token of the requested
      // lifetime (--service-account-max-token-expiration caps it), with no kubernetes.io.warnafter.
      const shortToken = async (node: string, seconds: number) => {
        restoreNodeFileAfter(t, env, node);
        const pod = await multusPodOn(env, node);
        const tr = await core.createNamespacedServiceAccountToken({
          name: pod.spec?.serviceAccountName ?? 'multus',
          namespace: DS.namespace,
          body: {
            spec: { audiences: [], expirationSeconds: seconds,
              boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata?.name, uid: pod.metadata?.uid } },
          },
        });
        const token = tr.status?.token ?? '';
        recordMintedToken(token, env.root);
        const claims = decodeJwt(token) as { exp: number; iat: number; 'kubernetes.io': { warnafter?: number } };
        assert.equal(claims.exp - claims.iat, seconds, `the API server issued a ${seconds} s token`);
        assert.equal(claims['kubernetes.io'].warnafter, undefined, 'and did not extend it');
        writeNodeFile(t, env.root, node, multusKubeconfig(token));
      };
      await shortToken(nHour, 3600);
      await shortToken(nTwelve, 12 * 3600);
      await ageNodeToken(t, env, nExpired, -600); // granted a year (as by default), expired 10 min ago
      const before = new Map(
        await Promise.all(env.nodes.map(async (n) => [n, uidOf(await multusPodOn(env, n))] as const)),
      );

      const dry = await runLocal(env, ['-o', 'json', '--summary-namespace', ns]);
      assert.equal(dry.code, 3, `exit 3 (attention): ${dry.stderr}`);
      const r = parse(dry.stdout);
      assert.equal(r.findings.find((f) => f.node === nHour)?.class, 'expiring');
      assert.equal(r.findings.find((f) => f.node === nTwelve)?.class, 'expiring');
      assert.equal(r.findings.find((f) => f.node === nExpired)?.class, 'expired');
      assert.deepEqual(r.plan.steps.map((s) => s.node), [nExpired], 'only the node granted a year is planned');
      for (const [n, life] of [[nHour, '1h'], [nTwelve, '12h']] as const) {
        const d = r.plan.deferred.find((x) => x.node === n);
        assert.match(d?.reason ?? '',
          new RegExp(`no restart planned: the token \\w+ is bound to its pod and was granted ${life} with no ` +
            'kubernetes.io.warnafter claim, so a fresh one would already be inside --expiring-within'), n);
        assert.equal(d?.override, n === nHour ? '--schedule-interval' : '--expiring-within', n);
      }
      assert.ok(r.plan.advisories?.some((a) => /On 2 nodes .* granted only 1h to 12h/.test(a)),
        `the fleet advisory names the lifetimes: ${JSON.stringify(r.plan.advisories)}`);

      const exec = await runLocal(env, ['--execute', '--yes', '-o', 'json', '--lease-namespace', ns,
        '--summary-namespace', ns, '--step-timeout', '60s']);
      assert.equal(exec.code, 3, `execute exits 3 too (nodes deferred): ${exec.stderr}`);
      const nodes = parse(exec.stdout).execution?.nodes ?? [];
      assert.deepEqual(nodes.map((n) => [n.node, n.outcome]), [[nExpired, 'rotated']], JSON.stringify(nodes));
      for (const n of [nHour, nTwelve]) {
        assert.equal(uidOf(await multusPodOn(env, n)), before.get(n), `${n}: the same Multus pod`);
      }
      assert.notEqual(uidOf(await multusPodOn(env, nExpired)), before.get(nExpired), 'a new Multus pod');
    });
});

describe('item 11: a DaemonSet rollout with maxSurge', () => {
  test('two Multus pods on a node: judged against the pod that wrote the file; the newer pod is never deleted', async (t) => {
    const ns = await withNamespace(t, env);
    const original = await apps.readNamespacedDaemonSet(DS);
    const restore = async () => {
      const ds = await apps.readNamespacedDaemonSet(DS);
      const spec = ds.spec as NonNullable<V1DaemonSet['spec']>;
      spec.updateStrategy = original.spec?.updateStrategy;
      spec.minReadySeconds = original.spec?.minReadySeconds;
      spec.template.metadata = original.spec?.template.metadata;
      await apps.replaceNamespacedDaemonSet({ ...DS, body: ds });
      // The rollout back replaces every Multus pod; each new one writes its node's file.
      await waitFor('the Multus DaemonSet rolled back, one Ready pod per node', async () => {
        const d = await apps.readNamespacedDaemonSet(DS);
        const pods = await multusPods(env);
        const s = d.status;
        return (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
          s?.updatedNumberScheduled === s?.desiredNumberScheduled && s?.numberAvailable === s?.desiredNumberScheduled &&
          pods.length === env.nodes.length && pods.every(isReady);
      }, 180_000, 500);
    };
    t.after(restore);

    // A surge rollout that stalls with both pods on the first node: the new pods are never "available"
    // (minReadySeconds), and their Multus container never starts (the node agent's `entrypoint: none`), so the
    // node's file still holds the old pod's token — as when the new pod is still pulling its image.
    const ds = await apps.readNamespacedDaemonSet(DS);
    const spec = ds.spec as NonNullable<V1DaemonSet['spec']>;
    spec.minReadySeconds = 3600;
    spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    spec.template.metadata = { ...spec.template.metadata,
      annotations: { ...spec.template.metadata?.annotations, 'sim.mtr.local/entrypoint': 'none',
        'multus-token-rotator.io/e2e-rollout': randomBytes(4).toString('hex') } };
    await apps.replaceNamespacedDaemonSet({ ...DS, body: ds });

    let pair: { node: string; old: V1Pod; fresh: V1Pod } | undefined;
    await waitFor('a node with two Multus pods (surge)', async () => {
      const pods = await multusPods(env);
      for (const n of env.nodes) {
        const on = pods.filter((p) => p.spec?.nodeName === n)
          .sort((a, b) =>
            new Date(a.metadata?.creationTimestamp ?? 0).getTime() -
            new Date(b.metadata?.creationTimestamp ?? 0).getTime()
          );
        if (on.length === 2 && isReady(on[0])) pair = { node: n, old: on[0] as V1Pod, fresh: on[1] as V1Pod };
      }
      return pair !== undefined;
    }, 60_000, 250);
    assert.ok(pair);
    const { node, old, fresh } = pair;
    // The old pod's copy, expiring in 2 h: the node needs a rotation, and the token is bound to the old pod.
    restoreNodeFileAfter(t, env, node);
    writeNodeFile(t, env.root, node, multusKubeconfig(await boundToken(env, old, 2 * 3600)));

    const dry = await runLocal(env, ['-o', 'json', '--summary-namespace', ns]);
    const r = parse(dry.stdout);
    const f = r.findings.find((x) => x.node === node);
    assert.equal(f?.class, 'expiring', `${f?.reason}\n${dry.stderr}`);
    assert.equal(f?.multusPod.uid, uidOf(old), 'judged against the pod whose token the file holds');
    assert.deepEqual(r.plan.steps.filter((s) => s.node === node).map((s) => s.multusPod.uid), [uidOf(old)]);
    assert.ok(!r.plan.steps.some((s) => s.multusPod.uid === uidOf(fresh)), 'the newer pod is never planned');

    await runLocal(env, ['--execute', '--yes', '-o', 'json', '--lease-namespace', ns, '--summary-namespace', ns,
      '--step-timeout', '30s']);
    const still = (await multusPods(env)).find((p) => uidOf(p) === uidOf(fresh));
    assert.ok(still && !still.metadata?.deletionTimestamp, 'the newer Multus pod was not deleted');
  });
});
