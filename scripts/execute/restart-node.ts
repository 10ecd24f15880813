// One node, in two phases that the executor runs for every planned node in turn (see execute-plan.ts):
//   restartMultus: look at the node again; check that deleting its Multus pod is safe (multus-guard.ts); delete it
//     and wait (watching) for the new pod to be Ready; read the node's file until it holds a fresh token bound to
//     the new pod — or the node fails.
//   restartDependents: evict each dependent pod, one at a time, each replacement Ready before the next; the first
//     one that does not come back stops the evictions on this node, and fails it.
import type { V1Pod } from '@kubernetes/client-node';
import { freshAfterRestart, type Freshness } from '../classify/token-grant.ts';
import { WaitAborted, WaitTimeout } from '../cluster/wait-for-pod.ts';
import { windowContains } from '../shared/time-window.ts';
import { ACTIONABLE_CLASSES, type NodeExecution, type NodeFinding, type NodeStep, type PdbFacts, type PodExecution,
  type PodVerdict, type Stop, type TokenRef } from '../model.ts';
import { podIsReady } from '../shared/pods.ts';
import { type MultusGuard, multusRestartRefusal } from './multus-guard.ts';
import { restartPod } from './restart-pod.ts';
import type { StepDeps } from './step-deps.ts';
import { signalStop, stopReason } from './stop-reason.ts';
import { formatSeconds } from '../shared/durations.ts';
import { formatInstant } from '../shared/time-format.ts';

const FRESH_READ_INTERVAL_MS = 250; // a file cannot be watched: re-read it at this interval until fresh

/** After restartMultus: either the node is finished (skipped, refused, failed), or its token is fresh. */
export type MultusPhase =
  | { kind: 'done'; execution: NodeExecution; /** Why nothing more may be started in this run. */ stopRun?: Stop }
  | { kind: 'fresh'; startedAt: number; tokenBefore: TokenRef; tokenAfter?: TokenRef; /** Token proven. */
    freshAt?: number;
    multus?: NonNullable<NodeExecution['multus']>; /** --server-dry-run: what the API server said of the delete. */
    dryRun?: string; /** A finish step (finish-left.ts): no Multus restart, the dependents an earlier run left. */
    finishing?: { since: number } };

