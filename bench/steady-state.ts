// The API requests of a steady-state run (issue 16 item 5), counted by the kube-apiserver itself
// (apiserver_request_total before and after each run) on a scale cluster (bench/scale-cluster.ts):
//   1. the first run (no facts yet): every node is read;
//   2. the second run, nothing changed, on the bench fleet as it is;
//   3. the steady state of a healthy fleet: the facts of the last reads say every node's token is healthy;
//   4. the same again (the facts unchanged: not written).
// The scale cluster cannot give every node a healthy token: its 4 kwok groups each show one file to all their nodes,
// a token bound to the group's first node's Multus pod, so the other nodes' tokens are `invalid` (bound to another
// pod) and a run reads them every time — correctly: a node that needs action is always read. For runs 3 and 4 the facts
// ConfigMap is therefore rewritten from run 1's facts of a group's healthy read, each node's row re-keyed to that
// node's own Multus pod ("as if each node held its own healthy token"); the run then reads no node, and the requests
// counted are what a steady-state run costs at this fleet size. Every run is a dry run with --max-nodes 10 (as the
// CronJob; an --execute run with nothing to do sends the same requests: it takes the lease only to act).
//
//   MTR_CLUSTER_DIR=/tmp/mtr-steady MTR_CLUSTER_PORT_OFFSET=2 node bench/steady-state.ts --nodes 1000 [--reuse] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';

process.env.MTR_CLUSTER_DIR ??= '/tmp/mtr-steady';
process.env.MTR_CLUSTER_PORT_OFFSET ??= '2';
const { scaleUp, scaleDown } = await import('./scale-cluster.ts');
const { kubectlPath } = await import('../local-cluster/cluster.ts');
const { readState } = await import('../local-cluster/processes.ts');

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const { values: args } = parseArgs({ options: {
  nodes: { type: 'string', default: '1000' },
  'pods-per-node': { type: 'string', default: '2' },
  reuse: { type: 'boolean', default: false },
  keep: { type: 'boolean', default: false },
} });
const root = path.resolve(process.env.MTR_CLUSTER_DIR);
const kubeconfig = path.join(root, 'kubeconfig');
const log = (m: string) => process.stderr.write(`[steady ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const NS = 'multus-token-rotator';
const NAME = `steady-${Date.now().toString(36)}`;
const FACTS = `${NAME}-facts`;

function counters(): Map<string, number> {
  const text = execFileSync(kubectlPath(), ['--kubeconfig', kubeconfig, 'get', '--raw', '/metrics'], {
    maxBuffer: 256 * 1024 * 1024,
  }).toString();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const l = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!l.resource) continue; // non-resource: our own /metrics scrapes, /readyz of the simulators
    const key = `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

function diff(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const d: [string, number][] = [];
  for (const [k, v] of b) if (v - (a.get(k) ?? 0) > 0) d.push([k, v - (a.get(k) ?? 0)]);
  return Object.fromEntries(d.sort((x, y) => y[1] - x[1]));
}

function run(label: string) {
  const before = counters();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'rotate.ts'), '--kubeconfig', kubeconfig, '-o',
    'json', '--max-nodes', '10', '--summary-namespace', NS, '--summary-name', NAME], { cwd: repoRoot,
    maxBuffer: 512 * 1024 * 1024, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const ms = performance.now() - t0;
  const requests = diff(before, counters());
  const events = r.stderr.toString().split('\n').filter((l) => l.startsWith('{')).map((l) =>
    JSON.parse(l) as Record<string, unknown>
  );
  const reads = events.filter((e) => e.event === 'node-read').length;
  const total = Object.values(requests).reduce((a, b) => a + b, 0);
  log(`${label}: exit ${r.status}, ${(ms / 1000).toFixed(1)} s, ${reads} node(s) read, ${total} API requests ` +
    `${JSON.stringify(requests)}; load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  return { label, ms, reads, total, requests, load: os.loadavg()[0] };
}

try {
  const N = Number(args.nodes);
  if (!(args.reuse && readState(root))) {
    await scaleUp({ root, nodes: N, podsPerNode: Number(args['pods-per-node']), groups: 4, namespaces: 10,
      concurrency: 48, log });
  }
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const results = [run('1. first run, no facts'), run('2. nothing changed, the bench fleet as it is')];

  // Re-key a healthy row of the facts to every node's own Multus pod.
  const cm = await core.readNamespacedConfigMap({ name: FACTS, namespace: NS });
  const doc = JSON.parse(cm.data?.['nodes.json'] ?? '{}') as { nodes: unknown[][] };
  const healthy = doc.nodes[0];
  if (!healthy) throw new Error('no healthy node in the facts: nothing to re-key');
  const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'app=multus' });
  doc.nodes = pods.items.map((p) => [p.spec?.nodeName, p.metadata?.uid, ...healthy.slice(2)])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const text = JSON.stringify(doc);
  await core.replaceNamespacedConfigMap({ name: FACTS, namespace: NS, body: { ...cm, data: { 'nodes.json': text } } });
  log(`facts re-keyed: ${doc.nodes.length} nodes, ${Buffer.byteLength(text)} bytes`);
  results.push(run('3. steady state: every node healthy by its facts'), run('4. the same again'));
  process.stdout.write(JSON.stringify({ nodes: N, cpus: os.cpus().length, results }, null, 2) + '\n');
} finally {
  if (!args.keep) await scaleDown(root, log);
}
