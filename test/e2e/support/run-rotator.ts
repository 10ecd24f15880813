// Runs the real entry point (scripts/rotate.ts) as a child process, as a user would: locally against a kubeconfig,
// or "in-cluster" with another service account's token laid out where a pod would have it.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../../../local-cluster/cluster.ts';
import type { ClusterEnv } from '../../../local-cluster/seed/cluster-env.ts';
import { recordRotatorOutput } from '../../../local-cluster/seed/token-log.ts';

export interface RotatorRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runRotator(args: string[], env: Record<string, string | undefined> = {}): Promise<RotatorRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repoRoot, 'scripts', 'rotate.ts'), ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      recordRotatorOutput({ stdout, stderr }, args);
      resolve({ code, stdout, stderr });
    });
  });
}

export function runLocal(env: ClusterEnv, args: string[]): Promise<RotatorRun> {
  return runRotator(['--kubeconfig', env.kubeconfig, ...args]);
}

/**
 * Lays out /var/run/secrets/kubernetes.io/serviceaccount for service account `ns/name` (a token from TokenRequest,
 * the cluster CA, the namespace) under a temporary root, and returns the environment that makes the entry point
 * take its in-cluster path with those credentials.
 */
export async function inClusterEnv(env: ClusterEnv, namespace: string, name: string): Promise<Record<string, string>> {
  const core = env.kc.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  // Under the cluster's root (its per-run tmp/, removed by cluster:down), never the machine's /tmp: it holds a token.
  mkdirSync(path.join(env.root, 'tmp'), { recursive: true });
  const root = mkdtempSync(path.join(env.root, 'tmp', 'sa-'));
  const dir = path.join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'token'), tr.status?.token ?? '', { mode: 0o600 });
  writeFileSync(path.join(dir, 'ca.crt'), readFileSync(path.join(env.root, 'pki', 'ca.crt')));
  writeFileSync(path.join(dir, 'namespace'), namespace);
  return {
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: new URL(env.server).port,
    MTR_SERVICE_ACCOUNT_ROOT: root,
  };
}

export interface RunningRotator {
  /** Resolves when a progress line with this event appears on stderr. */
  waitForEvent(event: string, match?: (line: Record<string, unknown>) => boolean): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<RotatorRun>;
}

/** Starts the entry point and lets the test watch its progress and signal it. */
export function startRotator(args: string[], env: Record<string, string | undefined> = {}): RunningRotator {
  const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'rotate.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { event: string; match?: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  let consumed = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    const end = stderr.lastIndexOf('\n') + 1;
    const fresh = stderr.slice(consumed, end);
    consumed = Math.max(consumed, end);
    for (const line of fresh.split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      for (const w of [...waiters]) {
        if (parsed.event === w.event && (!w.match || w.match(parsed))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  const done = new Promise<RotatorRun>((resolve) => {
    child.on('close', (code, signal) => {
      recordRotatorOutput({ stdout, stderr }, args);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
  return {
    waitForEvent: (event, match) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ event, match, resolve });
        void done.then(() => reject(new Error(`the rotator exited before event ${event}:\n${stderr}`)));
      }),
    kill: (signal) => child.kill(signal),
    done,
  };
}
