// The Multus container of each Multus pod on a simulated node, run for real: the pod's own command (the 3.x
// entrypoint.sh, the 4.x thin_entrypoint, the 4.x thick multus-daemon, or 3.9's config-only multus-daemon) with its
// own args, from the binaries build-multus.sh built (the image's tag says which release), in a mount namespace that
// shows the node's CNI directories and the pod's projected service-account volume where the DaemonSets mount them,
// and a /tmp of its own — after the pod's init containers, run as the kubelet runs them (init-containers.ts: 3.9's
// thick-plugin copies the thin binary and generates the kubeconfig there). So the node's 00-multus.conf and
// multus.d/multus.kubeconfig are written by Multus itself (4.x thick writes only 00-multus.conf, for its shim).
//
// The kubelet's part is played here too: the projected token is a TokenRequest bound to the pod, for 3607 s (the API
// server extends it to a year, as in production), refreshed at 80% of the life the TokenRequest reports — the 3.x
// entrypoint never looks at it again; 4.x thin with --cleanup-config-on-exit watches it and rewrites the kubeconfig.
// The process lives as long as the pod.
//
// Markers a test can drop in <root>/nodes/<node>/ (see node-paths.ts nodeMarker):
//   hold-entrypoint     do not start a Multus container on the node until the file is gone (a slow or stuck start)
//   rewrite-entrypoint  restart the newest Multus pod's container once, so it writes the node's files again
//   refresh-token       refresh the projected token of every Multus pod on the node now (the kubelet's 80% refresh)
// Pod annotations: `sim.mtr.local/entrypoint: none` (no container: the test owns the node's file) and
// `sim.mtr.local/image: distroless` (the 4.x image has no shell or cat: every exec into the pod fails).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync,
  writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Container, type V1Pod } from '@kubernetes/client-node';
import { CLUSTER_ENV } from '../cluster-scope.ts';
import { CONTAINER, HOST, nodeMarker, type NodeDirs } from '../node-paths.ts';
import { recordGroup, signalGroup, stopChild } from './container-groups.ts';
import { runInitContainers } from './init-containers.ts';
import { inMountNamespace, type Bind } from './mount-ns.ts';

/**
 * Which real program a Multus container runs, from its command (or, without one, its image's entrypoint). A 3.x
 * image's multus-daemon is 3.9's thick-plugin daemon (cmd/controller), which only writes 00-multus.conf.
 */
export type MultusProgram = 'v3-entrypoint' | 'v3-config-daemon' | 'v4-thin-entrypoint' | 'v4-thick-daemon'
  | 'unsupported';

/** The Multus release line an image holds, from its tag (`v3.9.2-thick-amd64` is 3.x; anything else is 4.x). */
export const binariesOf = (image: string | undefined): 'multus-v3' | 'multus-v4' =>
  /^v?3\./.test((image ?? '').split('@')[0]?.split(':').pop() ?? '') ? 'multus-v3' : 'multus-v4';

export function multusProgram(pod: V1Pod): { program: MultusProgram; args: string[]; why?: string } {
  const c = pod.spec?.containers?.[0];
  const args = [...(c?.command?.slice(1) ?? []), ...(c?.args ?? [])];
  const cmd = path.basename(c?.command?.[0] ?? '');
  const daemon: MultusProgram = binariesOf(c?.image) === 'multus-v3' ? 'v3-config-daemon' : 'v4-thick-daemon';
  if (cmd === 'entrypoint.sh') return { program: 'v3-entrypoint', args };
  if (cmd === 'thin_entrypoint') return { program: 'v4-thin-entrypoint', args };
  if (cmd === 'multus-daemon') return { program: daemon, args };
  if (cmd === '') {
    const tag = (c?.image ?? '').split(':').pop() ?? '';
    if (/thick/.test(tag)) return { program: daemon, args };
    if (/^v?3\./.test(tag)) return { program: 'v3-entrypoint', args };
    if (/^v?4\./.test(tag) && !/thick/.test(tag)) return { program: 'v4-thin-entrypoint', args };
  }
  return { program: 'unsupported', args,
    why: `no simulation for command ${JSON.stringify(c?.command ?? [])} image ${c?.image}` };
}

interface Running {
  pod: V1Pod;
  node: string;
  child?: ChildProcess;
  saDir: string;
  refreshTimer?: NodeJS.Timeout;
  starting: boolean;
}