/** `guard`: the Multus restart guard; a repair wave passes one that judges all its nodes on one view (waveGuard). */
export async function restartMultus(step: NodeStep, deps: StepDeps,
  guard: MultusGuard = (pod) => multusRestartRefusal(pod, deps.writer)): Promise<MultusPhase> {
  const { writer, config } = deps;
  const startedAt = deps.now();
  const stepDeadline = startedAt + config.stepTimeoutMs;
  const dryRun = config.mode === 'server-dry-run';
  const mp = step.multusPod;
  const done = (e: Omit<NodeExecution, 'node' | 'startedAt' | 'finishedAt'>, stopRun?: Stop): MultusPhase => ({
    kind: 'done',
    execution: { node: step.node, startedAt, finishedAt: deps.now(), ...e },
    ...(stopRun ? { stopRun } : {}),
  });
  const nodeRef = { kind: 'Node', name: step.node, apiVersion: 'v1' };

  // Things change between the scan and now: look again before touching anything.
  const current = await writer.readPod(mp.namespace, mp.name);
  if (!current || current.metadata?.uid !== mp.uid || current.metadata.deletionTimestamp) {
    return done({ outcome: 'skipped', pods: [],
      reason: `the Multus pod ${mp.name} changed since the scan; the next run judges the node again` });
  }
  const before = await deps.recheck.refindMultus(current);
  const tokenBefore = { fingerprint: before.fingerprint, expiresAt: before.expiresAt };
  // A paced step (scripts/plan/pacing.ts) rotates a still-healthy token ahead of time: act if it is the one planned.
  const pacedStill = step.paced === true && before.class === 'healthy' && before.expiresAt === step.expiresAt;
  if (!ACTIONABLE_CLASSES.includes(before.class) && !pacedStill) {
    return done({ outcome: 'skipped', pods: [], tokenBefore,
      reason: `re-checked: now ${before.class}: ${before.reason}` });
  }
  // Deleting the pod must bring back the same Multus, now: its DaemonSet exists, is not mid-rollout, and the pod
  // already runs the DaemonSet's current revision.
  const refusal = await guard(current);
  if (refusal) {
    const reason = `refused to restart the Multus pod ${mp.name}: ${refusal}`;
    await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotationFailed', type: 'Warning', action: 'Restart',
      note: reason });
    return done({ outcome: 'not-started', cause: 'refused', tokenBefore,
      pods: notStarted(step, { cause: 'refused', reason: 'the Multus pod was not restarted' }), reason });
  }

  // 1. The Multus pod: delete it; its DaemonSet recreates it, and the new pod writes a fresh token.
  await deps.event({ regarding: { kind: 'Pod', namespace: mp.namespace, name: mp.name, uid: mp.uid },
    reason: 'MultusTokenRotation', type: 'Normal', action: 'Restart',
    note: `restarting Multus on node ${step.node}: token ${before.fingerprint ?? '?'} is ${before.class}` });
  await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotation', type: 'Normal', action: 'Restart',
    note: `rotating the Multus token on this node (${before.class}: ${before.reason})` });
  const deleted = await writer.deletePod(mp.namespace, mp.name, mp.uid, dryRun);
  if (dryRun) {
    return { kind: 'fresh', startedAt, tokenBefore,
      dryRun: deleted === 'deleted' ? 'the API server would delete the Multus pod now (dryRun=All)'
        : 'the Multus pod is gone' };
  }
  const deletedAt = deps.now();
  let fresh: V1Pod;
  try {
    fresh = await writer.waitForPods({
      namespace: mp.namespace,
      labelSelector: config.selector,
      fieldSelector: `spec.nodeName=${step.node}`,
      timeoutMs: Math.max(1000, stepDeadline - deps.now()),
      signal: deps.signal,
      what: `a new Ready Multus pod on ${step.node}`,
      until: (pods) =>
        [...pods.values()].find((p) =>
          p.metadata?.uid !== mp.uid && !p.metadata?.deletionTimestamp &&
          podIsReady(p)
        ),
    });
  } catch (err) {
    if (!(err instanceof WaitTimeout || err instanceof WaitAborted)) throw err;
    await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotationFailed', type: 'Warning', action: 'Restart',
      note: err.message });
    // The deleted pod took its (still valid) token with it: a Multus that does not come back is not a node's
    // problem but the run's. Nothing more is started.
    const stopRun: Stop | undefined = err instanceof WaitTimeout ?
      { cause: 'failure',
        reason:
          `the new Multus pod on node ${step.node} was not Ready within --step-timeout; nothing more is restarted` }
      : undefined;
    const cause = err instanceof WaitTimeout ? 'failure' : 'signal';
    return done({ outcome: 'failed', cause, tokenBefore,
      pods: notStarted(step, { cause, reason: 'the Multus pod did not come back' }),
      multus: { oldPod: mp.name, oldUid: mp.uid }, reason: err.message }, stopRun);
  }
  const readyAt = deps.now();
  const multus = { oldPod: mp.name, oldUid: mp.uid, newPod: fresh.metadata?.name ?? '',
    newUid: fresh.metadata?.uid ?? '', readyMs: readyAt - deletedAt };
  deps.emit({ type: 'multus-restarted', node: step.node, oldPod: mp.name, newPod: multus.newPod,
    readyMs: multus.readyMs });

  // 2. Prove the node's file now holds a fresh token: bound to the new pod, accepted by TokenReview, and as
  // long-lived as the API server grants (classify/token-grant.ts), whatever --expiring-within says.
  let after: NodeFinding | undefined;
  let freshness: Freshness = { fresh: false, reason: 'not read' };
  while (deps.now() < stepDeadline && !deps.signal.aborted) {
    after = await deps.recheck.refindMultus(fresh);
    freshness = freshAfterRestart(after, multus.newUid, { expiringWithinMs: deps.config.expiringWithinMs,
      intervalMs: deps.config.scheduleIntervalMs });
    if (freshness.fresh) break;
    if (!(await deps.sleep(FRESH_READ_INTERVAL_MS))) break;
  }
  const tokenAfter = { fingerprint: after?.fingerprint, expiresAt: after?.expiresAt };
  if (!after || !freshness.fresh) {
    const reason = deps.signal.aborted
      ? `the new Multus pod ${multus.newPod} is Ready; stopped (${stopReason(deps.signal)}) before its fresh token ` +
        "was confirmed in the node's file; dependents left alone, the next run checks the node again"
      : `the new Multus pod ${multus.newPod} is Ready, but the node's file does not hold a fresh token ` +
        `bound to it after ${formatSeconds(deps.now() - readyAt)} (${freshness.fresh ? '' : freshness.reason}); ` +
        'dependents left alone';
    await deps.event({ regarding: nodeRef, reason: 'MultusTokenRotationFailed', type: 'Warning', action: 'Restart',
      note: reason });
    const cause = deps.signal.aborted ? 'signal' : 'failure';
    return done({ outcome: 'failed', cause, tokenBefore, tokenAfter, multus,
      pods: notStarted(step, { cause, reason: "the node's token is not fresh" }), reason });
  }
  const tokenMs = deps.now() - readyAt;
  deps.emit({ type: 'token-fresh', node: step.node, fingerprint: after.fingerprint ?? '', tokenMs });
  return { kind: 'fresh', startedAt, tokenBefore, tokenAfter, freshAt: deps.now(), multus: { ...multus, tokenMs } };
}

