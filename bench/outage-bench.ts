// The outage benchmark (issue 16 item 6): every node's token rejected at once, and how long until every node's file
// holds a fresh token again, (a) by the rotator — one `--execute` run with cronjob.yaml's settings —, (b) by
// `kubectl rollout restart` of the Multus DaemonSet with upstream's maxUnavailable 1, (c) with maxUnavailable 10%.
// Same bench run, same cluster (bench/scale-cluster.ts with multus: 'daemonset': the real DaemonSet controller and
// scheduler, kwok nodes, bench/entrypoint-sim.ts writing each new Multus pod's node file as the entrypoint does).
//
// The outage: the `multus` ServiceAccount is deleted and created again (a re-applied manifest does it). Every token
// in every node's file names the old service account's UID, so TokenReview rejects it. A node's file is *fresh* once
// it holds a token of the new service account; the entrypoint simulator records when each node's file got one.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { nodeKubeconfigFile } from '../local-cluster/node-paths.ts';
import type { EntrypointSim } from './entrypoint-sim.ts';

const NS = 'kube-system';
const DS = 'kube-multus-ds';
const SA = 'multus';

export interface Load {
  loadavg1: number;
  otherApiservers: number;
}

export interface PhaseResult {
  phase: string;
  startedAt: string;
  /** Run start → the last node's fresh file; undefined if not every node got one (see fresh). */
  allFreshMs?: number;
  /** Nodes with a fresh file when the phase ended. */
  fresh: number;
  nodes: number;
  /** For a bounded sample: the measured part and the extrapolation to every node. */
  sample?: { nodes: number; ms: number; perNodeMs: number; firstFreshMs: number; extrapolatedMs: number };
  /** Fresh nodes every 10 s since the start. */
  timeline: number[];
  exitCode?: number;
  /** A rotator's run: start → its process's end. */
  runEndMs?: number;
  wallMs: number;
  loadBefore: Load;
  loadAfter: Load;
  note?: string;
}

export interface OutageOptions {
  kc: KubeConfig;
  kubeconfig: string;
  root: string;
  nodes: string[];
  entrypoint: EntrypointSim;
  kubectl: string;
  /** The rotator's entry point (default: this worktree's scripts/rotate.ts), for phase a. */
  rotator: string;
  /** Another rotator's entry point (another branch's checkout), for phase a2. */
  rotator2?: string;
  phases: string[];
  /** (b): stop after this many fresh nodes or this many seconds, whichever first, and extrapolate. */
  bSample: number;
  bBoundS: number;
  /** (a), (c): give up after this long. */
  timeoutS: number;
  load: () => Load;
  log: (m: string) => void;
}

/** cronjob.yaml's container env (name/value pairs) and its NODE_OPTIONS: the settings the CronJob runs with. */
export function cronjobEnv(repoRoot: string): Record<string, string> {
  const doc = YAML.parse(readFileSync(path.join(repoRoot, 'cronjob.yaml'), 'utf8')) as Record<string, any>;
  const container = doc.spec.jobTemplate.spec.template.spec.containers[0] as {
    env?: { name: string; value?: string }[];
  };
  return Object.fromEntries(
    (container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]),
  );
}

async function recreateServiceAccount(kc: KubeConfig, log: (m: string) => void): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const old = await core.readNamespacedServiceAccount({ namespace: NS, name: SA });
  await core.deleteNamespacedServiceAccount({ namespace: NS, name: SA });
  for (let i = 0; i < 100; i++) {
    const gone = await core.readNamespacedServiceAccount({ namespace: NS, name: SA }).then(() => false,
      (e: { code?: number }) => e.code === 404);
    if (gone) break;
    await sleep(100);
  }
  const created = await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: SA } } });
  const uid = created.metadata?.uid ?? '';
  log(`outage: ServiceAccount ${NS}/${SA} recreated (uid ${old.metadata?.uid?.slice(0, 8)} → ${uid.slice(0, 8)})`);
  return uid;
}

/** TokenReview of a sample of nodes' files: how many the API server still accepts (0 after the outage). */
async function acceptedSample(kc: KubeConfig, root: string, nodes: string[], k = 10): Promise<number> {
  const auth = kc.makeApiClient(AuthenticationV1Api);
  let ok = 0;
  for (let i = 0; i < k; i++) {
    const node = nodes[Math.floor((i * nodes.length) / k)] ?? '';
    const token = /token: "([^"]+)"/.exec(readFileSync(nodeKubeconfigFile(root, node), 'utf8'))?.[1] ?? '';
    const r = await auth.createTokenReview({ body: { spec: { token } } });
    if (r.status?.authenticated) ok++;
  }
  return ok;
}

