// Starting and stopping the cluster's background processes. Each runs detached in its own process group, logs to
// <root>/logs/<name>.log, and is recorded in <root>/state.json so that `cluster:down` (or another test run) can find it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_ENV } from './cluster-scope.ts';

export interface ProcessRecord {
  name: string;
  pid: number;
  /** How it was started, so that a fault test can stop and start it again the same way. */
  command?: string;
  args?: string[];
  env?: Record<string, string>;
}

export interface ClusterState {
  startedAt: string;
  nodes: string[];
  apiserver: string;
  processes: ProcessRecord[];
  /** The real nodes (real-node/real-nodes.ts), if any. */
  realNodes?: string[];
}

export function statePath(root: string): string {
  return path.join(root, 'state.json');
}

export function readState(root: string): ClusterState | undefined {
  const file = statePath(root);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function writeState(root: string, state: ClusterState): void {
  writeFileSync(statePath(root), JSON.stringify(state, null, 2) + '\n');
}

/** Whether the process exists and is not a zombie (an exited child nobody has reaped yet counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function startProcess(root: string, name: string, command: string, args: string[],
  env: Record<string, string> = {}): ProcessRecord {
  const logs = path.join(root, 'logs');
  mkdirSync(logs, { recursive: true });
  const fd = openSync(path.join(logs, `${name}.log`), 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    // The cluster's marker (cluster-scope.ts): `down` finds this process, and every one it starts, by it.
    env: { ...process.env, ...env, [CLUSTER_ENV]: path.resolve(root) },
  });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  child.unref();
  return { name, pid: child.pid, command, args, env };
}

/** Sends SIGTERM to each process group, waits up to `graceMs`, then SIGKILLs what is left. */
export async function stopProcesses(records: ProcessRecord[], graceMs = 10_000): Promise<string[]> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  for (const r of records) if (alive(r.pid)) signal(r.pid, 'SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && records.some((r) => alive(r.pid))) await sleep(100);
  const killed: string[] = [];
  for (const r of records) {
    if (alive(r.pid)) {
      signal(r.pid, 'SIGKILL');
      killed.push(r.name);
    }
  }
  return killed;
}

/** Polls `check` until it returns true or `timeoutMs` passes; `what` names the wait in the error. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number,
  intervalMs = 200): Promise<void> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (err) {
      lastErr = err;
    }
    await sleep(intervalMs);
  }
  const detail = lastErr instanceof Error ? `: last error: ${lastErr.message}` : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${detail}`);
}

/**
 * Stops one recorded process (SIGTERM, then SIGKILL), keeps it down for `downMs`, and starts it again with the same
 * command line; the state file is updated with the new pid. For fault tests: an API server restart, say.
 * @internal for the e2e tests
 */
export async function restartProcess(root: string, name: string, downMs: number): Promise<ProcessRecord> {
  const state = readState(root);
  const record = state?.processes.find((p) => p.name === name);
  if (!state || !record?.command || !record.args) throw new Error(`no restartable process ${name} in ${root}`);
  await stopProcesses([record]);
  await sleep(downMs);
  const fresh = startProcess(root, name, record.command, record.args, record.env ?? {});
  state.processes = state.processes.map((p) => (p.name === name ? fresh : p));
  writeState(root, state);
  return fresh;
}
