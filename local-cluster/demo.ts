#!/usr/bin/env zx
// npm run demo: the job on an embedded local cluster. Brings the local control plane up (building it on first use),
// seeds a realistic cluster — 4 nodes with Deployments, a StatefulSet and a bare pod that use secondary networks, and
// budgets — then breaks every node at once as a re-applied manifest does (the multus ServiceAccount recreated), shows
// new pods stuck in ContainerCreating, runs the rotator as a dry run and then for real at --max-nodes 2: every node
// is repaired in one run and the stuck pods start by themselves. Prints the summary and shuts the cluster down
// (unless it was already running).
import { $, chalk, echo } from 'zx';
import { down, up } from './cluster.ts';
import { waitFor } from './processes.ts';
import { clusterEnv, createAttachment } from './seed/cluster-env.ts';
import { barePod, budget, deployment, settled, statefulSet } from './seed/workloads.ts';
import { CoreV1Api } from '@kubernetes/client-node';

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
  const [n0, n1, n2, n3] = env.nodes;
  if (!n0 || !n1 || !n2 || !n3) throw new Error('the demo needs 4 nodes');

  step(`Seeding namespace ${NS}: workloads that use secondary networks`);
  await core.deleteNamespace({ name: NS }).catch(() => undefined);
  await waitFor(`namespace ${NS} to be gone`, async () =>
    core.readNamespace({ name: NS }).then(() => false, () => true), 60_000);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await waitFor('the default service account', async () =>
    core.readNamespacedServiceAccount({ name: 'default', namespace: NS }).then(() => true, () => false), 30_000);
  await createAttachment(env, NS);
  await deployment(env, NS, 'web', n0, 2);
  await budget(env, NS, 'web', 'web', { maxUnavailable: 1 });
  await barePod(env, NS, 'debug-shell', n0);
  await statefulSet(env, NS, 'db', n1);
  await deployment(env, NS, 'cache', n2, 1);
  await deployment(env, NS, 'payments', n3, 1);
  await budget(env, NS, 'payments', 'payments', { maxUnavailable: 0 });
  await deployment(env, NS, 'metrics', n3, 1, {}); // no secondary network
  await settled(env, NS, 7);
  const before = new Map((await podRows(['web-', 'db-', 'cache-', 'payments-', 'metrics-', 'debug-shell']))
    .map((r) => [r.name, r.status]));
  echo(`${before.size} workload pods Running on ${env.nodes.length} nodes, every Multus token healthy`);

  step('The outage: the multus ServiceAccount is recreated (a re-applied manifest does it) — every token is rejected');
  const sa = await core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
  await core.deleteNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' });
  await waitFor('the old service account to be gone', async () =>
    core.readNamespacedServiceAccount({ name: 'multus', namespace: 'kube-system' }).then(() =>
      false, () =>
      true), 30_000);
  await core.createNamespacedServiceAccount({ namespace: 'kube-system',
    body: { metadata: { name: 'multus', labels: sa.metadata?.labels } } });
  // The API server remembers a successful token authentication for 10 s.
  await new Promise((resolve) =>
    setTimeout(resolve, 11_000)
  );
  const fresh = env.nodes.map((_, i) => `new-${i}`);
  for (const [i, node] of env.nodes.entries()) await barePod(env, NS, `new-${i}`, node);
  echo('A new pod on every node: the real Multus binary is refused by the API server, so none can get its network');
  echo((await showStuck(fresh)).map((line) => `  ${line}`).join('\n'));

  const rotate = ['node', 'scripts/rotate.ts', '--kubeconfig', env.kubeconfig, '--summary-namespace', NS,
    '--lease-namespace', NS, '--step-timeout', '60s', '--max-nodes', '2'];
  // The cluster's own variables (a second cluster's root and ports) are not the rotator's: it refuses unknown MTR_*.
  const rotatorEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_CLUSTER_')));
  step('Dry run at --max-nodes 2: every broken node is planned anyway (repair is not prevention); nothing changes');
  const dry = await $({ stdio: 'inherit', nothrow: true, env: rotatorEnv })`${rotate}`;
  echo(chalk.dim(`exit code ${dry.exitCode} (3: nodes need rotation)`));

  step("Executing: the broken nodes' Multus pods restarted in one parallel wave, each fresh token proven");
  const runStart = Date.now();
  const real = await $({ stdio: 'inherit', nothrow: true, env: rotatorEnv })`${[...rotate, '--execute', '--yes']}`;
  echo(chalk.dim(`exit code ${real.exitCode}, in ${((Date.now() - runStart) / 1000).toFixed(1)} s`));

  step('After the repair: the stuck pods started by themselves, and no Running pod was evicted');
  await waitFor('the stuck pods to start', async () => (await podRows(fresh)).every((r) => r.ready), 60_000);
  for (const r of await podRows(fresh)) echo(`  ${r.name.padEnd(28)} ${r.status}`);
  const after = await podRows([...before.keys()]);
  const kept = after.filter((r) => before.has(r.name)).length;
  echo(`  ${kept} of ${before.size} workload pods are the same pods as before the outage (same names, not evicted)`);

  step(`The summary, as kubectl shows it: kubectl -n ${NS} get cm multus-token-rotator-summary`);
  const cm = await core.readNamespacedConfigMap({ name: 'multus-token-rotator-summary', namespace: NS });
  for (const key of ['last-run', 'outcome', 'exit-code', 'repair', 'nodes-by-class']) {
    echo(`${key.padEnd(16)} ${cm.data?.[key] ?? ''}`);
  }
  const summary = cm.data?.['summary.yaml'] ?? '';
  const repair = summary.slice(summary.indexOf('\nrepair:') + 1);
  echo(chalk.dim('\nsummary.yaml, repair section:'));
  echo(repair.split('\n').slice(0, 12).join('\n'));

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
