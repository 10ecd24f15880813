// The kubelet's sandbox lifecycle for pods that need a pod network (every pod on a simulated node that is not
// hostNetwork): create a network namespace, CNI ADD through the node's network configuration (Multus), and only then
// let the pod start — kwok's pod-ready stage waits for the annotation set here. A failed ADD leaves the pod Pending
// in ContainerCreating with a FailedCreatePodSandBox Event carrying the plugin's own error, and is retried with the
// kubelet's back-off, so a pod on a node that gets repaired starts by itself. A deleted pod whose sandbox was set up
// gets CNI DEL first; kwok's pod-delete stage waits for it, so a failing DEL keeps the pod Terminating and is retried.
import { CoreV1Api, KubernetesObjectApi, PatchStrategy, type KubeConfig, type CoreV1Event,
  type V1Pod } from '@kubernetes/client-node';
import type { NodeDirs } from '../node-paths.ts';
import { runCni, type CniCommand, type SandboxRef } from './cni-step.ts';
import { addNetns, existingNetns, removeAllNetns, removeNetns } from './netns.ts';

/** Set by this agent on a pod: `ready` once CNI ADD succeeded, `released` once CNI DEL did. Read by kwok's stages. */
export const SANDBOX_ANNOTATION = 'sim.mtr.local/sandbox';
/** The kubelet retries a failed pod sync with back-off; the real one resyncs at most every 10 s. */
const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 10_000];

interface SandboxState {
  ref: SandboxRef;
  node: string;
  busy: boolean;
  timer?: NodeJS.Timeout;
  attempts: number;
  phase: 'adding' | 'ready' | 'deleting' | 'released';
  events: Map<string, CoreV1Event>;
}

export interface SandboxLog {
  (msg: string): void;
}

export class PodSandboxes {
  readonly #core: CoreV1Api;
  readonly #objects: KubernetesObjectApi;
  readonly #root: string;
  readonly #dirs: (node: string) => NodeDirs | undefined;
  readonly #log: SandboxLog;
  readonly #pods = new Map<string, SandboxState>();
  /** Set by stop(): the agent is shutting down, and no sandbox is made again. */
  #stopped = false;

  constructor(kc: KubeConfig, root: string, dirs: (node: string) => NodeDirs | undefined, log: SandboxLog) {
    this.#root = root;
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#objects = KubernetesObjectApi.makeApiClient(kc);
    this.#dirs = dirs;
    this.#log = log;
  }

