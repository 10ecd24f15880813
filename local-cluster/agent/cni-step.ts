// The kubelet's (and the container runtime's) CNI step for one pod sandbox, as libcni does it: the first network
// configuration in the node's /etc/cni/net.d (lexical order), its `type` run from /opt/cni/bin with the CNI_*
// environment and the configuration on stdin. On a node that runs Multus this is the real Multus binary, which reads
// the node's multus.kubeconfig and asks the API server for the pod — so Multus's own code decides whether a pod on
// a node with a stale token can get its network.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CLUSTER_ENV } from '../cluster-scope.ts';
import { HOST, type NodeDirs } from '../node-paths.ts';
import { inMountNamespace } from './mount-ns.ts';

export interface SandboxRef {
  namespace: string;
  name: string;
  uid: string;
  /** The sandbox (pause container) id; one sandbox per pod here. */
  id: string;
  /** CNI_NETNS: /proc/<holder>/ns/net (agent/netns.ts), set by the ADD that made it. */
  netns: string;
}

export type CniCommand = 'ADD' | 'DEL';

export type CniOutcome =
  | { ok: true; ms: number }
  | { ok: false; ms: number; plugin: string; network: string; message: string };

/** The network configuration the kubelet would use on this node now, or why there is none. */
export function activeNetworkConfig(dirs: NodeDirs):
  | { file: string; text: string; type: string; name: string }
  | { error: string } {
  let files: string[];
  try {
    files = readdirSync(dirs.cniConf).filter((f) => /\.(conf|conflist|json)$/.test(f)).sort();
  } catch {
    files = [];
  }
  for (const file of files) {
    const text = readFileSync(path.join(dirs.cniConf, file), 'utf8');
    try {
      const conf = JSON.parse(text) as { type?: unknown; name?: unknown; plugins?: unknown };
      if (typeof conf.type === 'string') return { file, text, type: conf.type, name: String(conf.name ?? '') };
    } catch {
      // libcni skips a file it cannot parse and tries the next one
    }
  }
  return { error: 'network plugin is not ready: cni config uninitialized' };
}

/** Runs one CNI command for the sandbox in the node's mount namespace view; never throws. */
export function runCni(dirs: NodeDirs, command: CniCommand, sandbox: SandboxRef,
  timeoutMs = 60_000): Promise<CniOutcome> {
  const started = Date.now();
  const conf = activeNetworkConfig(dirs);
  if ('error' in conf) {
    return Promise.resolve({ ok: false, ms: 0, plugin: '', network: '', message: conf.error });
  }
  mkdirSync(dirs.multusRun, { recursive: true }); // a bind source must exist, whether or not a thick daemon runs
  const { command: cmd, args } = inMountNamespace(
    [[dirs.cniConf, HOST.cniConf], [dirs.cniBin, HOST.cniBin], [dirs.cniState, HOST.cniState], [dirs.multusRun,
      HOST.multusRun]],
    path.join(HOST.cniBin, conf.type),
    [],
    { scratch: dirs.scratch },
  );
  const env = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    [CLUSTER_ENV]: process.env[CLUSTER_ENV] ?? '',
    CNI_COMMAND: command,
    CNI_CONTAINERID: sandbox.id,
    CNI_NETNS: sandbox.netns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: HOST.cniBin,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${sandbox.namespace};K8S_POD_NAME=${sandbox.name};` +
      `K8S_POD_INFRA_CONTAINER_ID=${sandbox.id};K8S_POD_UID=${sandbox.uid}`,
  };
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, ms: Date.now() - started, plugin: conf.type, network: conf.name, message: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      if (code === 0) return resolve({ ok: true, ms });
      resolve({ ok: false, ms, plugin: conf.type, network: conf.name,
        message: cniErrorMessage(stdout, stderr,
          signal ? `killed by ${signal} after ${timeoutMs} ms` : `exit ${code}`) });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(conf.text);
  });
}

/** A CNI plugin reports failure as `{"code":…,"msg":…,"details":…}` on stdout. */
export function cniErrorMessage(stdout: string, stderr: string, fallback: string): string {
  try {
    const err = JSON.parse(stdout) as { msg?: unknown; details?: unknown };
    if (typeof err.msg === 'string') return err.details ? `${err.msg}: ${String(err.details)}` : err.msg;
  } catch {
    // not a CNI error object
  }
  const last = stderr.trim().split('\n').pop();
  return last ? `${last} (${fallback})` : fallback;
}