export interface MultusContainersOptions {
  kc: KubeConfig;
  root: string;
  multusDir: string;
  apiserverPort: number;
  caFile: string;
  dirs: (node: string) => NodeDirs | undefined;
  log: (m: string) => void;
}

export class MultusContainers {
  readonly #o: MultusContainersOptions;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #running = new Map<string, Running>();
  readonly #distroless = new Set<string>();
  /** Set by stop(): the agent is shutting down, and no container starts again. */
  #stopped = false;

  constructor(o: MultusContainersOptions) {
    this.#o = o;
    this.#core = o.kc.makeApiClient(CoreV1Api);
    this.#custom = o.kc.makeApiClient(CustomObjectsApi);
  }

  reconcile(pod: V1Pod): void {
    const meta = pod.metadata;
    const node = pod.spec?.nodeName;
    if (this.#stopped || !meta?.uid || !meta.name || !meta.namespace || !node || !this.#o.dirs(node)) return;
    if (meta.annotations?.['sim.mtr.local/image'] === 'distroless') void this.#makeDistroless(pod);
    if (meta.deletionTimestamp || pod.status?.phase !== 'Running') {
      if (meta.deletionTimestamp) this.forget(meta.uid);
      return;
    }
    if (meta.annotations?.['sim.mtr.local/entrypoint'] === 'none') return;
    if (existsSync(nodeMarker(this.#o.root, node, 'hold-entrypoint'))) return;
    const current = this.#running.get(meta.uid);
    if (current) {
      current.pod = pod;
      return;
    }
    const running: Running = { pod, node, saDir: path.join(this.#o.root, 'pods', meta.uid, 'serviceaccount'),
      starting: true };
    this.#running.set(meta.uid, running);
    void this.#start(running);
  }

  /** Markers, looked at on every sweep. */
  sweep(): void {
    const nodes = new Set([...this.#running.values()].map((r) => r.node));
    for (const node of nodes) {
      const onNode = [...this.#running.values()].filter((r) => r.node === node && !r.starting);
      const refresh = nodeMarker(this.#o.root, node, 'refresh-token');
      if (existsSync(refresh)) {
        rmSync(refresh, { force: true });
        for (const r of onNode) void this.#refreshToken(r);
      }
      const rewrite = nodeMarker(this.#o.root, node, 'rewrite-entrypoint');
      if (existsSync(rewrite)) {
        rmSync(rewrite, { force: true });
        const newest = onNode.sort((a, b) => created(b.pod) - created(a.pod))[0];
        if (newest) {
          this.#log(newest, 'rewrite requested: restarting the container');
          stopChild(newest.child);
          newest.child = undefined;
          this.#spawn(newest);
        }
      }
    }
  }

  forget(uid: string): void {
    const r = this.#running.get(uid);
    if (!r) return;
    this.#running.delete(uid);
    if (r.refreshTimer) clearTimeout(r.refreshTimer);
    stopChild(r.child);
    rmSync(path.dirname(r.saDir), { recursive: true, force: true });
  }

  /** The agent's shutdown: every container stopped (SIGTERM to its process group, SIGKILL after `graceMs`). */
  async stop(graceMs = 3_000): Promise<void> {
    this.#stopped = true;
    const children = [...this.#running.values()].flatMap((r) => (r.child ? [r.child] : []));
    for (const uid of [...this.#running.keys()]) this.forget(uid);
    const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
    const until = Date.now() + graceMs;
    while (Date.now() < until && !children.every(exited)) await sleep(50);
    for (const c of children) signalGroup(c.pid, 'SIGKILL');
  }

  #log(r: Running, msg: string): void {
    this.#o.log(`node ${r.node}: multus pod ${r.pod.metadata?.namespace}/${r.pod.metadata?.name}: ${msg}`);
  }

  async #start(r: Running): Promise<void> {
    try {
      mkdirSync(r.saDir, { recursive: true });
      writeFileSync(path.join(r.saDir, 'ca.crt'), readFileSync(this.#o.caFile));
      writeFileSync(path.join(r.saDir, 'namespace'), r.pod.metadata?.namespace ?? '');
      await this.#refreshToken(r);
      // The kubelet runs the init containers first, each to its end, retrying with its back-off until they succeed.
      for (let delay = 1_000; (r.pod.spec?.initContainers?.length ?? 0) > 0; delay = Math.min(10_000, 2 * delay)) {
        if (this.#running.get(r.pod.metadata?.uid ?? '') !== r) return;
        try {
          await this.#runInit(r);
          break;
        } catch (err) {
          this.#log(r, `${(err as Error).message}; retrying in ${delay / 1000} s`);
          await sleep(delay);
        }
      }
      if (this.#running.get(r.pod.metadata?.uid ?? '') !== r) return;
      this.#spawn(r);
    } catch (err) {
      this.#log(r, `could not start: ${(err as Error).message}; retrying`);
      this.#running.delete(r.pod.metadata?.uid ?? '');
    } finally {
      r.starting = false;
    }
  }

  /** The kubelet's projected token: a TokenRequest bound to the pod, written atomically, refreshed at 80% of life. */
  async #refreshToken(r: Running): Promise<void> {
    const meta = r.pod.metadata;
    if (!meta?.name || !meta.namespace || !meta.uid) return;
    if (r.refreshTimer) clearTimeout(r.refreshTimer);
    const tr = await this.#core.createNamespacedServiceAccountToken({
      name: r.pod.spec?.serviceAccountName ?? 'default',
      namespace: meta.namespace,
      body: {
        spec: { audiences: [], expirationSeconds: 3607,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid } },
      },
    });
    const token = tr.status?.token;
    if (!token) throw new Error('TokenRequest returned no token');
    // The suite's no-token-leak check searches everything the rotator printed for every token minted here.
    try {
      appendFileSync(path.join(this.#o.root, 'minted-tokens'), `${token}\n`, { mode: 0o600 });
    } catch {
      // recording is best effort
    }
    const tmp = path.join(r.saDir, '.token.tmp');
    writeFileSync(tmp, token, { mode: 0o600 });
    renameSync(tmp, path.join(r.saDir, 'token'));
    const exp = tr.status?.expirationTimestamp ? new Date(tr.status.expirationTimestamp).getTime()
      : Date.now() + 3_607_000;
    const refreshIn = Math.max(60_000, 0.8 * (exp - Date.now()));
    r.refreshTimer = setTimeout(
      () => void this.#refreshToken(r).catch((e: Error) => this.#log(r, `token refresh failed: ${e.message}`)),
      refreshIn,
    );
    r.refreshTimer.unref();
    this.#log(r, `projected token written (refresh in ${Math.round(refreshIn / 1000)} s)`);
  }

  /** The environment the kubelet gives a container of the pod: the API server (at ::1, see the README) and its env. */
  #env(r: Running, c: V1Container | undefined): Record<string, string> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      [CLUSTER_ENV]: process.env[CLUSTER_ENV] ?? '', // the cluster's marker: `down` finds the container by it
      KUBERNETES_SERVICE_HOST: '::1',
      KUBERNETES_SERVICE_PORT: String(this.#o.apiserverPort),
      MULTUS_NODE_NAME: r.node,
    };
    for (const e of c?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    return env;
  }

  /** The volumes every Multus container sees: the node's CNI directories, the projected token, the image's binaries. */
  #binds(r: Running, dirs: NodeDirs, image: string | undefined): Bind[] {
    return [[dirs.cniConf, CONTAINER.cniConf], [dirs.cniBin, CONTAINER.cniBin], [r.saDir, CONTAINER.serviceAccount], [
      path.join(this.#o.multusDir, binariesOf(image)),
      CONTAINER.multusBin,
    ]];
  }

  async #runInit(r: Running): Promise<void> {
    const dirs = this.#o.dirs(r.node);
    if (!dirs) return;
    const logs = path.join(this.#o.root, 'logs');
    mkdirSync(logs, { recursive: true });
    await runInitContainers(r.pod.spec?.initContainers ?? [], (c) => this.#binds(r, dirs, c.image), dirs.scratch,
      this.#env(r, undefined), path.join(logs, `multus-${r.node}-${r.pod.metadata?.name}-init.log`));
    this.#log(r, `init containers done (${r.pod.spec?.initContainers?.map((c) => c.name).join(', ')})`);
  }

  #spawn(r: Running): void {
    const node = r.node;
    const dirs = this.#o.dirs(node);
    const meta = r.pod.metadata;
    if (!dirs || !meta?.uid) return;
    const { program, args, why } = multusProgram(r.pod);
    if (program === 'unsupported') {
      this.#log(r, `not started: ${why}`);
      return;
    }
    const version = program.startsWith('v3-') ? 'multus-v3' : 'multus-v4';
    const binDir = path.join(this.#o.multusDir, version);
    const exe = program === 'v3-entrypoint' ? 'bash'
      : path.join(binDir, program === 'v4-thin-entrypoint' ? 'thin_entrypoint' : 'multus-daemon');
    const exeArgs = program === 'v3-entrypoint' ? [path.join(binDir, 'entrypoint.sh'), ...args] : args;
    const podDir = path.dirname(r.saDir);
    const binds: Bind[] = [[dirs.cniConf, CONTAINER.cniConf], [dirs.cniBin, CONTAINER.cniBin], [r.saDir,
      CONTAINER.serviceAccount], [binDir, CONTAINER.multusBin]];
    if (program === 'v4-thick-daemon') binds.push(...this.#thickSetup(dirs, podDir, binDir));
    const { command, args: argv } = inMountNamespace(binds, exe, exeArgs, { scratch: dirs.scratch, privateTmp: true });
    const env = this.#env(r, r.pod.spec?.containers?.[0]);
    const logs = path.join(this.#o.root, 'logs');
    mkdirSync(logs, { recursive: true });
    const fd = openSync(path.join(logs, `multus-${node}-${meta.name}.log`), 'a');
    // A container's working directory, not ours: ours may be under the host's /tmp, which the container does not see.
    const child = spawn(command, argv, { env, cwd: '/', detached: true, stdio: ['ignore', fd, fd] });
    r.child = child;
    const group = recordGroup(this.#o.root, child.pid, `${node} ${meta.namespace}/${meta.name}`);
    child.on('exit', (code, signal) => {
      rmSync(group, { force: true });
      if (r.child !== child) return;
      r.child = undefined;
      this.#log(r, `container exited (${signal ?? code}); the kubelet restarts it`);
      // restartPolicy Always: start it again while the pod lives.
      setTimeout(() => {
        if (this.#running.get(meta.uid ?? '') === r && !r.child) this.#spawn(r);
      }, 1_000).unref();
    });
    this.#log(r, `started ${program} (${version}) pid ${child.pid}`);
  }

  /**
   * The thick plugin's pod, as upstream's multus-daemonset-thick.yml sets it up: the install init container copies
   * multus-shim to the node's /opt/cni/bin; the daemon reads its ConfigMap, writes 00-multus.conf (type
   * multus-shim) and listens on the host's /run/multus; it talks to the API server with its own in-cluster
   * credentials (client-go re-reads the projected token), never with a file on the node. Delegates run from the
   * node's /opt/cni/bin (no chroot here: the mount namespace shows the node's directories at the host paths).
   */
  #thickSetup(dirs: NodeDirs, podDir: string, binDir: string): Bind[] {
    copyFileSync(path.join(binDir, 'multus-shim'), path.join(dirs.cniBin, '.multus-shim.tmp'));
    renameSync(path.join(dirs.cniBin, '.multus-shim.tmp'), path.join(dirs.cniBin, 'multus-shim'));
    const configDir = path.join(podDir, 'daemon-config');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(path.join(configDir, 'daemon-config.json'), JSON.stringify({
      cniVersion: '0.3.1',
      logLevel: 'verbose',
      logToStderr: true,
      cniConfigDir: CONTAINER.cniConf,
      multusAutoconfigDir: CONTAINER.cniConf,
      multusConfigFile: 'auto',
      socketDir: `${CONTAINER.run}/multus/`,
    }, null, 2));
    return [[configDir, CONTAINER.daemonConfig], [dirs.run, CONTAINER.run], [dirs.cniBin, HOST.cniBin], [dirs.cniState,
      HOST.cniState]];
  }

  async #makeDistroless(pod: V1Pod): Promise<void> {
    const meta = pod.metadata;
    if (!meta?.uid || !meta.name || !meta.namespace || this.#distroless.has(meta.uid)) return;
    this.#distroless.add(meta.uid);
    try {
      await this.#custom.createNamespacedCustomObject({
        group: 'kwok.x-k8s.io',
        version: 'v1alpha1',
        plural: 'execs',
        namespace: meta.namespace,
        body: {
          apiVersion: 'kwok.x-k8s.io/v1alpha1',
          kind: 'Exec',
          metadata: { name: meta.name, namespace: meta.namespace,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: meta.name, uid: meta.uid }] },
          // kwok cannot fail one binary only: an Exec that matches no container makes every exec fail.
          spec: { execs: [{ containers: ['distroless-image-has-no-shell-or-cat'], local: {} }] },
        },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 409) {
        this.#distroless.delete(meta.uid);
        this.#o.log(`pod ${meta.namespace}/${meta.name}: could not disable exec: ${(err as Error).message}`);
      }
    }
  }
}

function created(pod: V1Pod): number {
  const t = pod.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : 0;
}
