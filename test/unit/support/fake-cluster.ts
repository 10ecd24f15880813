// An in-memory cluster behind the same doors the product uses (ClusterReader, ClusterWriter, the summary writer, and
// the CoordinationV1Api the lease takes from a KubeConfig), so the orchestration can be tested in milliseconds.
//
// A small state machine: nodes, each with a Multus pod (one DaemonSet) and the file that pod wrote; ReplicaSets and
// StatefulSets with their pods; budgets whose status follows the pods; the lease; the summary ConfigMap; Events.
// Evicting or deleting a pod makes its controller create a replacement that becomes Ready after a scripted delay, or
// never; a new Multus pod writes a fresh token bound to itself when it becomes Ready (unless told not to).
//
// Time is a fake clock: it moves only when the code under test sleeps (`sleep`) or waits (`writer.waitForPods`),
// jumping to the next scheduled change, so nothing waits for real. Scripted changes (`at`, `after`) are the watch
// events a wait sees. Scripted answers (`fail`) make one call answer 404/409/429 (with Retry-After)/500 or throw.
//
//   const c = new FakeCluster();                                   // clock at T0
//   c.addNode('node-a', { tokenExpiresInMs: -HOUR });              // Multus pod + a file with an expired token
//   c.addReplicaSet('apps', 'web', { node: 'node-a', replicas: 2, readyAfterMs: 'never' });
//   c.addPdb('apps', 'web', { matchLabels: { app: 'web' }, minAvailable: 1 });
//   c.fail('evict', { code: 429, retryAfterSeconds: 7 }, { target: 'apps/web-…' });
//   c.after(5 * SECOND, (x) => x.rollOutMultus({ strategy: 'OnDelete' }));
//   const report = await executePlan(plan, await c.stepDeps({ config: { stepTimeoutMs: MINUTE } }), { deadline });
//   c.calls; c.events; c.summary; c.lease()                        // what the run did
//
// Lease: acquireLease(c.kubeConfig(), { …, now: c.now, sleep: c.clock.sleeper() }); c.setLease({ holder, renewTime })
// writes another run's lease (renewTime may be in the future). Multus: c.multusDaemonSet.readyAfterMs,
// c.multus.writesToken(node), c.rollOutMultus(), c.finishMultusRollout(), c.writeMultusToken(node).
import { ApiException, CoordinationV1Api, type KubeConfig, type V1ControllerRevision, type V1DaemonSet, type V1Lease,
  type V1Node, type V1Pod, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import { SignJWT, decodeJwt, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { ClusterReader } from '../../../scripts/cluster/cluster-reader.ts';
import type { ClusterWriter, EventSpec, EvictAnswer } from '../../../scripts/cluster/cluster-writer.ts';
import type { BuildData } from '../../../scripts/cluster/summary-store.ts';
import { WaitAborted, WaitTimeout, type WaitPodsOptions } from '../../../scripts/cluster/wait-for-pod.ts';
import { DEFAULTS, type Config } from '../../../scripts/config/config.ts';
import type { RunEvent } from '../../../scripts/log/events.ts';
import type { NodeStep, PodVerdict } from '../../../scripts/model.ts';
import { scanContext } from '../../../scripts/scan/scan-nodes.ts';
import { toNodeFacts } from '../../../scripts/scan/to-facts.ts';
import type { StepDeps } from '../../../scripts/execute/step-deps.ts';
import { recheckOn } from '../../../scripts/recheck.ts';

/** 2026-11-27T00:00:00Z: where every fake clock starts unless told otherwise. */
export const T0 = Date.parse('2026-11-27T00:00:00Z');
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const ISSUER = 'https://kubernetes.default.svc.cluster.local';
export const MULTUS_NS = 'kube-system';
export const ROTATOR_NS = 'multus-token-rotator';
const MULTUS_SA = { name: 'multus', uid: 'sa-multus-uid' };

const signing = await generateKeyPair('ES256', { extractable: true });
const JWKS = { keys: [{ ...(await exportJWK(signing.publicKey)), kid: 'fake', alg: 'ES256', use: 'sig' } as JWK] };

// ───────────────────────────── clock ─────────────────────────────

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];

  constructor(start = T0) {
    this.t = start;
  }

  readonly now = (): number => this.t;

  /** Runs `fn` when the clock reaches `at` (in order of time, then of scheduling). */
  at(at: number, fn: () => void): void {
    this.timers.push({ at: Math.max(at, this.t), seq: this.seq++, fn });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
  }

  /** Moves to the next scheduled change at or before `limit` and runs it (true); or, if none, to `limit` (false). */
  step(limit: number): boolean {
    const next = this.timers[0];
    if (!next || next.at > limit) {
      this.t = Math.max(this.t, limit);
      return false;
    }
    this.timers.shift();
    this.t = next.at;
    next.fn();
    return true;
  }

  /** Like StepDeps.sleep: true after `ms`, false as soon as `signal` fires (scheduled changes run meanwhile). */
  sleeper(signal?: AbortSignal): (ms: number) => Promise<boolean> {
    return async (ms) => {
      const end = this.t + ms;
      if (signal?.aborted) return false;
      while (this.step(end)) {
        await yieldToOthers();
        if (signal?.aborted) return false;
      }
      return true;
    };
  }
}

/** Lets other work (a lease renewal in flight, a signal's listeners) run between two watch events, as it would. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

// ───────────────────────────── scripted answers ─────────────────────────────

export type Op = 'listPods' | 'listNodes' | 'listPdbs' | 'execRead' | 'review' | 'readPod' | 'deletePod' | 'evict'
  | 'event' | 'waitForPods' | 'readDaemonSet' | 'listControllerRevisions' | 'lease.read' | 'lease.create'
  | 'lease.replace' | 'summary.read' | 'summary.write';

/** An HTTP answer (as client-node's ApiException), or an Error thrown as is (a dropped connection, a bug). */
export type Fault = { code: number; message?: string; retryAfterSeconds?: number } | Error;

