// Scan, phase 1: every node's Multus pod and the token its kubeconfig copy really holds. Two steps: find the Multus
// pods (two lists), then read their files. Gathers facts only; the classifier judges them. A node whose file cannot be
// read or parsed is recorded with the reason and the scan goes on. The token itself is dropped as soon as it has been
// inspected, verified and reviewed.
import type { V1Pod } from '@kubernetes/client-node';
import type { Config } from '../config/config.ts';
import type { ClusterReader } from '../cluster/cluster-reader.ts';
import type { ExecReadResult } from '../cluster/exec-read.ts';
import type { Emit } from '../log/events.ts';
import type { FileContent, FileRead, Millis, NodeFacts, NodeScan, ReadCounts, SignatureVerdict } from '../model.ts';
import { inspectToken, verifySignature } from './inspect-token.ts';
import { type KnownFacts, scanFromKnown } from './known-facts.ts';
import { keyIdsOf, rereadVerdict } from './reread.ts';
import { parseMultusKubeconfig } from './parse-kubeconfig.ts';
import { mapLimit } from '../shared/map-limit.ts';
import { hostMountFor, toMultusPodFacts, toNodeFacts } from './to-facts.ts';
import { readerMount } from '../cluster/reader-pod.ts';
import { podIsReady } from '../shared/pods.ts';

export type ScanConfig = Pick<Config,
  'namespace' | 'selector' | 'container' | 'kubeconfigPath' | 'concurrency' | 'readTimeoutMs' | 'maxFileBytes'
    | 'readerImage' | 'rereadEveryMs' | 'expiringWithinMs' | 'daemonsets' | 'hostDir'>;

/** The scan's first step: which nodes run Multus, and every node's facts. */
export interface MultusPodsFound {
  /** Each node's Multus pods, nodes in name order. */
  groups: MultusPodGroup[];
  /** Every node of the cluster, by name: the one form the planner, the claim lookups and the executor use. */
  nodeFacts: ReadonlyMap<string, NodeFacts>;
  warnings: string[];
}

export interface NodesScan {
  nodes: NodeScan[];
  warnings: string[];
  /** The JWKS and lookups, for re-reading a node right before acting on it. */
  context: ScanContext;
  reads: ReadCounts;
}

const LEGACY_ISSUER = 'kubernetes/serviceaccount';

/** A node's Multus pods: the newest first; more than one while a DaemonSet rollout with maxSurge is under way. */
export interface MultusPodGroup {
  node: string;
  newest: V1Pod;
  /** The node's other Multus pods, newest first (empty on a node with one pod). */
  others: V1Pod[];
}

const created = (p: V1Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime();

/** The Multus pods of each node (terminating pods left out), newest first, nodes in name order. */
export function groupMultusPods(pods: readonly V1Pod[]): MultusPodGroup[] {
  const byNode = new Map<string, V1Pod[]>();
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || p.metadata?.deletionTimestamp) continue;
    const list = byNode.get(node) ?? [];
    list.push(p);
    byNode.set(node, list);
  }
  const groups: MultusPodGroup[] = [];
  for (const [node, list] of [...byNode.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) =>
      created(b) - created(a) ||
      ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1)
    );
    const [newest, ...others] = list;
    if (newest) groups.push({ node, newest, others });
  }
  return groups;
}

/**
 * Why the job must not read (nor restart) this pod: a DaemonSet other than the configured Multus DaemonSets owns it,
 * and rbac.yaml's policies let the job exec into and delete only their pods. Undefined otherwise (a pod without a
 * DaemonSet is read as before, and never restarted: execute/multus-guard.ts).
 */
export function outsideLayout(pod: V1Pod, cfg: Pick<ScanConfig, 'daemonsets'>): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller === true);
  if (owner?.kind !== 'DaemonSet' || cfg.daemonsets.includes(owner.name)) return undefined;
  return `the pod ${pod.metadata?.name ?? ''} matches --selector but belongs to DaemonSet ${owner.name}, not to one ` +
    `of --daemonsets (${cfg.daemonsets.join(',')}), the only DaemonSets whose pods rbac.yaml lets the job read and ` +
    `restart: add ${owner.name} to MTR_DAEMONSETS in the layout ConfigMap (rbac.yaml)`;
}