/**
 * The dependents of a node whose token is fresh, one at a time, in plan order, each with its own wait budget
 * (pod-budget.ts) that must fit before `runDeadline`, the run's --deadline. Each result is pushed to `pods` as it is
 * known, so that what was done survives an error thrown half-way (the executor reports it).
 */
export async function restartDependents(step: NodeStep, phase: Extract<MultusPhase, { kind: 'fresh' }>, deps: StepDeps,
  pods: PodExecution[] = [], runDeadline = Number.POSITIVE_INFINITY): Promise<NodeExecution> {
  // Listed once, and only for a node with a pod to evict: a repaired node with nothing to evict reads nothing.
  let pdbs: PdbFacts[] | undefined;
  // Set once an eviction went wrong (above all: a replacement that did not come back): nothing more is evicted on
  // this node, so that one run never takes more than one pod from a workload whose pods cannot start.
  let halted: Stop | undefined;
  const window = deps.config.window;
  for (const v of step.pods) {
    let r: PodExecution;
    if (v.action === 'restart' && !halted) {
      if (deps.signal.aborted) halted = signalStop(deps.signal);
      else if (window && !windowContains(window, deps.now())) {
        halted = { cause: 'window', reason: `outside the maintenance window (${window.text})` };
      }
    }
    if (v.action === 'restart' && halted) {
      r = { namespace: v.namespace, name: v.name, uid: v.uid, outcome: 'not-started',
        reason: `not evicted: ${halted.reason}`, cause: halted.cause };
    } else if (v.action !== 'restart') {
      r = { namespace: v.namespace, name: v.name, uid: v.uid, outcome: v.action === 'blocked' ? 'blocked' : 'skipped',
        reason: v.reason, ...causeOf(v) };
      if (v.action === 'blocked') {
        await deps.event({ regarding: { kind: 'Pod', namespace: v.namespace, name: v.name, uid: v.uid },
          reason: 'MultusTokenEvictionBlocked', type: 'Warning', action: 'Evict',
          note: `not restarted after the Multus token rotation on node ${step.node}: ${v.reason}` });
      }
    } else {
      pdbs ??= await deps.recheck.listPdbs();
      r = await restartPod(v, pdbs, deps, runDeadline);
      if (r.outcome === 'failed') {
        halted = { cause: 'failure', reason: `${r.namespace}/${r.name} failed; nothing more is evicted on this node` };
      }
    }
    deps.emit({ type: 'pod-done', namespace: r.namespace, name: r.name, outcome: r.outcome, reason: r.reason });
    pods.push(r);
  }
  return await finishNode(step, phase, deps, pods);
}