interface Scripted {
  op: Op;
  target?: string;
  /** undefined: the call goes on as usual, after `first` (see `before`). */
  fault?: Fault;
  times: number;
  first?: () => void;
}

function apiException(f: { code: number; message?: string; retryAfterSeconds?: number }): ApiException<string> {
  const message = f.message ?? `fake HTTP ${f.code}`;
  const headers: Record<string, string> = f.retryAfterSeconds === undefined ? {}
    : { 'retry-after': String(f.retryAfterSeconds) };
  return new ApiException(f.code, message, JSON.stringify({ kind: 'Status', code: f.code, message }), headers);
}

// ───────────────────────────── state ─────────────────────────────

/** A delay after which a new pod becomes Ready, or never; a list is used one entry per new pod (the last repeats). */
export type ReadyAfter = number | 'never' | ReadonlyArray<number | 'never'>;

export interface Controller {
  kind: 'DaemonSet' | 'ReplicaSet' | 'StatefulSet';
  namespace: string;
  name: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** How long a new pod takes to become Ready after it is created. */
  readyAfterMs: ReadyAfter;
  /** How long an evicted or deleted pod stays Terminating before it is gone. */
  terminationMs: number;
  /** False: the controller does not recreate pods (scaled down, paused, deleted). */
  recreates: boolean;
  /** DaemonSet only. */
  updateStrategy: 'RollingUpdate' | 'OnDelete';
  /** DaemonSet only: its ControllerRevisions' hashes, oldest first; new pods get the last (see `rollOutMultus`). */
  revisions: string[];
  /** ReplicaSet and StatefulSet: spec.replicas. */
  replicas: number;
  generation: number;
  observedGeneration: number;
  created: number;
}

export interface MultusOptions {
  /** Whether a new Multus pod on `node` writes its token when Ready (default yes; no: the file keeps the old token). */
  writesToken: (node: string) => boolean;
  /** Lifetime of the tokens new Multus pods write (default one year). */
  tokenLifetimeMs: number;
}

/** What a node's Multus kubeconfig holds. */
export type NodeFile =
  | { kind: 'token'; podName: string; podUid: string; node: string; iat: number; exp: number; saUid?: string }
  | { kind: 'text'; text: string }
  | { kind: 'unreadable'; reason: string };

export interface Pdb {
  namespace: string;
  name: string;
  matchLabels: Record<string, string>;
  minAvailable: number;
  generation: number;
  observed: boolean;
}

export interface FakeOptions {
  now?: number;
}

export class FakeCluster {
  readonly clock: FakeClock;
  readonly now: () => number;
  readonly nodes = new Map<string, { uid: string; ready: boolean; unschedulable: boolean }>();
  readonly pods = new Map<string, V1Pod>(); // by UID
  readonly controllers = new Map<string, Controller>(); // by `${kind}/${namespace}/${name}`
  readonly pdbs: Pdb[] = [];
  readonly files = new Map<string, NodeFile>(); // by node
  readonly multus: MultusOptions = { writesToken: () => true, tokenLifetimeMs: 365 * DAY };
  /** Every Event written, with the fake time it was written at. */
  readonly events: Array<EventSpec & { at: number }> = [];
  /** Every changing call, in order: `delete ns/name`, `evict ns/name`, `evict-dry-run ns/name`, `lease.replace holder`. */
  readonly calls: string[] = [];
  /** The summary ConfigMap's data (undefined until written) and how many times it was written. */
  summary: Record<string, string> | undefined;
  summaryWrites = 0;
  /** The facts ConfigMap's data (scan/known-store.ts) and how many times it was written. */
  facts: Record<string, string> | undefined;
  factsWrites = 0;
  /** The Multus service account's UID now (recreateMultusServiceAccount changes it). */
  multusSaUid = MULTUS_SA.uid;
  /** Namespaces that do not exist (a lease create there answers 404). */
  readonly missingNamespaces = new Set<string>();
  private readonly leases = new Map<string, V1Lease>();
  private readonly scripted: Scripted[] = [];
  private readonly tokens = new Map<string, string>();
  private readonly revoked = new Set<string>();
  private readyIndex = new Map<string, number>();
  private uidSeq = 0;
  private rv = 0;

  constructor(opts: FakeOptions = {}) {
    this.clock = new FakeClock(opts.now ?? T0);
    this.now = this.clock.now;
  }

  // ── scripting ──

  /** Runs `fn` at fake time `at` (a watch event for whoever waits then). */
  at(at: number, fn: (c: this) => void): this {
    this.clock.at(at, () => fn(this));
    return this;
  }

  /** Runs `fn` `ms` after now. */
  after(ms: number, fn: (c: this) => void): this {
    return this.at(this.now() + ms, fn);
  }

  /**
   * The next `times` calls of `op` (on `target`: `ns/name`, a pod name for execRead, a namespace for listPods, if
   * given) answer `fault`; `first` runs just before each such answer (another writer got there first).
   */
  fail(op: Op, fault: Fault, opts: { target?: string; times?: number; first?: (c: FakeCluster) => void } = {}): this {
    const first = opts.first;
    this.scripted.push({ op, fault, target: opts.target, times: opts.times ?? 1, first: first && (() => first(this)) });
    return this;
  }

  /** `fn` runs just before the next call of `op` (on `target`), which then goes on as usual: a change in between. */
  before(op: Op, fn: (c: FakeCluster) => void, opts: { target?: string } = {}): this {
    this.scripted.push({ op, target: opts.target, times: 1, first: () => fn(this) });
    return this;
  }

  private fault(op: Op, target?: string): Fault | undefined {
    const s = this.scripted.find((x) => x.op === op && x.times > 0 && (x.target === undefined || x.target === target));
    if (!s) return undefined;
    s.times -= 1;
    s.first?.();
    return s.fault;
  }