async function readFile(reader: ClusterReader, pod: V1Pod, cfg: ScanConfig,
  emit: Emit): Promise<{ read: FileRead; bytes?: Uint8Array }> {
  const node = pod.spec?.nodeName ?? '';
  const started = Date.now();
  const path = cfg.kubeconfigPath;
  const outside = outsideLayout(pod, cfg);
  if (outside) return { read: { status: 'unreadable', path, reason: outside } };
  const viaExec = await reader.execRead({ namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '',
    container: cfg.container, path, timeoutMs: cfg.readTimeoutMs, maxBytes: cfg.maxFileBytes });
  let result: ExecReadResult = viaExec;
  let via: 'exec' | 'reader-pod' = 'exec';
  if (!viaExec.ok && viaExec.kind === 'failed') {
    // The image may have no shell or cat (Multus 4.x thin is distroless): read the same host directory from a
    // short-lived read-only pod on that node instead.
    const mount = hostMountFor(pod, cfg.container, path);
    if (!mount) {
      return { read: { status: 'unreadable', path, reason: `${viaExec.reason}; and no hostPath volume of container ` +
        `${cfg.container} holds ${path}, so a reader pod cannot be used (check --kubeconfig-path)` } };
    }
    const hostDir = readerMount({ ...mount, filePath: path }).hostDir;
    if (hostDir !== cfg.hostDir) {
      return { read: { status: 'unreadable', path, reason: `${viaExec.reason}; and the Multus pod keeps the file in ` +
        `${hostDir} on the host, not in --host-dir ${cfg.hostDir}, the one directory rbac.yaml lets a reader pod ` +
        `mount: set MTR_HOST_DIR to ${hostDir} in the layout ConfigMap (rbac.yaml)` } };
    }
    emit({ type: 'exec-fallback', node, reason: viaExec.reason });
    via = 'reader-pod';
    result = await reader.readViaReaderPod({ namespace: pod.metadata?.namespace ?? '', node, image: cfg.readerImage,
      hostPath: mount.hostPath, mountPath: mount.mountPath, filePath: path, timeoutMs: cfg.readTimeoutMs,
      maxBytes: cfg.maxFileBytes });
    if (!result.ok) {
      return { read: { status: 'unreadable', path, reason: `${viaExec.reason}; reading through a reader pod failed ` +
        `too: ${result.reason}` } };
    }
  }
  if (!result.ok) return { read: { status: 'unreadable', path, reason: result.reason } };
  emit({ type: 'node-read', node, via, ms: Date.now() - started });
  return { read: { status: 'read', via, bytes: result.bytes.length, path }, bytes: result.bytes };
}

async function judgeContent(reader: ClusterReader, bytes: Uint8Array, ctx: ScanContext,
  maxBytes: number): Promise<FileContent> {
  const parsed = parseMultusKubeconfig(bytes, { maxBytes });
  if (!parsed.ok) {
    return parsed.external === undefined ? { status: 'malformed', reason: parsed.reason }
      : { status: 'external-credentials', kind: parsed.external, reason: parsed.reason };
  }
  const inspected = inspectToken(parsed.token);
  if (!inspected.ok) return { status: 'malformed', reason: inspected.reason };
  // Legacy secret-based tokens carry the fixed issuer kubernetes/serviceaccount, which the API server still accepts;
  // every other token must come from the issuer the API server announces.
  const verifyOpts = { issuer: inspected.claims.iss === LEGACY_ISSUER ? undefined : ctx.issuer };
  const verify = async (): Promise<SignatureVerdict> => {
    if (ctx.jwksProblem) return { status: 'unchecked', reason: ctx.jwksProblem };
    const first = await verifySignature(parsed.token, ctx.jwks, verifyOpts);
    if (first.status !== 'invalid' || first.unknownKey !== true) return first;
    // A key id the run's JWKS does not know: a key rotated in since it was read, or API servers mid-rotation. Read
    // the JWKS again (once per run, shared by every node) before calling the token foreign.
    const again = await ctx.jwksAgain();
    return again === undefined ? first : verifySignature(parsed.token, again, verifyOpts);
  };
  const [signature, review] = await Promise.all([verify(), reader.review(parsed.token)]);
  return {
    status: 'token',
    server: parsed.server,
    user: parsed.user,
    context: parsed.context,
    token: { fingerprint: inspected.fingerprint, alg: inspected.alg, kid: inspected.kid, claims: inspected.claims,
      signature, review },
  };
}

