// How long the rotator takes to move on after a replacement becomes Ready (--execute), on the ordinary local cluster
// (local-cluster/cluster.ts up(): controller-manager, scheduler, one kwok per node, the node agent) on a PRIVATE root
// and port offset. A watch in this process records when each pod is first seen Ready; the rotator's JSON progress lines
// say when it noticed: `multus-restarted` (the new Multus pod Ready) and `pod-done` (a dependent's replacement Ready).
// Usage: node bench/exec-wait.ts [--nodes 3] [--replicas 2] [--crowd 0]   (--crowd N: N other pods in the namespace)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { AppsV1Api, CoreV1Api, Watch, type V1Pod } from '@kubernetes/client-node';

process.env.MTR_CLUSTER_DIR ??= '/tmp/mtr-bench-exec';
process.env.MTR_CLUSTER_PORT_OFFSET ??= '200';
const { up, down } = await import('../local-cluster/cluster.ts');
const { waitFor } = await import('../local-cluster/processes.ts');
const { mapLimit } = await import('../scripts/shared/map-limit.ts');

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const { values: args } = parseArgs({ options: {
  nodes: { type: 'string', default: '3' },
  replicas: { type: 'string', default: '2' },
  crowd: { type: 'string', default: '0' },
  keep: { type: 'boolean', default: false },
} });
const root = path.resolve(process.env.MTR_CLUSTER_DIR);
const log = (m: string) => process.stderr.write(`[exec-wait ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const isReady = (p: V1Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

const c = await up({ root, nodes: Number(args.nodes), log });
try {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = 'bench-exec';
  await core.createNamespace({ body: { metadata: { name: ns } } }).catch(() => undefined);
  await waitFor('the default service account', async () =>
    (await core.listNamespacedServiceAccount({ namespace: ns })).items.length > 0, 60_000);
  const replicas = Number(args.replicas);
  for (const node of c.nodes) {
    const name = `web-${node.replace(/\D/g, '')}`;
    await apps.createNamespacedDeployment({ namespace: ns, body: {
      metadata: { name },
      spec: { replicas, selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name }, annotations: { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' } },
          spec: { nodeName: node, containers: [{ name: 'app', image: `${name}:1` }] } } },
    } }).catch(() => undefined);
  }
  // Other pods in the same namespace (bare, no networks annotation: the rotator leaves them alone).
  const crowd = Number(args.crowd);
  await mapLimit(Array.from({ length: crowd }, (_, i) => i), 32, async (i) => {
    await core.createNamespacedPod({ namespace: ns,
      body: { metadata: { name: `crowd-${i}`, labels: { app: 'crowd' } },
        spec: { nodeName: c.nodes[i % c.nodes.length], containers: [{ name: 'app', image: 'crowd:1' }] } } })
      .catch(() => undefined);
  });
  const want = c.nodes.length * replicas + crowd;
  await waitFor(`${want} Ready pods in ${ns}`, async () =>
    (await core.listNamespacedPod({ namespace: ns })).items.filter((p) =>
      !p.metadata?.deletionTimestamp && isReady(p)
    )
      .length === want, 300_000, 1000);

  // Every node's token expired (bound to its Multus pod, signed by the cluster's key), so each node is rotated and its
  // new Multus pod's fresh token is healthy.
  const { clusterEnv } = await import('../local-cluster/seed/cluster-env.ts');
  const { boundToken } = await import('../local-cluster/seed/tokens.ts');
  const { multusKubeconfig } = await import('../local-cluster/seed/node-files.ts');
  const { nodeKubeconfigFile } = await import('../local-cluster/cluster.ts');
  const env = clusterEnv();
  const multus = (await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' })).items;
  for (const node of c.nodes) {
    const pod = multus.find((p) =>
      p.spec?.nodeName === node && !p.metadata?.deletionTimestamp
    );
    if (!pod) throw new Error(`no Multus pod on ${node}`);
    writeFileSync(nodeKubeconfigFile(root, node), multusKubeconfig(await boundToken(env, pod, -60)));
  }

  // When each pod is first seen Ready, by this process.
  const readyAt = new Map<string, number>();
  const watches: AbortController[] = [];
  for (const [wns, sel] of [['kube-system', 'app=multus'], [ns, undefined]] as const) {
    const list = await core.listNamespacedPod({ namespace: wns, labelSelector: sel });
    for (const p of list.items) if (isReady(p)) readyAt.set(`${wns}/${p.metadata?.name}`, 0);
    watches.push(
      await new Watch(kc).watch(`/api/v1/namespaces/${wns}/pods`, { labelSelector: sel,
        resourceVersion: list.metadata?.resourceVersion }, (_phase, p: V1Pod) => {
        const key = `${wns}/${p.metadata?.name}`;
        if (isReady(p) && !readyAt.has(key)) readyAt.set(key, Date.now());
      }, () => undefined),
    );
  }

  const rotArgs = [path.join(repoRoot, 'scripts', 'rotate.ts'), '--kubeconfig', c.kubeconfig, '--execute', '--yes',
    '-o', 'json', '--max-nodes', String(c.nodes.length), '--summary-namespace', ns, '--lease-namespace', ns,
    '--step-timeout', '120s'];
  const t0 = Date.now();
  const child = spawn(process.execPath, rotArgs, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_'))) });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  child.stdout.resume();
  const code = await new Promise((r) => child.on('close', r));
  const wall = Date.now() - t0;
  for (const w of watches) w.abort();
  const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) =>
    JSON.parse(l) as Record<string, string | number>
  );
  const at = (l: Record<string, string | number>) => Date.parse(String(l.time));
  const rows: { what: string; readyToNoticedMs: number }[] = [];
  let lastEvicted: number | undefined;
  for (const l of lines) {
    if (l.event === 'multus-restarted') {
      const r = readyAt.get(`kube-system/${l.newPod}`);
      if (r) rows.push({ what: `multus ${l.node} (${l.newPod})`, readyToNoticedMs: at(l) - r });
    }
    if (l.event === 'pod-evicted') lastEvicted = at(l);
    const since = lastEvicted;
    if (l.event === 'pod-done' && l.outcome === 'evicted' && since !== undefined) {
      // The replacement: the pod of this namespace that became Ready between the eviction and now.
      const cands = [...readyAt.entries()].filter(([k, t]) => k.startsWith(`${ns}/`) && t >= since && t <= at(l) + 5);
      const r = Math.max(...cands.map(([, t]) => t));
      if (cands.length > 0) rows.push({ what: `dependent ${l.name}`, readyToNoticedMs: at(l) - r });
    }
  }
  const tokenMs = lines.filter((l) => l.event === 'token-fresh').map((l) => Number(l.tokenMs));
  const ms = rows.map((r) => r.readyToNoticedMs).sort((a, b) => a - b);
  const result = { nodes: c.nodes.length, replicas, crowd, exitCode: code, wallMs: wall, rows,
    median: ms[Math.floor(ms.length / 2)], max: ms[ms.length - 1], tokenFreshMs: tokenMs, outcomes: lines.filter((l) =>
      l.event === 'node-finished'
    ).map((l) => `${l.node}:${l.outcome}`) };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (code !== 0) log(`rotator exit ${code}; stderr tail:\n${stderr.slice(-2000)}`);
} finally {
  if (!args.keep) await down({ root, log });
}