  private throwIfScripted(op: Op, target?: string): void {
    const f = this.fault(op, target);
    if (f) throw f instanceof Error ? f : apiException(f);
  }

  // ── building the cluster ──

  private uid(prefix: string): string {
    this.uidSeq += 1;
    return `${prefix}-uid-${String(this.uidSeq).padStart(4, '0')}`;
  }

  private bump(): string {
    this.rv += 1;
    return String(this.rv);
  }

  private key(kind: Controller['kind'], namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  /** The Multus DaemonSet (created with the first node). */
  get multusDaemonSet(): Controller {
    const key = this.key('DaemonSet', MULTUS_NS, 'kube-multus-ds');
    let ds = this.controllers.get(key);
    if (!ds) {
      ds = { kind: 'DaemonSet', namespace: MULTUS_NS, name: 'kube-multus-ds', uid: this.uid('ds'),
        labels: { app: 'multus' }, annotations: {}, readyAfterMs: 2 * SECOND, terminationMs: 0, recreates: true,
        updateStrategy: 'RollingUpdate', revisions: ['rev1'], replicas: 0, generation: 1, observedGeneration: 1,
        created: this.now() - 400 * DAY };
      this.controllers.set(key, ds);
    }
    return ds;
  }

  /**
   * A Ready node with a Ready Multus pod whose file holds a token bound to that pod, expiring `tokenExpiresInMs`
   * from now (negative: expired; default one year: healthy).
   */
  addNode(name: string, opts: { tokenExpiresInMs?: number; ready?: boolean } = {}): V1Pod {
    this.nodes.set(name, { uid: this.uid('node'), ready: opts.ready ?? true, unschedulable: false });
    const pod = this.createPod(this.multusDaemonSet, { node: name, ready: true });
    const iat = this.now() - 30 * DAY;
    this.files.set(name, { kind: 'token', podName: pod.metadata!.name!, podUid: pod.metadata!.uid!, node: name, iat,
      exp: this.now() + (opts.tokenExpiresInMs ?? 365 * DAY) });
    return pod;
  }

  /** A ReplicaSet with `replicas` Ready pods on `node` that attach a secondary network. */
  addReplicaSet(namespace: string, name: string, opts:
    & Partial<Pick<Controller, 'readyAfterMs' | 'terminationMs'>>
    & { node: string; replicas?: number; labels?: Record<string, string>;
      annotations?: Record<string, string> }): V1Pod[] {
    return this.addWorkload('ReplicaSet', namespace, name, opts);
  }

  /** A StatefulSet whose pods (name-0, name-1 …) are Ready on `node`; a replacement keeps its pod's name. */
  addStatefulSet(namespace: string, name: string, opts:
    & Partial<Pick<Controller, 'readyAfterMs' | 'terminationMs'>>
    & { node: string; replicas?: number; labels?: Record<string, string>;
      annotations?: Record<string, string> }): V1Pod[] {
    return this.addWorkload('StatefulSet', namespace, name, opts);
  }

  private addWorkload(kind: 'ReplicaSet' | 'StatefulSet', namespace: string, name: string, opts:
    & Partial<Pick<Controller, 'readyAfterMs' | 'terminationMs'>>
    & { node: string; replicas?: number; labels?: Record<string, string>;
      annotations?: Record<string, string> }): V1Pod[] {
    const labels = { app: name, ...(kind === 'ReplicaSet' ? { 'pod-template-hash': `${name}hash` } : {}),
      ...opts.labels };
    const ctl: Controller = { kind, namespace, name, uid: this.uid(kind === 'ReplicaSet' ? 'rs' : 'sts'), labels,
      annotations: { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf', ...opts.annotations },
      readyAfterMs: opts.readyAfterMs ?? 3 * SECOND, terminationMs: opts.terminationMs ?? 0, recreates: true,
      updateStrategy: 'RollingUpdate', revisions: [], replicas: opts.replicas ?? 1, generation: 1,
      observedGeneration: 1, created: this.now() - DAY };
    this.controllers.set(this.key(kind, namespace, name), ctl);
    return Array.from({ length: opts.replicas ?? 1 },
      (_, i) => this.createPod(ctl, { node: opts.node, ready: true, ordinal: i }));
  }

  /** A pod with no controller (nobody recreates it). */
  addBarePod(namespace: string, name: string, node: string): V1Pod {
    const pod: V1Pod = {
      metadata: { namespace, name, uid: this.uid('pod'), resourceVersion: this.bump(), labels: { app: name },
        annotations: { 'k8s.v1.cni.cncf.io/networks': 'macvlan-conf' }, creationTimestamp: new Date(this.now() - DAY) },
      spec: { nodeName: node, containers: [{ name: 'main', image: 'busybox' }] },
      status: readyStatus(true),
    };
    this.pods.set(pod.metadata!.uid!, pod);
    return pod;
  }

  /** A budget in `namespace` over `matchLabels`; its status follows the Ready pods it selects. */
  addPdb(namespace: string, name: string,
    opts: { matchLabels: Record<string, string>; minAvailable: number; observed?: boolean }): Pdb {
    const pdb: Pdb = { namespace, name, matchLabels: opts.matchLabels, minAvailable: opts.minAvailable, generation: 1,
      observed: opts.observed ?? true };
    this.pdbs.push(pdb);
    return pdb;
  }

  /** Finds a controller by kind and name (any namespace). */
  controller(kind: Controller['kind'], name: string): Controller {
    const c = [...this.controllers.values()].find((x) => x.kind === kind && x.name === name);
    if (!c) throw new Error(`fake: no ${kind} ${name}`);
    return c;
  }

  // ── pods and controllers ──

  private nextReadyAfter(ctl: Controller): number | 'never' {
    const r = ctl.readyAfterMs;
    if (typeof r === 'number' || r === 'never') return r;
    const i = this.readyIndex.get(ctl.uid) ?? 0;
    this.readyIndex.set(ctl.uid, i + 1);
    return r[Math.min(i, r.length - 1)] ?? 'never';
  }

  private createPod(ctl: Controller, opts: { node: string; ready: boolean; ordinal?: number; name?: string }): V1Pod {
    const uid = this.uid('pod');
    const name = opts.name ?? (ctl.kind === 'StatefulSet' ? `${ctl.name}-${opts.ordinal ?? 0}`
      : `${ctl.name}-${uid.slice(-4)}`);
    const labels = { ...ctl.labels, ...(ctl.kind === 'StatefulSet' ?
      { 'statefulset.kubernetes.io/pod-name': name,
        'controller-revision-hash': `${ctl.name}-${ctl.revisions.at(-1) ?? 'rev1'}` } : {}),
      ...(ctl.kind === 'DaemonSet' ? { 'controller-revision-hash': ctl.revisions.at(-1) ?? '' } : {}) };
    const container = ctl.kind === 'DaemonSet'
      ? { name: DEFAULTS.container, image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v3.9.3',
        command: ['/entrypoint.sh'], args: ['--multus-conf-file=auto'],
        volumeMounts: [{ name: 'cni', mountPath: '/host/etc/cni/net.d' }] }
      : { name: 'main', image: 'registry.example/app:1' };
    const pod: V1Pod = {
      metadata: {
        namespace: ctl.namespace,
        name,
        uid,
        resourceVersion: this.bump(),
        labels,
        annotations: { ...ctl.annotations },
        creationTimestamp: new Date(ctl.kind === 'DaemonSet' && opts.ready ? ctl.created : this.now()),
        ownerReferences: [{ apiVersion: 'apps/v1', kind: ctl.kind, name: ctl.name, uid: ctl.uid, controller: true }],
      },
      spec: {
        nodeName: opts.node,
        containers: [container],
        // As the API server defaults it (30 s), or long enough for the controller's terminationMs.
        terminationGracePeriodSeconds: Math.max(30, Math.ceil(ctl.terminationMs / 1000)),
        ...(ctl.kind === 'DaemonSet' ?
          { serviceAccountName: MULTUS_SA.name, volumes: [{ name: 'cni', hostPath: { path: '/etc/cni/net.d' } }] } :
          {}),
      },
      status: readyStatus(opts.ready),
    };
    this.pods.set(uid, pod);
    if (!opts.ready) {
      const after = this.nextReadyAfter(ctl);
      if (after !== 'never') this.after(after, () => this.setReady(uid, true));
    }
    return pod;
  }

  /** Marks a pod Ready or not; a Multus pod that becomes Ready writes its token (see `multus.writesToken`). */
  setReady(uid: string, ready: boolean): void {
    const pod = this.pods.get(uid);
    if (!pod) return;
    pod.status = readyStatus(ready);
    pod.metadata!.resourceVersion = this.bump();
    const owner = pod.metadata?.ownerReferences?.[0];
    const node = pod.spec?.nodeName ?? '';
    if (ready && owner?.kind === 'DaemonSet' && this.multus.writesToken(node)) this.writeMultusToken(node);
  }

  /** The node's file now holds a new token bound to its current Multus pod (what the entrypoint writes at start). */
  writeMultusToken(node: string): void {
    const pod = this.multusPod(node);
    this.files.set(node, { kind: 'token', podName: pod.metadata!.name!, podUid: pod.metadata!.uid!, node,
      iat: this.now(), exp: this.now() + this.multus.tokenLifetimeMs, saUid: this.multusSaUid });
  }

  /** The pod by namespace and name, if it exists. */
  pod(namespace: string, name: string): V1Pod | undefined {
    return [...this.pods.values()].find((p) => p.metadata?.namespace === namespace && p.metadata.name === name);
  }

  /** The pods a controller owns now. */
  podsOf(kind: Controller['kind'], name: string): V1Pod[] {
    const ctl = this.controller(kind, name);
    return [...this.pods.values()].filter((p) => p.metadata?.ownerReferences?.[0]?.uid === ctl.uid);
  }

  /** The node's Multus pod (the newest that is not terminating). */
  multusPod(node: string): V1Pod {
    const ds = this.multusDaemonSet;
    const pods = [...this.pods.values()].filter((p) =>
      p.spec?.nodeName === node &&
      p.metadata?.ownerReferences?.[0]?.uid === ds.uid && !p.metadata.deletionTimestamp
    );
    const pod = pods.at(-1);
    if (!pod) throw new Error(`fake: no Multus pod on ${node}`);
    return pod;
  }

  /** Deletes a pod as the API server would: Terminating for the controller's terminationMs, then gone; the
   * controller creates a replacement (a StatefulSet only once the old pod is gone, under the same name). */
  removePod(uid: string): void {
    const pod = this.pods.get(uid);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    const ownerUid = pod.metadata?.ownerReferences?.[0]?.uid;
    const ctl = [...this.controllers.values()].find((c) => c.uid === ownerUid);
    const node = pod.spec?.nodeName ?? '';
    const gone = () => {
      this.pods.delete(uid);
      this.bump();
      // A StatefulSet recreates the same name, and a DaemonSet its node's pod, only once the old pod is gone.
      if (ctl?.recreates && ctl.kind === 'StatefulSet') {
        this.createPod(ctl, { node, ready: false, name: pod.metadata!.name });
      }
      if (ctl?.recreates && ctl.kind === 'DaemonSet') this.createPod(ctl, { node, ready: false });
    };
    const terminationMs = ctl?.terminationMs ?? 0;
    pod.metadata!.deletionTimestamp = new Date(this.now());
    pod.metadata!.resourceVersion = this.bump();
    if (ctl?.recreates && ctl.kind === 'ReplicaSet') this.createPod(ctl, { node, ready: false });
    if (terminationMs > 0) this.after(terminationMs, gone);
    else gone();
  }

  /** The Multus service account deleted and created again: a new UID; every token of the old one is rejected. */
  recreateMultusServiceAccount(): void {
    this.multusSaUid = this.uid('sa');
  }

  /** The node's file now holds a token revoked by the API server (its review is rejected). */
  revokeToken(node: string): void {
    const f = this.files.get(node);
    if (f?.kind === 'token') this.revoked.add(f.podUid);
  }

  // ── lease ──

  /** Sets the lease as another run would have written it (times in fake ms). */
  setLease(
    spec: { holder?: string; renewTime?: number; acquireTime?: number; durationSeconds?: number; transitions?: number;
      name?: string; namespace?: string },
  ): void {
    const namespace = spec.namespace ?? ROTATOR_NS;
    const name = spec.name ?? DEFAULTS.leaseName;
    const iso = (
      ms: number | undefined,
    ) => (ms === undefined ? undefined : new Date(ms).toISOString().replace('Z', '000Z'));
    this.leases.set(`${namespace}/${name}`, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, resourceVersion: this.bump() },
      spec: { holderIdentity: spec.holder, leaseDurationSeconds: spec.durationSeconds ?? 120,
        acquireTime: iso(spec.acquireTime ?? spec.renewTime) as never, renewTime: iso(spec.renewTime) as never,
        leaseTransitions: spec.transitions ?? 0 },
    });
  }