/** What scanning one Multus pod needs besides the pod: the cluster's keys and lookups shared by all nodes. */
export interface ScanContext {
  jwks: unknown;
  /** The JWKS read again, at most once per run (undefined when that read fails): for a key id `jwks` lacks. */
  jwksAgain: () => Promise<unknown>;
  jwksProblem?: string;
  /** The issuer the API server announces; a token from another issuer does not verify. */
  issuer?: string;
  saUid: (namespace: string, name: string) => Promise<string | undefined>;
  nodeFacts: ReadonlyMap<string, NodeFacts>;
}

/**
 * One node: read its file through its Multus pod (or a reader pod), and judge what is in it. `others` are the node's
 * other Multus pods (a DaemonSet rollout with maxSurge: `pod` is the newest): the file is then judged against the pod
 * whose token it holds, the one that wrote it, or, when it holds neither's, against the oldest — never the newer pod,
 * which the rollout is bringing up and which writes its own token when it starts.
 */
export async function scanMultusPod(reader: ClusterReader, pod: V1Pod, cfg: ScanConfig, ctx: ScanContext, emit: Emit,
  others: readonly V1Pod[] = []): Promise<NodeScan> {
  let multusPod = toMultusPodFacts(pod, cfg.container);
  const base = { node: multusPod.nodeName, multusPod };
  if (multusPod.mode !== 'thin') {
    return { ...base, file: { status: 'unreadable', path: cfg.kubeconfigPath, reason: 'not read: self-refreshing' } };
  }
  if (!pod.spec?.containers.some((c) => c.name === cfg.container)) {
    const names = pod.spec?.containers.map((c) => c.name).join(', ') ?? '';
    return { ...base,
      file: { status: 'unreadable', path: cfg.kubeconfigPath,
        reason: `pod ${multusPod.namespace}/${multusPod.name} has no container ${cfg.container} (it has: ${names}); ` +
          'set --container' } };
  }
  // Mid-rollout, read through a pod that is Ready (the new one may still be starting); every pod mounts the same file.
  const via = others.length === 0 || podIsReady(pod) ? pod : (others.find(podIsReady) ?? pod);
  const [{ read, bytes }, serviceAccountUid] = await Promise.all([
    readFile(reader, via, cfg, emit),
    ctx.saUid(multusPod.namespace, multusPod.serviceAccountName),
  ]);
  if (read.status === 'unreadable') emit({ type: 'node-unreadable', node: multusPod.nodeName, reason: read.reason });
  const content = bytes ? await judgeContent(reader, bytes, ctx, cfg.maxFileBytes) : undefined;
  if (others.length > 0) {
    const bound = content?.status === 'token' ? content.token.claims.podUid : undefined;
    const writer = [pod, ...others].find((p) => bound !== undefined && p.metadata?.uid === bound) ??
      others[others.length - 1] ?? pod;
    if (writer !== pod) multusPod = toMultusPodFacts(writer, cfg.container);
  }
  return { ...base, multusPod, file: read, content, serviceAccountUid };
}

/** The JWKS and a cached service-account lookup, shared by every node of a run. */
export async function scanContext(reader: ClusterReader, nodeFacts: ReadonlyMap<string, NodeFacts>,
  warnings: string[]): Promise<ScanContext> {
  let jwks: unknown;
  let jwksProblem: string | undefined;
  let issuer: string | undefined;
  try {
    [jwks, issuer] = await Promise.all([reader.jwks(), reader.issuer().catch(() => undefined)]);
  } catch (err) {
    jwksProblem = `the cluster's JWKS (/openid/v1/jwks) could not be read: ${(err as Error).message}`;
    warnings.push(jwksProblem);
  }
  const saUids = new Map<string, Promise<string | undefined>>();
  const saUid = (ns: string, name: string) => {
    const key = `${ns}/${name}`;
    let p = saUids.get(key);
    if (!p) {
      p = reader.serviceAccountUid(ns, name).catch(() => undefined);
      saUids.set(key, p);
    }
    return p;
  };
  let again: Promise<unknown> | undefined;
  const jwksAgain = () => (again ??= reader.jwks().catch(() => undefined));
  return { jwks, jwksAgain, jwksProblem, issuer, saUid, nodeFacts };
}