async function setMaxUnavailable(kc: KubeConfig, value: number | string | 'OnDelete'): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const ds = await apps.readNamespacedDaemonSet({ namespace: NS, name: DS });
  if (!ds.spec) throw new Error('the Multus DaemonSet has no spec');
  ds.spec.updateStrategy = value === 'OnDelete' ? { type: 'OnDelete' }
    : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: value as never, maxSurge: 0 as never } };
  await apps.replaceNamespacedDaemonSet({ namespace: NS, name: DS, body: ds });
}

/** Until the DaemonSet is rolled out: observed, every pod updated and available. */
async function waitSettled(kc: KubeConfig, n: number, log: (m: string) => void, timeoutS = 900): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const end = Date.now() + timeoutS * 1000;
  while (Date.now() < end) {
    const ds = await apps.readNamespacedDaemonSet({ namespace: NS, name: DS });
    const s = ds.status;
    if (s && (s.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0) && s.desiredNumberScheduled === n &&
      s.updatedNumberScheduled === n && s.numberAvailable === n && s.numberReady === n) return;
    await sleep(2000);
  }
  log('the Multus DaemonSet did not settle; measuring anyway');
}

async function phase(o: OutageOptions, name: string, act: () => { done: Promise<number | undefined> },
  stop: { timeoutS: number; sample?: number; awaitExit?: boolean }): Promise<PhaseResult> {
  await waitSettled(o.kc, o.nodes.length, o.log);
  const saUid = await recreateServiceAccount(o.kc, o.log);
  const accepted = await acceptedSample(o.kc, o.root, o.nodes);
  o.log(`${name}: TokenReview of 10 nodes' files after the outage: ${accepted} accepted (expect 0)`);
  const loadBefore = o.load();
  const t0 = Date.now();
  const timeline: number[] = [];
  const tick = setInterval(() => timeline.push(o.entrypoint.freshCount(saUid)), 10_000);
  const { done } = act();
  let exitCode: number | undefined;
  let finished = false;
  let endedAt = 0;
  void done.then((c) => {
    exitCode = c;
    finished = true;
    endedAt = Date.now();
  });
  const end = t0 + stop.timeoutS * 1000;
  let sampleAt: number | undefined;
  let firstAt: number | undefined;
  for (;;) {
    const fresh = o.entrypoint.freshCount(saUid);
    if (fresh >= 1 && firstAt === undefined) firstAt = Date.now();
    if (stop.sample && fresh >= stop.sample && sampleAt === undefined) sampleAt = Date.now();
    if (o.entrypoint.allFreshAt(saUid, o.nodes) !== undefined) break;
    if (stop.sample && sampleAt !== undefined) break;
    if (Date.now() > end) break;
    if (finished && !stop.sample) {
      await sleep(3000); // the last files are written a moment after the run ends
      break;
    }
    await sleep(200);
  }
  clearInterval(tick);
  // A rotator run goes on after the last fresh file (it proves the last wave, writes its summary): the next phase's
  // outage must not overlap it. Its end is recorded (runEndMs) beside the figure, which is the files' time.
  if (!stop.sample && !finished && stop.awaitExit) {
    await Promise.race([done, sleep(Math.max(0, end - Date.now()))]);
  }
  const runEndMs = finished ? endedAt - t0 : undefined;
  const allAt = o.entrypoint.allFreshAt(saUid, o.nodes);
  const fresh = o.entrypoint.freshCount(saUid);
  const result: PhaseResult = { phase: name, startedAt: new Date(t0).toISOString(), fresh, nodes: o.nodes.length,
    timeline, wallMs: Date.now() - t0, loadBefore, loadAfter: o.load(),
    ...(allAt !== undefined ? { allFreshMs: allAt - t0 } : {}), ...(exitCode !== undefined ? { exitCode } : {}),
    ...(runEndMs !== undefined ? { runEndMs } : {}) };
  if (stop.sample && allAt === undefined) {
    // The writes' times, in order: the per-node pace after the first, extrapolated to every node.
    const times = [...o.entrypoint.writes.values()].filter((w) => w.saUid === saUid).map((w) => w.at - t0)
      .sort((a, b) => a - b);
    const first = times[0] ?? 0;
    const last = times[times.length - 1] ?? 0;
    const perNodeMs = times.length > 1 ? (last - first) / (times.length - 1) : NaN;
    result.sample = { nodes: times.length, ms: last, perNodeMs, firstFreshMs: first,
      extrapolatedMs: first + perNodeMs * (o.nodes.length - 1) };
  }
  o.log(`${name}: ${fresh}/${o.nodes.length} fresh; ` + (allAt !== undefined
    ? `all fresh ${((allAt - t0) / 1000).toFixed(1)} s after the start`
    : result.sample ? `sample ${result.sample.nodes} nodes in ${(result.sample.ms / 1000).toFixed(1)} s → ` +
      `${(result.sample.perNodeMs / 1000).toFixed(2)} s/node → extrapolated ` +
      `${(result.sample.extrapolatedMs / 1000).toFixed(0)} s for ${o.nodes.length}` : 'not all fresh') +
    `; load ${JSON.stringify(loadBefore)} → ${JSON.stringify(result.loadAfter)}`);
  return result;
}