  deleteLease(name: string = DEFAULTS.leaseName, namespace = ROTATOR_NS): void {
    this.leases.delete(`${namespace}/${name}`);
  }

  /** The lease as stored (times as the strings the API server returns), or undefined. */
  lease(name: string = DEFAULTS.leaseName, namespace = ROTATOR_NS): V1Lease | undefined {
    const l = this.leases.get(`${namespace}/${name}`);
    return l && structuredClone(l);
  }

  /** A KubeConfig whose only client is the fake CoordinationV1Api: what `acquireLease(kc, …)` needs. */
  kubeConfig(): KubeConfig {
    const api = this.leaseApi();
    return { makeApiClient: (cls: unknown) => {
      if (cls !== CoordinationV1Api) throw new Error('fake: only CoordinationV1Api is faked');
      return api;
    } } as unknown as KubeConfig;
  }

  /** The three calls lease.ts makes, with the API server's optimistic concurrency (409 on a stale resourceVersion). */
  leaseApi(): Pick<CoordinationV1Api, 'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'> {
    // As on the wire: Dates become strings (a V1MicroTime with six fractional digits).
    const stored = (body: V1Lease): V1Lease => JSON.parse(JSON.stringify(body)) as V1Lease;
    return {
      readNamespacedLease: async ({ name, namespace }) => {
        this.throwIfScripted('lease.read', `${namespace}/${name}`);
        const l = this.leases.get(`${namespace}/${name}`);
        if (!l) throw apiException({ code: 404, message: `leases.coordination.k8s.io "${name}" not found` });
        return structuredClone(l);
      },
      createNamespacedLease: async ({ namespace, body }) => {
        const name = body.metadata?.name ?? '';
        this.throwIfScripted('lease.create', `${namespace}/${name}`);
        if (this.missingNamespaces.has(namespace)) {
          throw apiException({ code: 404, message: `namespaces "${namespace}" not found` });
        }
        if (this.leases.has(`${namespace}/${name}`)) throw apiException({ code: 409, message: 'already exists' });
        const l = stored({ ...body, metadata: { ...body.metadata, resourceVersion: this.bump() } });
        this.leases.set(`${namespace}/${name}`, l);
        this.calls.push(`lease.create ${l.spec?.holderIdentity ?? ''}`);
        return structuredClone(l);
      },
      replaceNamespacedLease: async ({ name, namespace, body }) => {
        this.throwIfScripted('lease.replace', `${namespace}/${name}`);
        const current = this.leases.get(`${namespace}/${name}`);
        if (!current) throw apiException({ code: 404, message: `leases.coordination.k8s.io "${name}" not found` });
        if (body.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
          throw apiException({ code: 409,
            message: 'the object has been modified; please apply your changes to the latest version and try again' });
        }
        const l = stored({ ...body, metadata: { ...body.metadata, resourceVersion: this.bump() } });
        this.leases.set(`${namespace}/${name}`, l);
        this.calls.push(`lease.replace ${l.spec?.holderIdentity ?? '(released)'}`);
        return structuredClone(l);
      },
    };
  }