/** The scan's first step, two lists: the Multus pods (grouped by node) and the nodes. Reads no file. */
export async function findMultusPods(reader: ClusterReader, cfg: ScanConfig, emit: Emit): Promise<MultusPodsFound> {
  const warnings: string[] = [];
  const [podList, nodeList] = await Promise.all([
    reader.listPods({ namespace: cfg.namespace, labelSelector: cfg.selector }),
    reader.listNodes(),
  ]);
  const groups = groupMultusPods(podList);
  emit({ type: 'multus-pods-found', namespace: cfg.namespace, selector: cfg.selector, count: groups.length });
  if (groups.length === 0) {
    warnings.push(`no Multus pods match selector ${cfg.selector} in namespace ${cfg.namespace} ` +
      '(set --namespace and --selector to where Multus runs)');
  }
  return { groups, nodeFacts: new Map(nodeList.map(toNodeFacts).map((n) => [n.name, n])), warnings };
}

/** The scan's second step: every found node's file, read (or its facts reused from an earlier run) and judged. */
export async function readNodes(reader: ClusterReader, cfg: ScanConfig, found: MultusPodsFound, emit: Emit,
  reuse: { known?: KnownFacts; now: Millis } = { now: 0 }): Promise<NodesScan> {
  const { groups, nodeFacts } = found;
  const warnings = [...found.warnings];
  const ctx = await scanContext(reader, nodeFacts, warnings);
  const keyIds = ctx.jwksProblem === undefined ? keyIdsOf(ctx.jwks) : undefined;
  const reads: ReadCounts = { read: 0, reused: 0, reasons: {}, readNodes: [] };
  const nodes = await mapLimit(groups, cfg.concurrency, async (g) => {
    const pod = toMultusPodFacts(g.newest, cfg.container);
    if (pod.mode !== 'thin') return scanMultusPod(reader, g.newest, cfg, ctx, emit, g.others); // reads nothing
    const saUid = await ctx.saUid(pod.namespace, pod.serviceAccountName);
    const verdict = rereadVerdict(g.node, pod, g.others.length + 1, saUid, { known: reuse.known, now: reuse.now,
      rereadEveryMs: cfg.rereadEveryMs, expiringWithinMs: cfg.expiringWithinMs, path: cfg.kubeconfigPath,
      issuer: ctx.issuer, keyIds });
    const known = reuse.known?.nodes.get(g.node);
    if (!verdict.read && known !== undefined) {
      reads.reused += 1;
      return scanFromKnown(g.node, known, pod, saUid, cfg.kubeconfigPath);
    }
    if (verdict.read) reads.reasons[verdict.reason] = (reads.reasons[verdict.reason] ?? 0) + 1;
    reads.read += 1;
    reads.readNodes.push(g.node);
    return scanMultusPod(reader, g.newest, cfg, ctx, emit, g.others);
  });
  reads.readNodes.sort();
  if (reuse.known !== undefined || reads.reused > 0) {
    emit({ type: 'nodes-reused', read: reads.read, reused: reads.reused, reasons: reads.reasons });
  }
  for (const [i, g] of groups.entries()) {
    if (g.others.length === 0) continue;
    const judged = nodes[i]?.multusPod.name;
    const names = [g.newest, ...g.others].map((p) => p.metadata?.name).join(', ');
    warnings.push(
      `node ${g.node} has ${g.others.length + 1} Multus pods (${names}, newest first: a DaemonSet rollout ` +
        `with maxSurge); its file is judged against ${judged}, ` + (judged === g.newest.metadata?.name
          ? 'whose token it holds' :
          `the pod whose token it holds (or the oldest); ${g.newest.metadata?.name} is not restarted`),
    );
  }
  return { nodes, warnings, context: ctx, reads };
}