/** The node's outcome from its pods, with its Event. */
export async function finishNode(step: NodeStep, phase: Extract<MultusPhase, { kind: 'fresh' }>, deps: StepDeps,
  pods: PodExecution[], why?: Stop): Promise<NodeExecution> {
  const base = { node: step.node, startedAt: phase.startedAt, finishedAt: deps.now(), tokenBefore: phase.tokenBefore,
    ...(phase.tokenAfter ? { tokenAfter: phase.tokenAfter } : {}), ...(phase.multus ? { multus: phase.multus } : {}),
    ...(phase.freshAt !== undefined ? { freshAt: phase.freshAt } : {}), pods };
  if (phase.dryRun !== undefined) return { ...base, outcome: 'dry-run', reason: phase.dryRun };
  const troubled = pods.filter((p) => p.outcome === 'blocked' || p.outcome === 'failed' || p.outcome === 'not-started');
  // A pod that failed (its replacement not Ready in time) fails the node: --on-failure stop ends the run.
  const outcome = why !== undefined || pods.some((p) => p.outcome === 'failed') ? 'failed'
    : troubled.length > 0 ? 'partial' : phase.finishing ? 'finished' : 'rotated';
  const { tokenBefore, tokenAfter } = phase;
  const evicted = pods.filter((p) => p.outcome === 'evicted').length;
  const done = phase.finishing ? `finishing what the run of ${formatInstant(phase.finishing.since)} left`
    : 'token rotated';
  const reason = why !== undefined ? `${done}; then ${why.reason}`
    : outcome === 'finished' ? `${done}: ${evicted} pod(s) restarted`
    : outcome === 'rotated'
    ? `token ${tokenBefore.fingerprint ?? '?'} → ${tokenAfter?.fingerprint ?? '?'}; ${evicted} pod(s) restarted`
    : `${done}; ${troubled.length} dependent pod(s) not restarted: ${
      troubled.map((p) => `${p.namespace}/${p.name} (${p.outcome})`).join(', ')
    }`;
  const nodeRef = { kind: 'Node', name: step.node, apiVersion: 'v1' };
  const good = outcome === 'rotated' || outcome === 'finished';
  await deps.event({ regarding: nodeRef, reason: outcome === 'rotated' ? 'MultusTokenRotated'
    : outcome === 'finished' ? 'MultusTokenRotationFinished'
    : outcome === 'failed' ? 'MultusTokenRotationFailed' : 'MultusTokenRotationPartial',
    type: good ? 'Normal' : 'Warning', action: 'Restart', note: reason });
  const cause = why?.cause ?? (outcome === 'failed' ? 'failure' : undefined);
  return { ...base, outcome, reason, ...(cause ? { cause } : {}) };
}

/** The plan's verdict for every dependent, the restartable ones not started, with why. */
export function notStarted(step: NodeStep, why: Stop, from: readonly PodExecution[] = []): PodExecution[] {
  const known = new Set(from.map((p) => p.uid));
  return [...from,
    ...step.pods.filter((v) => !known.has(v.uid)).map((v) => ({ namespace: v.namespace, name: v.name, uid: v.uid,
      outcome: v.action === 'restart' ? 'not-started' as const
        : (v.action === 'blocked' ? 'blocked' as const : 'skipped' as const),
      reason: v.action === 'restart' ? `not restarted: ${why.reason}` : v.reason,
      ...(v.action === 'restart' ? { cause: why.cause } : causeOf(v)) })
    )];
}

/** A pod the plan does not restart: a budget blocks it, or it is left for later (`later`, with its cause). */
function causeOf(v: PodVerdict): Pick<PodExecution, 'later' | 'cause'> {
  if (v.action === 'blocked') return { cause: 'budget' };
  return v.later ? { later: true, ...(v.cause ? { cause: v.cause } : {}) } : {};
}