  // ── the summary ConfigMap ──

  /** RunDeps.writeSummary: read, build, write; scripted 409s are retried like upsertSummary does (5 attempts). */
  readonly writeSummary = async (_namespace: string, name: string, build: BuildData): Promise<void> => {
    if (name.endsWith('-facts')) { // the facts of the last reads (scan/known-store.ts): a ConfigMap of their own
      this.facts = build(this.facts && { ...this.facts });
      this.factsWrites += 1;
      return;
    }
    for (let attempt = 1;; attempt++) {
      try {
        this.throwIfScripted('summary.read');
        const data = build(this.summary && { ...this.summary });
        this.throwIfScripted('summary.write');
        this.summary = data;
        this.summaryWrites += 1;
        return;
      } catch (err) {
        if ((err as { code?: number }).code === 409 && attempt < 5) continue;
        throw err;
      }
    }
  };

  // ── views as the API returns them ──

  private matching(opts: { namespace?: string; labelSelector?: string; fieldSelector?: string }): V1Pod[] {
    return [...this.pods.values()].filter((p) =>
      (!opts.namespace || p.metadata?.namespace === opts.namespace) &&
      matchesLabels(p.metadata?.labels ?? {}, opts.labelSelector) && matchesFields(p, opts.fieldSelector)
    )
      .map((p) => structuredClone(p));
  }

