// npm run bench -- [--nodes 1000] [--pods-per-node 30] [--groups 4] [--naive-sample 100] [--runs 2] [--keep] [--reuse]
//
// Brings up a scale-mode local control plane (bench/scale-cluster.ts) on a PRIVATE root and port offset
// (MTR_CLUSTER_DIR, default /tmp/mtr-bench; MTR_CLUSTER_PORT_OFFSET, default 200), then measures:
//   - the rotator's dry run, as a child process (`node scripts/rotate.ts … -o json`): wall time of the scan
//     (run-started → workloads-listed, from its JSON progress lines) and of the whole process, its peak memory
//     (/usr/bin/time -v "Maximum resident set size", and VmHWM polled from /proc), and the API requests it made by verb
//     and resource (apiserver_request_total from the API server's /metrics, before and after, diffed);
//   - the naive shell loop (bench/naive-loop.sh) on a sample of nodes, extrapolated to all nodes;
//   - the planner alone (bench/plan-bench.ts).
// Writes bench/last-run.json and bench/last-run.md. The cluster is brought down at the end unless --keep.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

process.env.MTR_CLUSTER_DIR ??= '/tmp/mtr-bench';
process.env.MTR_CLUSTER_PORT_OFFSET ??= '200';
const { scaleUp, scaleDown, benchNode } = await import('./scale-cluster.ts');
const { PORTS, kubectlPath } = await import('../local-cluster/cluster.ts');
const { readState, alive } = await import('../local-cluster/processes.ts');

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');
const { values: args } = parseArgs({ options: {
  nodes: { type: 'string', default: '1000' },
  'pods-per-node': { type: 'string', default: '30' },
  groups: { type: 'string', default: '4' },
  namespaces: { type: 'string', default: '50' },
  concurrency: { type: 'string', default: '48' },
  'naive-sample': { type: 'string', default: '100' },
  runs: { type: 'string', default: '2' },
  'rotator-concurrency': { type: 'string' },
  keep: { type: 'boolean', default: false },
  reuse: { type: 'boolean', default: false },
  'skip-naive': { type: 'boolean', default: false },
  down: { type: 'boolean', default: false },
} });
const N = Number(args.nodes);
const P = Number(args['pods-per-node']);
const root = path.resolve(process.env.MTR_CLUSTER_DIR);
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// ---- the API server's request counters ----
type Counters = Map<string, number>;
function scrape(): Promise<Counters> {
  const pki = path.join(root, 'pki');
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: PORTS.apiserver, path: '/metrics', method: 'GET',
      ca: readFileSync(path.join(pki, 'ca.crt')), cert: readFileSync(path.join(pki, 'admin.crt')),
      key: readFileSync(path.join(pki, 'admin.key')) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        const out: Counters = new Map();
        for (const line of text.split('\n')) {
          if (!line.startsWith('apiserver_request_total{')) continue;
          const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
          const key = `${labels.verb} ${labels.resource || '(non-resource)'}${labels.subresource ? `/${labels.subresource}` : ''}`;
          out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
        }
        resolve(out);
      });
    });
    req.on('error', reject);
    req.end();
  });
}
function diff(before: Counters, after: Counters): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of after) {
    const n = v - (before.get(k) ?? 0);
    if (n > 0 && k !== 'GET (non-resource)') d[k] = n; // our own /metrics scrape
  }
  return Object.fromEntries(Object.entries(d).sort((a, b) => b[1] - a[1]));
}

