// npm run bench -- [--nodes 1000] [--pods-per-node 30] [--groups 4] [--naive-sample 100] [--runs 2] [--keep] [--reuse]
// npm run bench -- --scenario outage [--nodes 1000] [--phases a,c,b] [--b-sample 60] [--b-bound 300] [--rotator PATH]
//   the outage benchmark (bench/outage-bench.ts): the real DaemonSet controller, every node's token rejected at once,
//   the time until every node's file is fresh by the rotator, and by `kubectl rollout restart` (maxUnavailable 1, 10%).
//
// Brings up a scale-mode local control plane (bench/scale-cluster.ts) on a PRIVATE root and port offset
// (MTR_CLUSTER_DIR, default /tmp/mtr-bench; MTR_CLUSTER_PORT_OFFSET, default 200), then measures:
//   - the rotator's dry run, as a child process (`node scripts/rotate.ts … -o json`): wall time of the scan
//     (run-started → workloads-listed, from its JSON progress lines) and of the whole process, its peak memory
//     (/usr/bin/time -v "Maximum resident set size", and VmHWM polled from /proc), and the API requests it made by verb
//     and resource (apiserver_request_total from the API server's /metrics, before and after, diffed);
//   - the floor: the same N exec reads and TokenReviews by a minimal client at the same concurrency
//     (bench/floor-client.ts), in the same bench run, right after the rotator's runs;
//   - the rotator as the CronJob runs it (--max-nodes 10, cronjob.yaml's NODE_OPTIONS heap cap): its peak memory;
//   - the naive shell loop (bench/naive-loop.sh) on a sample of nodes, extrapolated to all nodes;
//   - the planner alone (bench/plan-bench.ts).
// The machine's load (1-minute load average, other API servers running) is recorded next to every figure: this
// machine is shared. Every child process has a time limit.
// Writes bench/last-run.json and bench/last-run.md. The cluster is brought down at the end unless --keep.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { PooledKubeConfig } from '../scripts/cluster/pooled-kube-config.ts';
import { rawLister } from '../scripts/cluster/raw-list.ts';

process.env.MTR_CLUSTER_DIR ??= '/tmp/mtr-bench';
process.env.MTR_CLUSTER_PORT_OFFSET ??= '200';
const { scaleUp, scaleDown, benchNode, benchBin } = await import('./scale-cluster.ts');
const { PORTS } = await import('../local-cluster/cluster.ts');
const { readState, alive } = await import('../local-cluster/processes.ts');
const { runOutage, cronjobEnv, rotatorCommit } = await import('./outage-bench.ts');

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
  'api-setup': { type: 'boolean', default: false },
  'skip-cronjob-run': { type: 'boolean', default: false },
  down: { type: 'boolean', default: false },
  'small-objects': { type: 'boolean', default: false },
  scenario: { type: 'string', default: 'scan' },
  phases: { type: 'string', default: 'a,c,b' },
  'b-sample': { type: 'string', default: '60' },
  'b-bound': { type: 'string', default: '300' },
  'outage-timeout': { type: 'string', default: '1200' },
  rotator: { type: 'string' },
  rotator2: { type: 'string' },
  'cronjob-heap': { type: 'string' }, // another heap cap (MiB) than cronjob.yaml's for the CronJob-like run
} });
const N = Number(args.nodes);
const outage = args.scenario === 'outage';
if (!['scan', 'outage'].includes(args.scenario)) {
  process.stderr.write(`--scenario ${args.scenario}: not a scenario; give scan (default) or outage\n`);
  process.exit(2);
}
// The outage bench has no workload pods: no ReplicaSet controller runs to replace what the rotator might evict.
const P = outage ? 0 : Number(args['pods-per-node']);
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
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => {
        const out: Counters = new Map();
        for (const line of text.split('\n')) {
          if (!line.startsWith('apiserver_request_total{')) continue;
          const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
          const key = `${labels.verb} ${labels.resource || '(non-resource)'}${
            labels.subresource ? `/${labels.subresource}` : ''
          }`;
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
// ---- the machine's load, recorded next to every figure ----
interface Load {
  loadavg1: number;
  otherApiservers: number;
}
function load(): Load {
  let others = 0;
  try {
    const ours = readState(root)?.processes.find((p) => p.name === 'kube-apiserver')?.pid;
    others = execFileSync('pgrep', ['-x', 'kube-apiserver']).toString().trim().split('\n')
      .filter((p) => p && Number(p) !== ours).length;
  } catch { /* none */ }
  return { loadavg1: +(os.loadavg()[0] ?? 0).toFixed(2), otherApiservers: others };
}

interface RotatorRun {
  wallMs: number;
  scanMs: number;
  readsMs: number;
  planMs: number;
  exitCode: number;
  maxRssKiB: number;
  hwmKiB: number;
  requests: Record<string, number>;
  classes: Record<string, number>;
  steps: number;
  workloadPods: number;
  nodeReads: number;
  loadBefore: Load;
  loadAfter: Load;
  label: string;
}
const ROTATOR_TIMEOUT_MS = 15 * 60_000;
async function runRotator(kubeconfig: string,
  opts: { label: string; maxNodes: number; env?: Record<string, string>; output?: 'json' | 'table' } = {
    label: 'dry run',
    maxNodes: N,
  }): Promise<RotatorRun> {
  const loadBefore = load();
  const before = await scrape();
  const rotArgs = [process.execPath, path.join(repoRoot, 'scripts', 'rotate.ts'), '--kubeconfig', kubeconfig, '-o',
    'json', '--max-nodes', String(opts.maxNodes), '--summary-namespace', 'multus-token-rotator', '--reread-every', '0s', // the bench measures a scan that reads every node (a steady-state run reads none)
    ...(args['rotator-concurrency'] ? ['--concurrency', args['rotator-concurrency']] : [])];
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-v', ...rotArgs], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    timeout: ROTATOR_TIMEOUT_MS, killSignal: 'SIGKILL', env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_') && k !== 'NODE_OPTIONS')),
      ...opts.env,
    } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
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
  const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) =>
    JSON.parse(l) as { time: string; event: string; [k: string]: unknown }
  );
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
    label: opts.label,
    loadBefore,
    loadAfter: load(),
    wallMs,
    exitCode: code,
    maxRssKiB: maxRss,
    hwmKiB: hwm,
    scanMs: at('workloads-listed') - at('run-started'),
    readsMs: at('node-read', true) - at('multus-pods-found'),
    planMs: at('plan-built') - at('workloads-listed'),
    requests: diff(before, after),
    classes,
    steps: doc.plan.steps.length,
    workloadPods: Number(wl?.pods ?? 0),
    nodeReads: lines.filter((l) => l.event === 'node-read').length,
  };
}