  private nodeObjects(): V1Node[] {
    return [...this.nodes.entries()].map(([name, n]) => ({
      metadata: { name, uid: n.uid },
      spec: { unschedulable: n.unschedulable },
      status: { conditions: [{ type: 'Ready', status: n.ready ? 'True' : 'False' }] },
    }));
  }

  private selects(pdb: Pdb, pod: V1Pod): boolean {
    return pod.metadata?.namespace === pdb.namespace &&
      Object.entries(pdb.matchLabels).every(([k, v]) => pod.metadata?.labels?.[k] === v);
  }

  /** A budget as the disruption controller would report it now. */
  pdbObject(pdb: Pdb): V1PodDisruptionBudget {
    const pods = [...this.pods.values()].filter((p) => this.selects(pdb, p));
    const healthy = pods.filter((p) => !p.metadata?.deletionTimestamp && isReady(p)).length;
    return {
      metadata: { namespace: pdb.namespace, name: pdb.name, generation: pdb.generation },
      spec: { minAvailable: pdb.minAvailable, selector: { matchLabels: pdb.matchLabels } },
      status: { observedGeneration: pdb.observed ? pdb.generation : pdb.generation - 1, currentHealthy: healthy,
        desiredHealthy: pdb.minAvailable, expectedPods: pods.length,
        disruptionsAllowed: pdb.observed ? Math.max(0, healthy - pdb.minAvailable) : 0 },
    };
  }

  /** The Multus DaemonSet as the API returns it, status included (for a guard on rollouts and OnDelete). */
  daemonSetObject(ctl: Controller = this.multusDaemonSet): V1DaemonSet {
    const pods = [...this.pods.values()].filter((p) =>
      p.metadata?.ownerReferences?.[0]?.uid === ctl.uid &&
      !p.metadata.deletionTimestamp
    );
    const ready = pods.filter(isReady).length;
    return {
      metadata: { namespace: ctl.namespace, name: ctl.name, uid: ctl.uid, generation: ctl.generation },
      spec: { selector: { matchLabels: ctl.labels }, updateStrategy: { type: ctl.updateStrategy },
        template: { metadata: { labels: ctl.labels }, spec: { containers: [] } } },
      status: { observedGeneration: ctl.observedGeneration, desiredNumberScheduled: this.nodes.size,
        currentNumberScheduled: pods.length, numberReady: ready, numberAvailable: ready,
        numberUnavailable: Math.max(0, this.nodes.size - ready), numberMisscheduled: 0,
        updatedNumberScheduled:
          pods.filter((p) => p.metadata?.labels?.['controller-revision-hash'] === ctl.revisions.at(-1)).length },
    };
  }

