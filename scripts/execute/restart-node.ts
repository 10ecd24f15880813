// One node, in order: look at it again; restart its Multus pod and wait (watching) for the new pod to be Ready; read
// the node's file until it holds a fresh token bound to the new pod — or stop this node; then restart each
// dependent pod, one at a time, each replacement Ready before the next.
import type { V1Pod } from '@kubernetes/client-node';
import { classifyNode } from '../classify/classify-node.ts';
import { WaitAborted, WaitTimeout } from '../cluster/wait-for-pod.ts';
import {
  ACTIONABLE_CLASSES, type NodeExecution, type NodeFinding, type NodeStep, type PdbFacts, type PodExecution,
} from '../model.ts';
import { scanMultusPod } from '../scan/scan-nodes.ts';
import { toPdbFacts } from '../scan/to-facts.ts';
import { podIsReady } from '../shared/pods.ts';
import { restartPod } from './restart-pod.ts';
import type { StepDeps } from './step-deps.ts';

/** Re-reads the node through `pod` and judges it, as the scan did. */
async function judge(pod: V1Pod, deps: StepDeps): Promise<NodeFinding> {
  const scanned = await scanMultusPod(deps.reader, pod, deps.config, deps.scan, () => undefined);
  return classifyNode(scanned, { now: deps.now(), expiringWithinMs: deps.config.expiringWithinMs });
}

const FRESH_READ_INTERVAL_MS = 250; // a file cannot be watched: re-read it at this interval until fresh

export async function restartNode(step: NodeStep, deps: StepDeps): Promise<NodeExecution> {
  const { writer, config } = deps;
  const startedAt = deps.now();
  const stepDeadline = startedAt + config.stepTimeoutMs;
  const dryRun = config.mode === 'server-dry-run';
  const mp = step.multusPod;
  const done = (e: Omit<NodeExecution, 'node' | 'startedAt' | 'finishedAt'>): NodeExecution =>
    ({ node: step.node, startedAt, finishedAt: deps.now(), ...e });
  const nodeRef = { kind: 'Node', name: step.node, apiVersion: 'v1' };

  // Things change between the scan and now: look again before touching anything.
  const current = await writer.readPod(mp.namespace, mp.name);
  if (!current || current.metadata?.uid !== mp.uid || current.metadata.deletionTimestamp) {
    return done({ outcome: 'skipped', pods: [],
      reason: `the Multus pod ${mp.name} changed since the scan; the next run judges the node again` });
  }
  const before = await judge(current, deps);
  const tokenBefore = { fingerprint: before.fingerprint, exp: before.exp };
  if (!ACTIONABLE_CLASSES.includes(before.class)) {
    return done({ outcome: 'skipped', pods: [], tokenBefore, reason: `re-checked: now ${before.class}: ${before.reason}` });
  }

  // 1. The Multus pod: delete it; its DaemonSet recreates it, and the new pod writes a fresh token.
  await deps.event({ regarding: { kind: 'Pod', namespace: mp.namespace, name: mp.name, uid: mp.uid },
    reason: 'MultusTokenRotation', type: 'Normal', action: 'Restart',
    note: `restarting Multus on node ${step.node}: token ${before.fingerprint ?? '?'} is ${before.class}` });
  await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotation', type: 'Normal', action: 'Restart',
    note: `rotating the Multus token on this node (${before.class}: ${before.reason})` });
  const deleted = await writer.deletePod(mp.namespace, mp.name, mp.uid, dryRun);
  if (dryRun) {
    const pods = await restartDependents(step, deps, stepDeadline);
    return done({ outcome: 'dry-run', tokenBefore, pods,
      reason: deleted === 'deleted' ? 'the API server would delete the Multus pod now (dryRun=All)' : 'the Multus pod is gone' });
  }
  const deletedAt = deps.now();
  let fresh: V1Pod;
  try {
    fresh = await writer.waitForPods({
      namespace: mp.namespace, labelSelector: config.selector, fieldSelector: `spec.nodeName=${step.node}`,
      timeoutMs: Math.max(1000, stepDeadline - deps.now()), signal: deps.signal,
      what: `a new Ready Multus pod on ${step.node}`,
      until: (pods) => [...pods.values()].find((p) => p.metadata?.uid !== mp.uid && !p.metadata?.deletionTimestamp &&
        podIsReady(p)),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeout || err instanceof WaitAborted)) throw err;
    await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotationFailed', type: 'Warning', action: 'Restart',
      note: err.message });
    return done({ outcome: 'failed', tokenBefore, pods: notStarted(step, 'the Multus pod did not come back'),
      multus: { oldPod: mp.name, oldUid: mp.uid }, reason: err.message });
  }
  const readyAt = deps.now();
  const multus = { oldPod: mp.name, oldUid: mp.uid, newPod: fresh.metadata?.name ?? '', newUid: fresh.metadata?.uid ?? '',
    readyMs: readyAt - deletedAt };
  deps.emit({ type: 'multus-restarted', node: step.node, oldPod: mp.name, newPod: multus.newPod, readyMs: multus.readyMs });

  // 2. Prove the node's file now holds a fresh token, bound to the new pod and accepted by the API server.
  let after: NodeFinding | undefined;
  while (deps.now() < stepDeadline && !deps.signal.aborted) {
    after = await judge(fresh, deps);
    if (after.class === 'healthy' && after.claims?.podUid === multus.newUid) break;
    if (!(await deps.sleep(FRESH_READ_INTERVAL_MS))) break;
  }
  const tokenAfter = { fingerprint: after?.fingerprint, exp: after?.exp };
  if (!after || after.class !== 'healthy' || after.claims?.podUid !== multus.newUid) {
    const reason = deps.signal.aborted
      ? `the new Multus pod ${multus.newPod} is Ready; stopped (${String(deps.signal.reason)}) before its fresh token ` +
        'was confirmed in the node\'s file; dependents left alone, the next run checks the node again'
      : `the new Multus pod ${multus.newPod} is Ready, but the node's file does not hold a fresh token ` +
        `bound to it after ${Math.round((deps.now() - readyAt) / 1000)} s (${after ? `${after.class}: ${after.reason}` : 'not read'}); ` +
        'dependents left alone';
    await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotationFailed', type: 'Warning', action: 'Restart', note: reason });
    return done({ outcome: 'failed', tokenBefore, tokenAfter, multus, pods: notStarted(step, 'the node\'s token is not fresh'), reason });
  }
  const tokenMs = deps.now() - readyAt;
  deps.emit({ type: 'token-fresh', node: step.node, fingerprint: after.fingerprint ?? '', tokenMs });

  // 3. The dependents, one at a time, in plan order.
  const pods = await restartDependents(step, deps, stepDeadline);
  const troubled = pods.filter((p) => p.outcome === 'blocked' || p.outcome === 'failed' || p.outcome === 'not-started');
  const outcome = troubled.length > 0 ? 'partial' : 'rotated';
  const reason = outcome === 'rotated'
    ? `token ${tokenBefore.fingerprint ?? '?'} → ${tokenAfter.fingerprint ?? '?'}; ${pods.filter((p) => p.outcome === 'evicted').length} pod(s) restarted`
    : `token rotated; ${troubled.length} dependent pod(s) not restarted: ${troubled.map((p) => `${p.namespace}/${p.name} (${p.outcome})`).join(', ')}`;
  await deps.event({ regarding: nodeRef, reason: outcome === 'rotated' ? 'MultusTokenRotated' : 'MultusTokenRotationPartial',
    type: outcome === 'rotated' ? 'Normal' : 'Warning', action: 'Restart', note: reason });
  return done({ outcome, reason, tokenBefore, tokenAfter, multus: { ...multus, tokenMs }, pods });
}