// ---- the naive loop ----
async function runNaive(kubeconfig: string, sample: string[]) {
  const file = path.join(root, 'naive-nodes.txt');
  writeFileSync(file, sample.join('\n') + '\n');
  const before = await scrape();
  const t0 = performance.now();
  const out = execFileSync('bash', [path.join(here, 'naive-loop.sh'), path.join(benchBin(), 'kubectl'), kubeconfig,
    file], { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 20 * 60_000 }).toString();
  const ms = performance.now() - t0;
  const after = await scrape();
  const ok = out.split('\n').filter((l) => l && !l.includes(' ERROR ')).length;
  return { sample: sample.length, ok, ms, perNodeMs: ms / sample.length, extrapolatedMs: (ms / sample.length) * N,
    requests: diff(before, after), firstLine: out.split('\n')[0]?.replace(/ \d+ system:/, ' <exp> system:') };
}

// ---- the floor: a minimal client doing the same per-node work ----
interface FloorRun {
  nodes: number;
  concurrency: number;
  listMs: number;
  readsMs: number;
  reads: number;
  authenticated: number;
  failed: number;
  loadBefore: Load;
  loadAfter: Load;
  requests: Record<string, number>;
}
async function runFloor(kubeconfig: string): Promise<FloorRun> {
  const loadBefore = load();
  const before = await scrape();
  const conc = args['rotator-concurrency'] ?? '16';
  const out = execFileSync(process.execPath, [path.join(here, 'floor-client.ts'), kubeconfig, conc], { cwd: repoRoot,
    timeout: 10 * 60_000, maxBuffer: 1 << 20 }).toString();
  const r = JSON.parse(out.trim().split('\n').pop() ?? '{}');
  return { ...r, loadBefore, loadAfter: load(), requests: diff(before, await scrape()) };
}