  /** The ControllerRevisions the DaemonSets own, as `listControllerRevisions` returns them. */
  controllerRevisions(namespace: string): V1ControllerRevision[] {
    return [...this.controllers.values()].filter((c) => c.kind === 'DaemonSet' && c.namespace === namespace)
      .flatMap((c) =>
        c.revisions.map((hash, i) => ({
          metadata: { namespace, name: `${c.name}-${hash}`, labels: { 'controller-revision-hash': hash },
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: c.name, uid: c.uid,
              controller: true }] },
          revision: i + 1,
        }))
      );
  }

  /**
   * A new Multus template: a new revision, observed by the controller unless `observed: false`. Pods are not replaced
   * (as with OnDelete, or a RollingUpdate caught mid-rollout): the DaemonSet now reports fewer pods updated than
   * desired, and every existing Multus pod runs an old revision.
   */
  rollOutMultus(opts: { strategy?: Controller['updateStrategy']; observed?: boolean } = {}): void {
    const ds = this.multusDaemonSet;
    ds.revisions.push(`rev${ds.revisions.length + 1}`);
    ds.generation += 1;
    if (opts.observed ?? true) ds.observedGeneration = ds.generation;
    if (opts.strategy) ds.updateStrategy = opts.strategy;
  }

  /** The rollout finished: every Multus pod now runs the DaemonSet's current revision. */
  finishMultusRollout(): void {
    const ds = this.multusDaemonSet;
    for (const p of this.pods.values()) {
      if (p.metadata?.ownerReferences?.[0]?.uid === ds.uid) {
        p.metadata.labels!['controller-revision-hash'] = ds.revisions.at(-1)!;
      }
    }
  }

  private async token(f: Extract<NodeFile, { kind: 'token' }>): Promise<string> {
    const key = JSON.stringify(f);
    let t = this.tokens.get(key);
    if (!t) {
      t = await new SignJWT({
        aud: [ISSUER],
        sub: `system:serviceaccount:${MULTUS_NS}:${MULTUS_SA.name}`,
        'kubernetes.io': { namespace: MULTUS_NS,
          serviceaccount: { name: MULTUS_SA.name, uid: f.saUid ?? MULTUS_SA.uid },
          pod: { name: f.podName, uid: f.podUid }, node: { name: f.node, uid: this.nodes.get(f.node)?.uid ?? '' } },
      }).setProtectedHeader({ alg: 'ES256', kid: 'fake' }).setIssuer(ISSUER)
        .setIssuedAt(Math.floor(f.iat / 1000)).setExpirationTime(Math.floor(f.exp / 1000)).sign(signing.privateKey);
      this.tokens.set(key, t);
    }
    return t;
  }

  private async fileBytes(node: string): Promise<{ ok: true; bytes: Buffer } | { ok: false; reason: string }> {
    const f = this.files.get(node);
    if (!f) return { ok: false, reason: "cat: can't open the file: No such file or directory" };
    if (f.kind === 'unreadable') return { ok: false, reason: f.reason };
    const text = f.kind === 'text' ? f.text : multusKubeconfig(await this.token(f));
    return { ok: true, bytes: Buffer.from(text) };
  }

  // ── the doors ──

  readonly reader: ClusterReader = {
    listPods: async (opts, onPage) => {
      this.throwIfScripted('listPods', opts.namespace);
      const pods = this.matching(opts);
      onPage?.(pods, false);
      return pods;
    },
    listNodes: async () => {
      this.throwIfScripted('listNodes');
      return this.nodeObjects();
    },
    listPdbs: async () => {
      this.throwIfScripted('listPdbs');
      return this.pdbs.map((p) => this.pdbObject(p));
    },
    execRead: async (o) => {
      const f = this.fault('execRead', o.pod);
      if (f) return { ok: false, kind: 'failed', reason: f instanceof Error ? f.message : `HTTP ${f.code}` };
      const pod = this.pod(o.namespace, o.pod);
      if (!pod) return { ok: false, kind: 'failed', reason: `pods "${o.pod}" not found` };
      const read = await this.fileBytes(pod.spec?.nodeName ?? '');
      return read.ok ? read : { ok: false, kind: 'failed', reason: read.reason };
    },
    readViaReaderPod: async (spec) => {
      const read = await this.fileBytes(spec.node);
      return read.ok ? read : { ok: false, kind: 'failed', reason: read.reason };
    },
    statefulSet: async (namespace, name) => {
      const c = this.controllers.get(this.key('StatefulSet', namespace, name));
      if (!c) return undefined;
      const rev = `${c.name}-${c.revisions.at(-1) ?? 'rev1'}`;
      return { metadata: { namespace, name, uid: c.uid, generation: c.generation },
        spec: { selector: { matchLabels: c.labels }, serviceName: name, replicas: c.replicas,
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
          template: { metadata: { labels: c.labels }, spec: { containers: [] } } },
        status: { observedGeneration: c.observedGeneration, replicas: c.replicas, currentRevision: rev,
          updateRevision: rev } };
    },
    jwks: async () => structuredClone(JWKS),
    issuer: async () => ISSUER,
    review: async (token) => {
      const f = this.fault('review');
      if (f) return { status: 'unchecked', reason: `TokenReview failed: ${f instanceof Error ? f.message : f.code}` };
      const claims = decodeJwt(token) as { exp?: number; 'kubernetes.io'?: { pod?: { uid?: string } } };
      const podUid = claims['kubernetes.io']?.pod?.uid ?? '';
      const live = this.pods.get(podUid);
      if ((claims.exp ?? 0) * 1000 <= this.now()) return { status: 'rejected', reason: 'token has expired' };
      const saUid = (claims['kubernetes.io'] as { serviceaccount?: { uid?: string } } | undefined)?.serviceaccount?.uid;
      if (saUid !== this.multusSaUid) return { status: 'rejected', reason: 'the service account was deleted' };
      if (!live || live.metadata?.deletionTimestamp || this.revoked.has(podUid)) {
        return { status: 'rejected', reason: 'the pod this token is bound to no longer exists' };
      }
      return { status: 'authenticated', username: `system:serviceaccount:${MULTUS_NS}:${MULTUS_SA.name}` };
    },
    serviceAccountUid: async (namespace,
      name) => (namespace === MULTUS_NS && name === MULTUS_SA.name ? this.multusSaUid : undefined),
    configMapData: async (_namespace, name) =>
      name.endsWith('-facts') ? (this.facts ? { ...this.facts } : undefined) : this.summary && { ...this.summary },
  };

  readonly writer: ClusterWriter = {
    deletePod: async (namespace, name, uid, dryRun) => {
      this.throwIfScripted('deletePod', `${namespace}/${name}`);
      const pod = this.pod(namespace, name);
      if (!pod || pod.metadata?.uid !== uid) return 'not-found'; // 404, or 409 on the UID precondition
      this.calls.push(`${dryRun ? 'delete-dry-run' : 'delete'} ${namespace}/${name}`);
      if (!dryRun) this.removePod(uid);
      return 'deleted';
    },
    evict: async (namespace, name, uid, dryRun) => {
      const f = this.fault('evict', `${namespace}/${name}`);
      if (f instanceof Error) throw f;
      if (f) return evictAnswer(f);
      const pod = this.pod(namespace, name);
      if (!pod || pod.metadata?.deletionTimestamp) return { kind: 'not-found' };
      if (pod.metadata?.uid !== uid) {
        this.calls.push(`evict-refused-uid ${namespace}/${name}`);
        return { kind: 'replaced', message: `Precondition failed: UID in precondition: ${uid}, UID in object meta: ` +
          `${pod.metadata?.uid}` };
      }
      const covering = this.pdbs.filter((p) => this.selects(p, pod));
      if (covering.length > 1) {
        return { kind: 'several-budgets',
          message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' };
      }
      const budget = covering[0] && this.pdbObject(covering[0]);
      if (budget && (budget.status?.disruptionsAllowed ?? 0) < 1) {
        return { kind: 'too-many-requests',
          message: "Cannot evict pod as it would violate the pod's disruption budget." };
      }
      this.calls.push(`${dryRun ? 'evict-dry-run' : 'evict'} ${namespace}/${name}`);
      if (!dryRun) this.removePod(pod.metadata!.uid!);
      return { kind: 'accepted' };
    },
    waitForPods: async <T>(opts: WaitPodsOptions<T>): Promise<T> => {
      this.throwIfScripted('waitForPods', opts.namespace);
      const deadline = this.now() + opts.timeoutMs;
      for (;;) {
        if (opts.signal?.aborted) {
          throw new WaitAborted(`stopped waiting for ${opts.what}: ${String(opts.signal.reason ?? 'aborted')}`);
        }
        const pods = new Map(this.matching(opts).map((p) => [p.metadata!.uid!, p]));
        const value = opts.until(pods);
        if (value !== undefined) return value;
        if (!this.clock.step(deadline)) {
          throw new WaitTimeout(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}`);
        }
        await yieldToOthers();
      }
    },
    readPod: async (namespace, name) => {
      this.throwIfScripted('readPod', `${namespace}/${name}`);
      const p = this.pod(namespace, name);
      return p && structuredClone(p);
    },
    event: async (spec) => {
      this.throwIfScripted('event');
      this.events.push({ ...structuredClone(spec), at: this.now() });
    },
    desiredReplicas: async (kind, namespace, name) => {
      const c = this.controllers.get(`${kind}/${namespace}/${name}`);
      return c && c.kind !== 'DaemonSet' ? c.replicas : undefined;
    },
    readDaemonSet: async (namespace, name) => {
      this.throwIfScripted('readDaemonSet', `${namespace}/${name}`);
      const c = this.controllers.get(this.key('DaemonSet', namespace, name));
      return c && this.daemonSetObject(c);
    },
    listControllerRevisions: async (namespace) => {
      this.throwIfScripted('listControllerRevisions', namespace);
      return this.controllerRevisions(namespace);
    },
  };

  // ── ready-made dependencies ──

  /** StepDeps on this cluster: the fake clock and sleep, recorded progress, the writer's Events, the real re-checks. */
  async stepDeps(
    opts: { config?: Partial<Config>; signal?: AbortSignal; random?: () => number } = {},
  ): Promise<StepDeps & { emitted: RunEvent[] }> {
    const signal = opts.signal ?? new AbortController().signal;
    const nodeFacts = new Map(this.nodeObjects().map((n) => [n.metadata!.name!, toNodeFacts(n)]));
    const emitted: RunEvent[] = [];
    const config = testConfig(opts.config);
    return {
      config,
      reader: this.reader,
      writer: this.writer,
      recheck: recheckOn(this.reader, config, await scanContext(this.reader, nodeFacts, []), this.now),
      now: this.now,
      sleep: this.clock.sleeper(signal),
      random: opts.random ?? (() => 0.5),
      emit: (e) => emitted.push(e),
      event: (e) => this.writer.event(e),
      signal,
      emitted,
    };
  }

  /** A plan step for `node`: its Multus pod, then every pod on the node with a secondary network, each restarted. */
  step(node: string, overrides: Partial<NodeStep> = {}): NodeStep {
    const mp = this.multusPod(node);
    const pods: PodVerdict[] = [...this.pods.values()]
      .filter((p) =>
        p.spec?.nodeName === node && p.metadata?.annotations?.['k8s.v1.cni.cncf.io/networks'] &&
        p.metadata.ownerReferences?.[0]?.kind !== 'DaemonSet'
      )
      .map((p) => ({ namespace: p.metadata!.namespace!, name: p.metadata!.name!, uid: p.metadata!.uid!,
        action: 'restart', reason: 'attaches secondary networks through Multus' })
      );
    return { node, class: 'expired', reason: 'the token expired',
      multusPod: { namespace: MULTUS_NS, name: mp.metadata!.name!, uid: mp.metadata!.uid! }, pods, ...overrides };
  }
}

// ───────────────────────────── helpers ─────────────────────────────

/** Config for tests: the defaults, acting (execute), rotator namespaces set; override what the test is about. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return Object.freeze({
    ...DEFAULTS,
    restartKinds: [...DEFAULTS.restartKinds],
    mode: 'execute',
    yes: true,
    inCluster: false,
    leaseNamespace: ROTATOR_NS,
    summaryNamespace: ROTATOR_NS,
    ...overrides,
  }) as Config;
}

function readyStatus(ready: boolean): V1Pod['status'] {
  return { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
}

function isReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' &&
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** What the real writer makes of an HTTP error on an eviction (cluster-writer.ts). */
function evictAnswer(f: { code: number; message?: string; retryAfterSeconds?: number }): EvictAnswer {
  const message = f.message ?? `fake HTTP ${f.code}`;
  if (f.code === 404) return { kind: 'not-found' };
  if (f.code === 409) return { kind: 'replaced', message };
  if (f.code === 429) {
    return { kind: 'too-many-requests', message,
      ...(f.retryAfterSeconds !== undefined ? { retryAfterMs: f.retryAfterSeconds * 1000 } : {}) };
  }
  if (f.code === 500 && /more than one PodDisruptionBudget/i.test(message)) return { kind: 'several-budgets', message };
  return { kind: 'error', code: f.code, message };
}

/** `a=b,c!=d,e` (equality, inequality, existence): the forms the rotator sends. */
function matchesLabels(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').map((s) => s.trim()).filter(Boolean).every((term) => {
    const ne = term.split('!=');
    if (ne.length === 2) return labels[ne[0]!.trim()] !== ne[1]!.trim();
    const eq = term.split(/==?/);
    if (eq.length === 2) return labels[eq[0]!.trim()] === eq[1]!.trim();
    return term in labels;
  });
}

const FIELDS: Record<string, (p: V1Pod) => string | undefined> = {
  'metadata.name': (p) => p.metadata?.name,
  'metadata.namespace': (p) => p.metadata?.namespace,
  'spec.nodeName': (p) => p.spec?.nodeName,
  'status.phase': (p) => p.status?.phase,
};

function matchesFields(pod: V1Pod, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [field, value] = term.split(/!=|==?/) as [string, string];
    const get = FIELDS[field.trim()];
    if (!get) throw new Error(`fake: field selector ${field} is not supported`);
    return term.includes('!=') ? get(pod) !== value.trim() : get(pod) === value.trim();
  });
}

function multusKubeconfig(token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: local',
    '  cluster:',
    '    server: https://10.96.0.1:443',
    'users:',
    '- name: multus',
    '  user:',
    `    token: "${token}"`,
    'contexts:',
    '- name: multus-context',
    '  context:',
    '    cluster: local',
    '    user: multus',
    'current-context: multus-context',
    '',
  ].join('\n');
}