function runRotator(o: OutageOptions, rotator: string, tag: string): { done: Promise<number | undefined> } {
  // The settings of the cronjob.yaml that comes with the rotator measured (its checkout may be another branch's).
  const rotatorRoot = path.dirname(path.dirname(rotator));
  const summaryNs = tag === 'a' ? 'multus-token-rotator' : `mtr-bench-${tag}`; // each rotator its own summary
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('MTR_') && k !== 'NODE_OPTIONS');
  const env = { ...Object.fromEntries(inherited), ...cronjobEnv(rotatorRoot) };
  const args = [rotator, '--kubeconfig', o.kubeconfig, '--summary-namespace', summaryNs, '-o', 'json'];
  o.log(`(${tag}) rotator: node ${args.join(' ')} with cronjob.yaml's env ${JSON.stringify(cronjobEnv(rotatorRoot))}`);
  const child = spawn(process.execPath, args, { cwd: rotatorRoot, env, stdio: ['ignore', 'pipe', 'pipe'],
    timeout: o.timeoutS * 1000, killSignal: 'SIGKILL' });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return { done: new Promise((resolve) =>
    child.on('close', (c) => {
      writeFileSync(path.join(o.root, `outage-rotator-${tag}.stderr`), stderr);
      writeFileSync(path.join(o.root, `outage-rotator-${tag}.stdout`), stdout);
      resolve(c ?? -1);
    })
  ) };
}

function rolloutRestart(o: OutageOptions): { done: Promise<number | undefined> } {
  execFileSync(o.kubectl, ['--kubeconfig', o.kubeconfig, '-n', NS, 'rollout', 'restart', `ds/${DS}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { done: new Promise(() => undefined) }; // a rollout has no end of its own: the files say when it is done
}

/** The commit of a rotator's checkout, and whether its working tree differs from it. */
export function rotatorCommit(rotator: string): string {
  const dir = path.dirname(rotator);
  try {
    const head = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h']).toString().trim();
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no']).toString().trim();
    return `at ${head}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    const stamp = path.join(path.dirname(dir), 'COMMIT');
    return existsSync(stamp) ? `at ${readFileSync(stamp, 'utf8').trim()} (snapshot)` : 'at an unknown commit';
  }
}

export async function runOutage(o: OutageOptions): Promise<PhaseResult[]> {
  const results: PhaseResult[] = [];
  for (const p of o.phases) {
    if (p === 'a' || p === 'a2') {
      const rotator = p === 'a' ? o.rotator : o.rotator2;
      if (!rotator) throw new Error("phase a2 needs --rotator2 PATH (another checkout's scripts/rotate.ts)");
      await o.kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: `mtr-bench-${p}` } } })
        .catch(() => undefined);
      results.push(
        await phase(o, `(${p}) rotator ${rotatorCommit(rotator)}, one --execute run, its cronjob.yaml's settings`, () =>
          runRotator(o, rotator, p), { timeoutS: o.timeoutS, awaitExit: true }),
      );
    } else if (p === 'c') {
      await setMaxUnavailable(o.kc, '10%');
      results.push(
        await phase(o, '(c) kubectl rollout restart, maxUnavailable 10%', () => rolloutRestart(o), {
          timeoutS: o.timeoutS,
        }),
      );
    } else if (p === 'b') {
      await setMaxUnavailable(o.kc, 1);
      results.push(
        await phase(o, '(b) kubectl rollout restart, maxUnavailable 1 (upstream)', () => rolloutRestart(o), {
          timeoutS: o.bBoundS,
          sample: o.bSample,
        }),
      );
      await setMaxUnavailable(o.kc, 'OnDelete'); // stops the rest of the rollout
    }
  }
  return results;
}