/** Each dependent in plan order: those the plan restarts are restarted; the others keep the plan's verdict. */
async function restartDependents(step: NodeStep, deps: StepDeps, stepDeadline: number): Promise<PodExecution[]> {
  const pdbs = await listPdbs(deps);
  const pods: PodExecution[] = [];
  for (const v of step.pods) {
    let r: PodExecution;
    if (v.action !== 'restart') {
      r = { namespace: v.namespace, name: v.name, uid: v.uid, outcome: v.action === 'blocked' ? 'blocked' : 'skipped',
        reason: v.reason };
      if (v.action === 'blocked') {
        await deps.event({ regarding: { kind: 'Pod', namespace: v.namespace, name: v.name, uid: v.uid },
          reason: 'MultusTokenEvictionBlocked', type: 'Warning', action: 'Evict',
          note: `not restarted after the Multus token rotation on node ${step.node}: ${v.reason}` });
      }
    } else if (deps.signal.aborted) {
      r = { namespace: v.namespace, name: v.name, uid: v.uid, outcome: 'not-started', reason: String(deps.signal.reason) };
    } else {
      r = await restartPod(v, pdbs, deps, Math.max(stepDeadline, deps.now() + 10_000));
    }
    deps.emit({ type: 'pod-done', namespace: r.namespace, name: r.name, outcome: r.outcome, reason: r.reason });
    pods.push(r);
  }
  return pods;
}

function notStarted(step: NodeStep, why: string): PodExecution[] {
  return step.pods.map((v) => ({ namespace: v.namespace, name: v.name, uid: v.uid,
    outcome: v.action === 'restart' ? 'not-started' : (v.action === 'blocked' ? 'blocked' : 'skipped'),
    reason: v.action === 'restart' ? `not restarted: ${why}` : v.reason }));
}

async function listPdbs(deps: StepDeps): Promise<PdbFacts[]> {
  return (await deps.reader.listPdbs()).map(toPdbFacts);
}