  /** Called for every add/update of a pod, and periodically for every known pod. */
  reconcile(pod: V1Pod): void {
    const meta = pod.metadata;
    const node = pod.spec?.nodeName;
    if (this.#stopped || !meta?.uid || !meta.name || !meta.namespace || !node || pod.spec?.hostNetwork) return;
    if (!this.#dirs(node)) return;
    const annotation = meta.annotations?.[SANDBOX_ANNOTATION];
    let state = this.#pods.get(meta.uid);
    if (!state) {
      if (annotation === 'released') return;
      if (!meta.deletionTimestamp && (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')) return;
      state = {
        ref: { namespace: meta.namespace, name: meta.name, uid: meta.uid, id: meta.uid.replace(/-/g, ''), netns: '' },
        node,
        busy: false,
        attempts: 0,
        phase: annotation === 'ready' ? 'ready' : 'adding',
        events: new Map(),
      };
      this.#pods.set(meta.uid, state);
    }
    if (meta.deletionTimestamp) {
      if (annotation === 'ready' && state.phase !== 'released') {
        if (state.phase !== 'deleting') {
          state.phase = 'deleting';
          state.attempts = 0;
          this.#clearTimer(state);
        }
        this.#schedule(state, 0);
      } else {
        this.forget(meta.uid);
      }
      return;
    }
    if (annotation === 'ready') {
      state.phase = 'ready';
      return;
    }
    if (state.phase === 'adding') this.#schedule(state, 0);
  }

  /** The pod is gone from the API server. */
  forget(uid: string): void {
    const state = this.#pods.get(uid);
    if (!state) return;
    this.#clearTimer(state);
    this.#pods.delete(uid);
    removeNetns(this.#root, uid);
  }

  /** The agent's shutdown: no more steps, and no network namespace left behind. */
  stop(): void {
    this.#stopped = true;
    for (const s of this.#pods.values()) this.#clearTimer(s);
    this.#pods.clear();
    removeAllNetns(this.#root);
  }

  #clearTimer(state: SandboxState): void {
    if (state.timer) clearTimeout(state.timer);
    state.timer = undefined;
  }

  #schedule(state: SandboxState, delayMs: number): void {
    if (state.busy || state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void this.#step(state);
    }, delayMs);
  }

  async #step(state: SandboxState): Promise<void> {
    if (state.busy || this.#pods.get(state.ref.uid) !== state) return;
    const command: CniCommand | undefined = state.phase === 'adding' ? 'ADD' : state.phase === 'deleting' ? 'DEL'
      : undefined;
    const dirs = this.#dirs(state.node);
    if (!command || !dirs) return;
    state.busy = true;
    try {
      if (command === 'ADD') state.ref.netns = await addNetns(this.#root, state.ref.uid);
      if (command === 'DEL' && !state.ref.netns) state.ref.netns = existingNetns(this.#root, state.ref.uid);
      const out = await runCni(dirs, command, state.ref);
      if (this.#pods.get(state.ref.uid) !== state) {
        if (this.#stopped) removeNetns(this.#root, state.ref.uid); // made while the agent was shutting down
        return;
      }
      const who = `${state.ref.namespace}/${state.ref.name} on ${state.node}`;
      if (out.ok) {
        const value = command === 'ADD' ? 'ready' : 'released';
        await this.#annotate(state.ref, value);
        state.phase = value;
        state.attempts = 0;
        this.#log(`${who}: CNI ${command} ok in ${out.ms} ms`);
        if (command === 'DEL') removeNetns(this.#root, state.ref.uid);
        return;
      }
      state.attempts += 1;
      const delay = BACKOFF_MS[Math.min(state.attempts - 1, BACKOFF_MS.length - 1)] ?? 10_000;
      this.#log(`${who}: CNI ${command} failed (attempt ${state.attempts}, retry in ${delay} ms): ${out.message}`);
      await this.#warn(state, command, out.plugin, out.network, out.message);
      state.busy = false;
      this.#schedule(state, delay);
    } catch (err) {
      state.attempts += 1;
      this.#log(`${state.ref.namespace}/${state.ref.name}: sandbox step failed: ${(err as Error).message}`);
      state.busy = false;
      this.#schedule(state, 2_000);
    } finally {
      state.busy = false;
    }
  }

  async #annotate(ref: SandboxRef, value: string): Promise<void> {
    await this.#objects.patch(
      { apiVersion: 'v1', kind: 'Pod',
        metadata: { name: ref.name, namespace: ref.namespace, annotations: { [SANDBOX_ANNOTATION]: value } } },
      undefined,
      undefined,
      'mtr-node-agent',
      undefined,
      PatchStrategy.MergePatch,
    );
  }

  /** The kubelet's Warning Event, in its words (containerd's message around the plugin's own error). */
  async #warn(state: SandboxState, command: CniCommand, plugin: string, network: string,
    message: string): Promise<void> {
    const { ref } = state;
    const [reason, text] = command === 'ADD'
      ? ['FailedCreatePodSandBox', `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup ` +
        `network for sandbox "${ref.id}": plugin type="${plugin}" name="${network}" failed (add): ${message}`]
      : ['FailedKillPod', `error killing pod: failed to "KillPodSandbox" for "${ref.uid}" with KillPodSandboxError: ` +
        `"rpc error: code = Unknown desc = failed to destroy network for sandbox \\"${ref.id}\\": plugin ` +
        `type=\\"${plugin}\\" name=\\"${network}\\" failed (delete): ${message}"`];
    const now = new Date();
    const previous = state.events.get(reason);
    try {
      if (previous?.metadata?.name && previous.message === text) {
        const updated = await this.#core.replaceNamespacedEvent({
          name: previous.metadata.name,
          namespace: ref.namespace,
          body: { ...previous, count: (previous.count ?? 1) + 1, lastTimestamp: now },
        });
        state.events.set(reason, updated);
        return;
      }
      const created = await this.#core.createNamespacedEvent({
        namespace: ref.namespace,
        body: {
          metadata: { name: `${ref.name}.${Date.now().toString(16)}`, namespace: ref.namespace },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: ref.namespace, name: ref.name, uid: ref.uid },
          reason,
          message: text,
          type: 'Warning',
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          source: { component: 'kubelet', host: state.node },
          reportingComponent: 'kubelet',
          reportingInstance: state.node,
        },
      });
      state.events.set(reason, created);
    } catch (err) {
      this.#log(`${ref.namespace}/${ref.name}: could not record ${reason}: ${(err as Error).message}`);
    }
  }
}
