#!/usr/bin/env zx
// npm run demo: the job on an embedded local cluster. Brings the local control plane up (building it on first use),
// seeds a realistic cluster — 4 nodes: one token expired, one expiring, one healthy, one expiring whose workload a
// budget protects, plus Deployments, a StatefulSet and a bare pod that use secondary networks — runs the rotator as
// a dry run and then for real, prints the summary, and shuts the cluster down (unless it was already running).
import { $, chalk, echo } from 'zx';
import { down, up } from './cluster.ts';
import { waitFor } from './processes.ts';
import { clusterEnv, createAttachment } from './seed/cluster-env.ts';
import { multusPods } from './seed/multus.ts';
import { multusKubeconfig } from './seed/node-files.ts';
import { boundToken } from './seed/tokens.ts';
import { barePod, budget, deployment, settled, statefulSet } from './seed/workloads.ts';
import { CoreV1Api } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { nodeKubeconfigFile } from './cluster.ts';

const started = Date.now();

interface PodRow {
  name: string;
  ready: boolean;
  status: string;
}

/** Pods of the demo namespace whose names start with one of `prefixes`, as `kubectl get pods` would say. */
async function podRows(prefixes: string[]): Promise<PodRow[]> {
  const pods = (await core.listNamespacedPod({ namespace: NS })).items
    .filter((p) => prefixes.some((x) => p.metadata?.name?.startsWith(x)));
  return pods.map((p) => {
    const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    const waiting = p.status?.containerStatuses?.[0]?.state?.waiting?.reason;
    return { name: p.metadata?.name ?? '', ready, status: ready ? 'Running' : waiting ?? p.status?.phase ?? '' };
  });
}

/** Waits until each pod has failed its sandbox twice, then returns its status and the kubelet's Event. */
async function showStuck(prefixes: string[]): Promise<string[]> {
  const lines: string[] = [];
  await waitFor('the new pods to fail their sandbox', async () => {
    const events = (await core.listNamespacedEvent({ namespace: NS })).items
      .filter((e) => e.reason === 'FailedCreatePodSandBox' && (e.count ?? 0) >= 2);
    const rows = await podRows(prefixes);
    lines.length = 0;
    for (const r of rows) {
      const e = events.find((x) => x.involvedObject.name === r.name);
      if (!e) return false;
      lines.push(`${r.name.padEnd(28)} ${r.status.padEnd(18)} ${e.reason}: …${(e.message ?? '').slice(-110)}`);
    }
    return rows.length === prefixes.length;
  }, 60_000);
  return lines;
}
const step = (text: string) => echo(chalk.bold.cyan(`\n▶ ${text}\n`));

step('Bringing up the local cluster (4 simulated nodes; the first build takes 15-30 minutes)');
const cluster = await up({ nodes: 4 });
const env = clusterEnv();
const core = env.kc.makeApiClient(CoreV1Api);
const NS = 'demo';
try {
  const [expired, expiring, healthy, guarded] = env.nodes;
  if (!expired || !expiring || !healthy || !guarded) throw new Error('the demo needs 4 nodes');

  step(`Seeding namespace ${NS}: workloads that use secondary networks, and aged tokens`);
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await waitFor(`namespace ${NS} to be gone`, async () =>
    core.readNamespace({ name: NS }).then(() => false, () => true), 60_000);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await waitFor('the default service account', async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: NS }).then(() => true, () => false), 30_000);
  await createAttachment(env, NS);
  await deployment(env, NS, 'web', expired, 2);
  await budget(env, NS, 'web', 'web', { maxUnavailable: 1 });
  await barePod(env, NS, 'debug-shell', expired);
  await statefulSet(env, NS, 'db', expiring);
  await deployment(env, NS, 'cache', healthy, 1);
  await deployment(env, NS, 'payments', guarded, 1);
  await budget(env, NS, 'payments', 'payments', { maxUnavailable: 0 });
  await deployment(env, NS, 'metrics', guarded, 1, {}); // no secondary network: not a dependent
  await settled(env, NS, 7);
  const pods = await multusPods(env);
  const age = async (node: string, seconds: number) => {
    const pod = pods.find((p) =>
      p.spec?.nodeName === node
    );
    if (!pod) throw new Error(`no Multus pod on ${node}`);
    writeFileSync(nodeKubeconfigFile(env.root, node), multusKubeconfig(await boundToken(env, pod, seconds)));
  };
  await age(expired, -2 * 3600);
  await age(expiring, 6 * 3600);
  await age(guarded, 12 * 3600);
  echo(`${expired}: token expired 2 h ago · ${expiring}: expires in 6 h · ${healthy}: healthy · ` +
    `${guarded}: expires in 12 h, its "payments" pod is protected by a budget that allows no disruption`);

  step(
    `The outage: a new pod on ${expired} cannot get its network — the real Multus binary is refused by the API server`,
  );
  await barePod(env, NS, 'new-on-expired', expired);
  await deployment(env, NS, 'late', expired, 1, {}); // no secondary network: Multus serves the default network too
  const stuck = await showStuck(['new-on-expired', 'late-']);
  echo(stuck.map((line) => `  ${line}`).join('\n'));

  const rotate = ['node', 'scripts/rotate.ts', '--kubeconfig', env.kubeconfig, '--summary-namespace', NS,
    '--lease-namespace', NS, '--step-timeout', '30s'];
  // The cluster's own variables (a second cluster's root and ports) are not the rotator's: it refuses unknown MTR_*.
  const rotatorEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_CLUSTER_')));
  step('Dry run: what would be done (nothing changes)');
  const dry = await $({ stdio: 'inherit', nothrow: true, env: rotatorEnv })`${rotate}`;
  echo(chalk.dim(`exit code ${dry.exitCode} (3: nodes need rotation)`));

  step('Executing: node by node, Multus first, then each dependent through the Eviction API');
  const real = await $({ stdio: 'inherit', nothrow: true, env: rotatorEnv })`${[...rotate, '--execute', '--yes']}`;
  echo(chalk.dim(`exit code ${real.exitCode} (3: something is left for a person — here the budget-protected pod)`));

  step(`After the rotation: the pods that were stuck on ${expired} started by themselves (nobody touched them)`);
  await waitFor('the stuck pods to start', async () =>
    (await podRows(['new-on-expired', 'late-']))
      .every((r) => r.ready), 60_000);
  for (const r of await podRows(['new-on-expired', 'late-'])) echo(`  ${r.name.padEnd(28)} ${r.status}`);

  step(`The summary, as kubectl shows it: kubectl -n ${NS} get cm multus-token-rotator-summary`);
  const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: NS });
  for (const key of ['last-run', 'outcome', 'exit-code', 'earliest-expiry', 'nodes-by-class']) {
    echo(`${key.padEnd(16)} ${cm.data?.[key] ?? ''}`);
  }
  const summary = cm.data?.['summary.yaml'] ?? '';
  const execution = summary.slice(summary.indexOf('\nexecution:') + 1);
  echo(chalk.dim('\nsummary.yaml, execution section (first 60 lines):'));
  echo(execution.split('\n').slice(0, 60).join('\n'));

  step('After: a second dry run');
  await $({ stdio: 'inherit', nothrow: true, env: rotatorEnv })`${rotate}`;
} finally {
  if (!cluster.reused) {
    step('Shutting the cluster down');
    await down();
  } else {
    echo(chalk.dim(`\nThe cluster was already running: left running, with namespace ${NS}.`));
  }
  echo(chalk.bold(`\nDemo finished in ${((Date.now() - started) / 1000).toFixed(1)} s.`));
}