// ---- the rotator's dry run ----
interface RotatorRun {
  wallMs: number; scanMs: number; readsMs: number; planMs: number; exitCode: number; maxRssKiB: number;
  hwmKiB: number; requests: Record<string, number>; classes: Record<string, number>; steps: number;
  workloadPods: number; nodeReads: number;
}
async function runRotator(kubeconfig: string): Promise<RotatorRun> {
  const before = await scrape();
  const rotArgs = [process.execPath, path.join(repoRoot, 'scripts', 'rotate.ts'), '--kubeconfig', kubeconfig,
    '-o', 'json', '--max-nodes', String(N), '--summary-namespace', 'multus-token-rotator',
    ...(args['rotator-concurrency'] ? ['--concurrency', args['rotator-concurrency']] : [])];
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-v', ...rotArgs], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_'))) });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  // VmHWM of the node process (the child of /usr/bin/time), polled until it exits.
  let hwm = 0;
  const poll = setInterval(() => {
    try {
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
      for (const k of kids) {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${k}/status`, 'utf8'));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      }
    } catch { /* gone */ }
  }, 20);
  const code: number = await new Promise((r) => child.on('close', (c) => r(c ?? -1)));
  clearInterval(poll);
  const wallMs = performance.now() - t0;
  const after = await scrape();
  const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as
    { time: string; event: string; [k: string]: unknown });
  const at = (ev: string, last = false) => {
    const list = lines.filter((l) => l.event === ev);
    const l = last ? list[list.length - 1] : list[0];
    return l ? Date.parse(l.time) : NaN;
  };
  const maxRss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN);
  if (!stdout.trim()) throw new Error(`the rotator printed nothing (exit ${code}):\n${stderr.slice(-3000)}`);
  const doc = JSON.parse(stdout) as { findings: { class: string }[]; plan: { steps: unknown[] } };
  const classes: Record<string, number> = {};
  for (const f of doc.findings) classes[f.class] = (classes[f.class] ?? 0) + 1;
  const wl = lines.find((l) => l.event === 'workloads-listed');
  return {
    wallMs, exitCode: code, maxRssKiB: maxRss, hwmKiB: hwm,
    scanMs: at('workloads-listed') - at('run-started'),
    readsMs: at('node-read', true) - at('multus-pods-found'),
    planMs: at('plan-built') - at('workloads-listed'),
    requests: diff(before, after), classes, steps: doc.plan.steps.length,
    workloadPods: Number(wl?.pods ?? 0), nodeReads: lines.filter((l) => l.event === 'node-read').length,
  };
}

// ---- the naive loop ----
async function runNaive(kubeconfig: string, sample: string[]) {
  const file = path.join(root, 'naive-nodes.txt');
  writeFileSync(file, sample.join('\n') + '\n');
  const before = await scrape();
  const t0 = performance.now();
  const out = execFileSync('bash', [path.join(here, 'naive-loop.sh'), kubectlPath(), kubeconfig, file],
    { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ms = performance.now() - t0;
  const after = await scrape();
  const ok = out.split('\n').filter((l) => l && !l.includes(' ERROR ')).length;
  return { sample: sample.length, ok, ms, perNodeMs: ms / sample.length, extrapolatedMs: (ms / sample.length) * N,
    requests: diff(before, after), firstLine: out.split('\n')[0]?.replace(/ \d+ system:/, ' <exp> system:') };
}

function machine() {
  const cpu = os.cpus()[0]?.model ?? '?';
  return { cpus: os.cpus().length, cpu, memGiB: +(os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release(),
    node: process.version };
}

// ---- main ----
if (args.down) {
  await scaleDown(path.resolve(process.env.MTR_CLUSTER_DIR), log);
  process.exit(0);
}
let cluster: Awaited<ReturnType<typeof scaleUp>> | undefined;
const started = Date.now();
try {
  const state = readState(root);
  if (args.reuse && state && state.processes.filter((p) => p.name !== 'multus-sim').every((p) => alive(p.pid))) {
    log(`reusing the running bench cluster in ${root} (${state.nodes.length} nodes)`);
    cluster = { root, kubeconfig: path.join(root, 'kubeconfig'), server: state.apiserver, nodes: state.nodes,
      groupOf: () => 0, setup: JSON.parse(readFileSync(path.join(root, 'setup.json'), 'utf8')), bin: '' };
  } else {
    cluster = await scaleUp({ root, nodes: N, podsPerNode: P, groups: Number(args.groups),
      namespaces: Number(args.namespaces), concurrency: Number(args.concurrency), log });
    writeFileSync(path.join(root, 'setup.json'), JSON.stringify(cluster.setup, null, 2));
  }
  // Noise: what the API server serves with nobody but the simulators around, over 10 s.
  const q0 = await scrape();
  await sleep(10_000);
  const idle = diff(q0, await scrape());
  log(`idle requests in 10 s: ${JSON.stringify(idle)}`);

  const runs: RotatorRun[] = [];
  for (let r = 0; r < Number(args.runs); r++) {
    const run = await runRotator(cluster.kubeconfig);
    log(`rotator run ${r + 1}: wall ${(run.wallMs / 1000).toFixed(2)} s, scan ${(run.scanMs / 1000).toFixed(2)} s ` +
      `(reads ${(run.readsMs / 1000).toFixed(2)} s), plan ${run.planMs} ms, maxRSS ${(run.maxRssKiB / 1024).toFixed(0)} MiB, ` +
      `exit ${run.exitCode}, ${run.nodeReads} reads, ${run.workloadPods} workload pods kept, ${run.steps} steps, ` +
      `classes ${JSON.stringify(run.classes)}`);
    log(`  requests: ${JSON.stringify(run.requests)}`);
    runs.push(run);
  }

  let naive: Awaited<ReturnType<typeof runNaive>> | undefined;
  if (!args['skip-naive']) {
    const k = Math.min(N, Number(args['naive-sample']));
    const step = N / k;
    const sample = Array.from({ length: k }, (_, i) => benchNode(Math.floor(i * step)));
    log(`naive loop on ${k} of ${N} nodes …`);
    naive = await runNaive(cluster.kubeconfig, sample);
    log(`naive: ${(naive.ms / 1000).toFixed(1)} s for ${naive.sample} nodes (${naive.ok} ok) = ` +
      `${naive.perNodeMs.toFixed(0)} ms/node → ${(naive.extrapolatedMs / 1000).toFixed(0)} s for ${N} nodes`);
    log(`  requests: ${JSON.stringify(naive.requests)}`);
  }

  log('planner alone: bench/plan-bench.ts …');
  const planBench = execFileSync(process.execPath, [path.join(here, 'plan-bench.ts')], { cwd: repoRoot }).toString();
  process.stderr.write(planBench);

  const best = runs.reduce((a, b) => (a.scanMs <= b.scanMs ? a : b));
  const result = { date: new Date().toISOString(), machine: machine(), nodes: N, podsPerNode: P,
    groups: Number(args.groups), setup: cluster.setup, idleRequests10s: idle, rotatorRuns: runs, naive,
    ratio: naive ? naive.extrapolatedMs / best.scanMs : undefined, planBench };
  writeFileSync(path.join(here, 'last-run.json'), JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# bench run ${result.date}`, '',
    `machine: ${JSON.stringify(result.machine)}`, `cluster: ${N} nodes × ${P} pods, ${args.groups} kwok groups`, '',
    `setup (s): ${JSON.stringify(cluster.setup)}`, '',
    '| run | scan s | node reads s | plan ms | whole run s | max RSS MiB | VmHWM MiB | exit |', '|---|---|---|---|---|---|---|---|',
    ...runs.map((r, i) => `| ${i + 1} | ${(r.scanMs / 1000).toFixed(2)} | ${(r.readsMs / 1000).toFixed(2)} | ${r.planMs} | ` +
      `${(r.wallMs / 1000).toFixed(2)} | ${(r.maxRssKiB / 1024).toFixed(0)} | ${(r.hwmKiB / 1024).toFixed(0)} | ${r.exitCode} |`),
    '', 'requests (run 1):', '', ...Object.entries(runs[0]?.requests ?? {}).map(([k, v]) => `- ${k}: ${v}`), '',
    naive ? `naive: ${naive.sample} nodes in ${(naive.ms / 1000).toFixed(1)} s (${naive.perNodeMs.toFixed(0)} ms/node) → ` +
      `${(naive.extrapolatedMs / 1000).toFixed(0)} s for ${N}; ratio naive/rotator scan = ${result.ratio?.toFixed(1)}×` : '',
    naive ? `naive requests: ${JSON.stringify(naive.requests)}` : '', '', '```', planBench.trim(), '```', '',
  ].join('\n');
  writeFileSync(path.join(here, 'last-run.md'), md);
  log(`wrote bench/last-run.json and bench/last-run.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  if (!args.keep) await scaleDown(root, log);
  else log(`cluster left running (--keep): KUBECONFIG=${path.join(root, 'kubeconfig')}; stop: node bench/run-bench.ts --down`);
}