/** The mean JSON size of the stored nodes, Multus pods and workload pods (a page of each), as listed. */
async function objectSizes(kubeconfig: string): Promise<Record<string, number>> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const raw = rawLister(kc);
  const mean = async (p: string, q: Record<string, string | number>) => {
    const items = (await raw<unknown>(p, { limit: 200, ...q })).items;
    return items.length ? Math.round(items.reduce<number>((n, i) => n + JSON.stringify(i).length, 0) / items.length)
      : 0;
  };
  return { node: await mean('/api/v1/nodes', {}),
    multusPod: await mean('/api/v1/namespaces/kube-system/pods', { labelSelector: 'app=multus' }),
    workloadPod: await mean('/api/v1/namespaces/bench-000/pods', {}) };
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
  if (args.reuse && state && state.processes.every((p) => alive(p.pid))) {
    log(`reusing the running bench cluster in ${root} (${state.nodes.length} nodes)`);
    cluster = { root, kubeconfig: path.join(root, 'kubeconfig'), server: state.apiserver, nodes: state.nodes,
      groupOf: () => 0, setup: JSON.parse(readFileSync(path.join(root, 'setup.json'), 'utf8')), bin: '' };
  } else {
    cluster = await scaleUp({ root, nodes: N, podsPerNode: P, groups: Number(args.groups),
      namespaces: Number(args.namespaces), concurrency: Number(args.concurrency), log, bulk: !args['api-setup'],
      multus: outage ? 'daemonset' : 'bare', realistic: !args['small-objects'], tokenSeconds: 7200 });
    writeFileSync(path.join(root, 'setup.json'), JSON.stringify(cluster.setup, null, 2));
  }
  const sizes = await objectSizes(cluster.kubeconfig);
  log(`object sizes (JSON bytes as the API server returns them): ${JSON.stringify(sizes)}`);
  if (outage) {
    if (!cluster.entrypoint) {
      throw new Error('the outage bench needs the entrypoint simulator (a fresh cluster, no --reuse)');
    }
    const kc = new PooledKubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    // What is measured, recorded before the phases (a checkout may move while they run).
    const rotators = [path.resolve(args.rotator ?? path.join(repoRoot, 'scripts', 'rotate.ts')),
      ...(args.rotator2 ? [path.resolve(args.rotator2)] : [])].map((r) => ({ path: r, commit: rotatorCommit(r),
        cronjobEnv: cronjobEnv(path.dirname(path.dirname(r))) })
      );
    const results = await runOutage({ kc, kubeconfig: cluster.kubeconfig, root, nodes: cluster.nodes,
      entrypoint: cluster.entrypoint, kubectl: path.join(benchBin(), 'kubectl'),
      rotator: path.resolve(args.rotator ?? path.join(repoRoot, 'scripts', 'rotate.ts')),
      ...(args.rotator2 ? { rotator2: path.resolve(args.rotator2) } : {}), phases: args.phases.split(','),
      bSample: Number(args['b-sample']), bBoundS: Number(args['b-bound']), timeoutS: Number(args['outage-timeout']),
      load, log });
    const doc = { date: new Date().toISOString(), machine: machine(), nodes: N, groups: Number(args.groups),
      setup: cluster.setup, sizes, rotators, results, entrypointErrors: cluster.entrypoint.errors.slice(0, 20) };
    writeFileSync(path.join(here, 'last-outage.json'), JSON.stringify(doc, null, 2) + '\n');
    log(`wrote bench/last-outage.json`);
    process.exitCode = 0;
  } else {
    // Noise: what the API server serves with nobody but the simulators around, over 10 s.
    const q0 = await scrape();
    await sleep(10_000);
    const idle = diff(q0, await scrape());
    log(`idle requests in 10 s: ${JSON.stringify(idle)}`);

    const runs: RotatorRun[] = [];
    const floors: FloorRun[] = [];
    for (let r = 0; r < Math.min(5, Number(args.runs)); r++) {
      const run = await runRotator(cluster.kubeconfig);
      log(`rotator run ${r + 1}: wall ${(run.wallMs / 1000).toFixed(2)} s, scan ${(run.scanMs / 1000).toFixed(2)} s ` +
        `(reads ${(run.readsMs / 1000).toFixed(2)} s), plan ${run.planMs} ms, maxRSS ${
          (run.maxRssKiB / 1024).toFixed(0)
        } MiB, ` +
        `exit ${run.exitCode}, ${run.nodeReads} reads, ${run.workloadPods} workload pods kept, ${run.steps} steps, ` +
        `classes ${JSON.stringify(run.classes)}`);
      log(
        `  requests: ${JSON.stringify(run.requests)}; load ${JSON.stringify(run.loadBefore)} → ${
          JSON.stringify(run.loadAfter)
        }`,
      );
      runs.push(run);
      // The floor right after, at the same concurrency, on the same cluster and load — after a pause longer than
      // the API server's token cache (10 s for an accepted token), so no TokenReview of the floor is answered from
      // the rotator's: every node has its own token, and each review is the API server's full work.
      await sleep(12_000);
      const floor = await runFloor(cluster.kubeconfig).catch((e: Error) => {
        log(`floor ${r + 1} failed: ${e.message.slice(0, 300)}`);
        return undefined;
      });
      if (!floor) continue;
      log(`floor ${r + 1}: ${floor.reads} reads, ${floor.authenticated} authenticated, ${floor.failed} failed in ` +
        `${(floor.readsMs / 1000).toFixed(2)} s (+ ${floor.listMs} ms list); rotator scan / floor = ` +
        `${(run.scanMs / floor.readsMs).toFixed(2)}×; load ${JSON.stringify(floor.loadBefore)}`);
      floors.push(floor);
    }

    // As the CronJob runs it: --max-nodes 10 and cronjob.yaml's heap cap — the figure its memory limit comes from.
    let cronjobRun: RotatorRun | undefined;
    if (!args['skip-cronjob-run']) {
      const heap = args['cronjob-heap'] ??
        /--max-old-space-size=(\d+)/.exec(readFileSync(path.join(repoRoot, 'cronjob.yaml'), 'utf8'))?.[1];
      cronjobRun = await runRotator(cluster.kubeconfig, { label: 'as the CronJob (--max-nodes 10)', maxNodes: 10,
        env: heap ? { NODE_OPTIONS: `--max-old-space-size=${heap}` } : {} });
      log(
        `CronJob-like run (--max-nodes 10, heap cap ${heap ?? 'none'} MiB): scan ${
          (cronjobRun.scanMs / 1000).toFixed(2)
        } s, ` +
          `maxRSS ${(cronjobRun.maxRssKiB / 1024).toFixed(0)} MiB, VmHWM ${
            (cronjobRun.hwmKiB / 1024).toFixed(0)
          } MiB, ` +
          `exit ${cronjobRun.exitCode}, ${cronjobRun.workloadPods} workload pods kept; load ${
            JSON.stringify(cronjobRun.loadBefore)
          }`,
      );
      log(`  requests: ${JSON.stringify(cronjobRun.requests)}`);
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
    const bestIdx = runs.indexOf(best);
    const floorOfBest = floors[bestIdx];
    const result = { date: new Date().toISOString(), machine: machine(), nodes: N, podsPerNode: P,
      groups: Number(args.groups), setup: cluster.setup, idleRequests10s: idle, rotatorRuns: runs, floors, cronjobRun,
      sizes, naive, ratio: naive ? naive.extrapolatedMs / best.scanMs : undefined,
      floorRatio: floorOfBest ? best.scanMs / floorOfBest.readsMs : undefined, planBench };
    writeFileSync(path.join(here, 'last-run.json'), JSON.stringify(result, null, 2) + '\n');
    const md = [
      `# bench run ${result.date}`,
      '',
      `machine: ${JSON.stringify(result.machine)}`,
      `cluster: ${N} nodes × ${P} pods, ${args.groups} kwok groups`,
      `object sizes (JSON bytes): ${JSON.stringify(sizes)}`,
      '',
      `setup (s): ${JSON.stringify(cluster.setup)}`,
      '',
      '| run | scan s | node reads s | floor s (same load) | scan/floor | plan ms | whole run s | max RSS MiB | VmHWM MiB | exit | load 1m before/after | other API servers |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...[...runs, ...(cronjobRun ? [cronjobRun] : [])].map((r, i) =>
        `| ${r.label === 'dry run' ? i + 1 : r.label} | ` +
        `${(r.scanMs / 1000).toFixed(2)} | ${(r.readsMs / 1000).toFixed(2)} | ` +
        `${floors[i] ? (floors[i].readsMs / 1000).toFixed(2) : '-'} | ${
          floors[i] ? (r.scanMs / floors[i].readsMs).toFixed(2) : '-'
        } | ` +
        `${r.planMs} | ${(r.wallMs / 1000).toFixed(2)} | ${(r.maxRssKiB / 1024).toFixed(0)} | ${
          (r.hwmKiB / 1024).toFixed(0)
        } | ` +
        `${r.exitCode} | ${r.loadBefore.loadavg1}/${r.loadAfter.loadavg1} | ${r.loadBefore.otherApiservers} |`
      ),
      '',
      'requests (run 1):',
      '',
      ...Object.entries(runs[0]?.requests ?? {}).map(([k, v]) => `- ${k}: ${v}`),
      '',
      naive ?
        `naive: ${naive.sample} nodes in ${(naive.ms / 1000).toFixed(1)} s (${naive.perNodeMs.toFixed(0)} ms/node) → ` +
        `${(naive.extrapolatedMs / 1000).toFixed(0)} s for ${N}; ratio naive/rotator scan = ${
          result.ratio?.toFixed(1)
        }×` : '',
      naive ? `naive requests: ${JSON.stringify(naive.requests)}` : '',
      '',
      '```',
      planBench.trim(),
      '```',
      '',
    ].join('\n');
    writeFileSync(path.join(here, 'last-run.md'), md);
    log(`wrote bench/last-run.json and bench/last-run.md in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
} finally {
  cluster?.entrypoint?.stop();
  if (!args.keep) await scaleDown(root, log);
  else {log(
      `cluster left running (--keep): KUBECONFIG=${
        path.join(root, 'kubeconfig')
      }; stop: node bench/run-bench.ts --down`,
    );}
}
